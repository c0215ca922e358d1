import { HcrError, knownLineAlphabet, LINE_ALPHABETS, type LineAlphabet, readerDifference } from '@hcr/core';
import type { EngineName } from '@hcr/engine';
import { DEFAULT_MODELS_DIR, type ModelRun, resolveModelRun } from '../model-files.js';
import type { RuntimeChoice } from '../report.js';
import type { RuntimeName } from '../runtimes/predictor.js';
import type { ReaderFile } from './reader-file.js';
import {
  ensembleLineRuntime,
  type LineRuntime,
  onnxLineRuntime,
  readerInfo,
  tfjsLineRuntime,
} from './runtimes.js';

/** The readers an evaluation reads with: a run, the other runs of an ensemble, or one ONNX file of readers. */

/** The alphabet a reader's metadata names: one of the label spaces' line alphabets (LINE_ALPHABETS). */
export function readerAlphabet(run: ModelRun): LineAlphabet {
  const info = readerInfo(run);
  const known = knownLineAlphabet(info.alphabetId, info.symbols);
  if (known) return known;
  throw new HcrError(
    'ALPHABET_UNKNOWN',
    `${run.dir} reads the alphabet ${info.alphabetId} (${info.symbols.length} symbols), which this hcr does not know.`,
    {
      hint: `Evaluate it with the hcr version that trained it (this one knows ${LINE_ALPHABETS.map((a) => a.id).join(', ')}).`,
    },
  );
}

/** One runtime of `name` reading with `run`, or with `run` and `others` as one ensemble. */
export async function makeRuntime(
  name: RuntimeName,
  run: ModelRun,
  opts: { engine?: EngineName; onnxFile?: string; log?: (line: string) => void },
  others: readonly ModelRun[],
): Promise<LineRuntime> {
  const one = (r: ModelRun, file?: string) =>
    name === 'onnx'
      ? onnxLineRuntime(r, { file })
      : tfjsLineRuntime(r, { engine: opts.engine, log: opts.log });
  if (others.length === 0) return one(run, opts.onnxFile);
  const members = [await one(run, opts.onnxFile)];
  for (const o of others) members.push(await one(o));
  return ensembleLineRuntime(members);
}

/** A reader file runs in onnxruntime alone, as the readers it holds: no tfjs, no other readers beside it. */
export function checkFileOptions(
  file: ReaderFile,
  opts: { runtime?: RuntimeChoice; ensemble?: string[]; onnxFile?: string },
): void {
  const runs = file.members.length > 1 ? file.members.map((m) => m.id) : ['<run>'];
  if (opts.runtime !== undefined && opts.runtime !== 'onnx')
    throw new HcrError(
      'RUNTIME_UNAVAILABLE',
      `${file.path} is an ONNX file: it reads in onnxruntime only, not with --runtime ${opts.runtime}.`,
      {
        hint: `Use --runtime onnx (the default for a file), or compare the runtimes on the runs it was exported from: \`hcr eval ${runs[0]}${runs.length > 1 ? ` --ensemble ${runs.slice(1).join(',')}` : ''} --runtime both\`.`,
      },
    );
  if (opts.ensemble?.length || opts.onnxFile)
    throw new HcrError(
      'ENSEMBLE_INVALID',
      `${file.path} is read as it is: --ensemble and --onnx take runs, not a file.`,
      {
        hint: 'Pack the readers into one file (`hcr export ensemble a b c -o abc.onnx`) and evaluate it, or evaluate the runs with --ensemble.',
      },
    );
}

/** The other readers of an ensemble, refused unless they read lines exactly as `run` does. */
export async function ensembleRuns(
  run: ModelRun,
  opts: { ensemble?: string[]; modelsDir?: string },
): Promise<ModelRun[]> {
  const others: ModelRun[] = [];
  const info = readerInfo(run);
  for (const id of opts.ensemble ?? []) {
    const o = await resolveModelRun(id, opts.modelsDir ?? DEFAULT_MODELS_DIR);
    const fix = {
      hint: 'An ensemble joins readers trained on the same line data with the same recipe (e.g. other seeds: `hcr train --config configs/reader.json --seed 2 --run reader-s2`).',
    };
    if (o.dir === run.dir || others.some((x) => x.dir === o.dir))
      throw new HcrError('ENSEMBLE_INVALID', `${o.dir} is named twice in the ensemble.`, fix);
    const d = readerDifference(
      { reader: info, normalisation: run.metadata.inputNormalisation },
      { reader: readerInfo(o), normalisation: o.metadata.inputNormalisation },
    );
    if (d)
      throw new HcrError(
        'ENSEMBLE_INVALID',
        `The readers ${run.dir} and ${o.dir} differ in ${d.what}: ${d.a} vs ${d.b}.`,
        fix,
      );
    others.push(o);
  }
  return others;
}
