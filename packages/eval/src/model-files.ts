import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { HcrError, type ModelMetadata } from '@hcr/core';
import { loadMetadata } from '@hcr/model';

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
    // a file that is there but is no model directory: say so, not "unknown run ... train one"
    for (const c of candidates) {
      if (
        !(await stat(c).then(
          (st) => st.isFile(),
          () => false,
        ))
      )
        continue;
      throw new HcrError(
        'MODEL_INVALID',
        `${c} is a file, not a model: hcr eval reads a model directory (model.json, weights.bin and metadata.json, as \`hcr train\` saves it), a run id, or a reader's .onnx file.`,
        {
          hint: runs.length
            ? `Pass a model directory or one of the runs in ${resolve(modelsDir)}: ${runs.join(', ')}.`
            : 'Pass the directory `hcr train` saved the model in (e.g. artifacts/model/pipeline), or a reader .onnx file (artifacts/model/reader/model.onnx).',
        },
      );
    }
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

/**
 * A run's metadata.json, checked as every hcr package checks it: @hcr/model's `loadMetadata` (METADATA_MISSING,
 * or METADATA_INVALID naming the file and what is wrong, e.g. class names that are not its label space's).
 */
export const readModelMetadata: (dir: string) => Promise<ModelMetadata> = loadMetadata;

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
