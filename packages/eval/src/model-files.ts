import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { HcrError, LABEL_SPACES, type ModelMetadata } from '@hcr/core';

export const DEFAULT_MODELS_DIR = 'artifacts/model';

/** A saved model directory: model.json + weights + metadata.json (+ model.onnx once exported). */
export interface ModelRun {
  /** Run id (metadata.id); the report folder is named by the directory (`reportNameOf`), the same for trained runs. */
  id: string;
  /** Absolute, symlinks resolved. */
  dir: string;
  metadata: ModelMetadata;
}

async function isDir(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isDirectory(),
    () => false,
  );
}

async function listRuns(modelsDir: string): Promise<string[]> {
  const entries = await readdir(modelsDir, { withFileTypes: true }).catch(() => []);
  return entries
    .filter((e) => (e.isDirectory() || e.isSymbolicLink()) && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
}

/**
 * `hcr eval [run|modelDir]`: a directory path, or a run id under `modelsDir`; none means `latest`.
 * Unknown ids are an error that lists the runs that exist.
 */
export async function resolveModelRun(
  runOrDir: string | undefined,
  modelsDir: string = DEFAULT_MODELS_DIR,
): Promise<ModelRun> {
  // a model.json path means its directory
  const asked = (runOrDir ?? 'latest').replace(/(^|\/)model\.json$/, '$1') || '.';
  const candidates = [resolve(asked), resolve(modelsDir, asked)];
  let dir: string | undefined;
  for (const c of candidates) {
    if (await isDir(c)) {
      dir = await realpath(c);
      break;
    }
  }
  if (!dir) {
    const runs = await listRuns(resolve(modelsDir));
    if (runOrDir === undefined)
      throw new HcrError('MODEL_NONE', `No trained model: ${resolve(modelsDir, 'latest')} does not exist.`, {
        hint: 'Train one first (`pnpm hcr train --model seed`), or name a trained model: its run id or directory (e.g. artifacts/model/pipeline).',
      });
    const where = [...new Set(candidates)].join(' or ');
    const file = /\.(onnx|json)$/i.test(asked)
      ? ' (a model is named by its directory, not a file in it)'
      : '';
    throw new HcrError('RUN_UNKNOWN', `Unknown run '${asked}': no directory ${where}${file}.`, {
      hint: runs.length
        ? `Known runs in ${resolve(modelsDir)}: ${runs.join(', ')}.`
        : `There are no runs in ${resolve(modelsDir)} yet; train one with \`pnpm hcr train\`.`,
    });
  }
  const metadata = await readModelMetadata(dir);
  return { id: metadata.id || basename(dir), dir, metadata };
}

export async function readModelMetadata(dir: string): Promise<ModelMetadata> {
  const path = join(dir, 'metadata.json');
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new HcrError('METADATA_MISSING', `${dir} has no metadata.json, so it is not a saved hcr model.`, {
      hint: 'Pass the directory `hcr train` wrote (model.json, weights.bin, metadata.json), e.g. artifacts/model/latest.',
    });
  }
  let m: ModelMetadata;
  try {
    m = JSON.parse(text) as ModelMetadata;
  } catch (e) {
    throw new HcrError('METADATA_INVALID', `${path} is not valid JSON: ${(e as Error).message}.`, {
      hint: 'Re-train the model or restore metadata.json from the training run.',
    });
  }
  checkMetadata(m, path);
  return m;
}

/** The fields eval relies on, checked against the project's label space. */
function checkMetadata(m: ModelMetadata, path: string): void {
  const fix = {
    hint: 'The model and its metadata.json do not belong together; re-train or re-save the model.',
  };
  if (m.task === 'line') {
    checkReaderMetadata(m, path, fix);
    return;
  }
  // Metadata from before label spaces could be chosen has no labelSpace: it is hcr36.
  const space = LABEL_SPACES.find((s) => s.id === (m.labelSpace ?? 'hcr36'));
  if (!space)
    throw new HcrError(
      'MODEL_CLASSES_MISMATCH',
      `${path} names the label space ${JSON.stringify(m.labelSpace)}; hcr knows ${LABEL_SPACES.map((s) => s.id).join(', ')}.`,
      fix,
    );
  if (!Array.isArray(m.classNames) || m.classNames.join('') !== space.classes.join(''))
    throw new HcrError(
      'MODEL_CLASSES_MISMATCH',
      `${path} lists ${Array.isArray(m.classNames) ? m.classNames.length : 'no'} class names (${
        Array.isArray(m.classNames) ? m.classNames.join('') : '-'
      }); its label space ${space.id} has the ${space.classes.length} classes ${space.classes.join('')}.`,
      fix,
    );
  if (!Array.isArray(m.inputShape) || m.inputShape.length !== 3)
    throw new HcrError('MODEL_INPUT_MISMATCH', `${path} has no valid inputShape [h, w, c].`, fix);
  if (!m.inputNormalisation || !(m.inputNormalisation.std > 0))
    throw new HcrError('METADATA_INVALID', `${path} has no valid inputNormalisation {mean, std}.`, fix);
}

/** A line reader's metadata (task 'line'): its alphabet and geometry instead of 36 classes of 28x28. */
function checkReaderMetadata(m: ModelMetadata, path: string, fix: { hint: string }): void {
  const r = m.reader;
  if (!r || !Array.isArray(r.symbols) || r.symbols.length < 2 || r.symbols[0] !== '')
    throw new HcrError(
      'METADATA_INVALID',
      `${path} says task 'line' but has no valid reader section (symbols with the blank '' first).`,
      fix,
    );
  if (!(r.height > 0 && r.stride > 0 && r.minWidth > 0))
    throw new HcrError('METADATA_INVALID', `${path} has no valid reader height, stride and minWidth.`, fix);
  if (!m.inputNormalisation || !(m.inputNormalisation.std > 0))
    throw new HcrError('METADATA_INVALID', `${path} has no valid inputNormalisation {mean, std}.`, fix);
}

export interface TrainingMetricsRow {
  epoch: number;
  step?: number;
  lr?: number;
  train_loss?: number;
  train_acc?: number;
  val_loss?: number;
  val_acc?: number;
  images_per_s?: number;
  seconds?: number;
}

/** metrics.jsonl of the training run (one JSON object per epoch); empty when the run has none. */
export async function readTrainingMetrics(dir: string): Promise<TrainingMetricsRow[]> {
  const text = await readFile(join(dir, 'metrics.jsonl'), 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter((l) => l.trim())
    .flatMap((l) => {
      try {
        const row = JSON.parse(l) as TrainingMetricsRow;
        return typeof row.epoch === 'number' ? [row] : [];
      } catch {
        return [];
      }
    });
}
