import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { HcrError, labelSpace, sampleIndices } from '@hcr/core';
import {
  type Dataset,
  DEFAULT_DATASET_DIR,
  defaultDatasetDir,
  MANIFEST_FILE,
  type SplitData,
  sha256,
} from '@hcr/data/reader';
import type { ModelRun } from './model-files.js';
import type { ImageSet } from './runtimes/predictor.js';

/** The character model's test images: which dataset, checked against the model, and loaded (or sampled). */

/** The evaluated images: the test split and the generalisation split, in one set. */
export interface EvalImages extends ImageSet {
  labels: Uint8Array;
  sources: Uint8Array;
  splits: Record<string, number>;
}

export function checkModelAgainstData(run: ModelRun, dataset: Dataset): void {
  const m = run.metadata;
  const manifest = dataset.manifest;
  const modelSpace = labelSpace(m.labelSpace ?? 'hcr36');
  if (modelSpace.id !== dataset.labelSpace.id)
    throw new HcrError(
      'LABEL_SPACE_MISMATCH',
      `The model ${run.id} answers in label space ${modelSpace.id} (${modelSpace.classes.length} classes), but the dataset in ${dataset.dir} was prepared with ${dataset.labelSpace.id} (${dataset.labelSpace.classes.length} classes).`,
      {
        hint: `Evaluate it on a dataset prepared with \`hcr data prepare --labels ${modelSpace.classes.length}\` (default ${defaultDatasetDir(modelSpace)}): pass --data, or omit --data to use the dataset the model was trained on.`,
      },
    );
  if (manifest.classNames.join('') !== m.classNames.join(''))
    throw new HcrError(
      'DATA_CLASSES_MISMATCH',
      `The dataset in ${dataset.dir} has classes ${manifest.classNames.join('')}; the model has ${m.classNames.join('')}.`,
      { hint: 'Evaluate with the dataset the model was trained for (--data <dir>).' },
    );
  if (manifest.imageShape.join(',') !== m.inputShape.join(','))
    throw new HcrError(
      'MODEL_INPUT_MISMATCH',
      `The dataset images are [${manifest.imageShape.join(', ')}]; the model takes [${m.inputShape.join(', ')}].`,
      { hint: 'Evaluate with the dataset the model was trained for (--data <dir>).' },
    );
  if (m.characterNormalisation && manifest.config.normalise !== m.characterNormalisation)
    throw new HcrError(
      'DATA_NORMALISATION_MISMATCH',
      `The model was trained on '${m.characterNormalisation}' character normalisation; the dataset in ${dataset.dir} uses '${manifest.config.normalise}'.`,
      {
        hint: `Pass a dataset prepared with \`hcr data prepare --normalise ${m.characterNormalisation}\` via --data.`,
      },
    );
}

/**
 * Without --data: the default dataset, unless the model was trained on another prepared dataset next to it (e.g.
 * `artifacts/data/shards-raw` for a seed-recipe model) or where metadata.json's training config says it was
 * trained (a dataset prepared with --out anywhere): each found by the manifest sha256 recorded in metadata.json,
 * so the model is scored on the data it was made for. Not found: the default dataset of the
 * model's label space (`artifacts/data/shards-62` for a 62-class model).
 */
export async function trainingDatasetDir(run: ModelRun, log: (line: string) => void): Promise<string> {
  const parent = dirname(resolve(DEFAULT_DATASET_DIR));
  const entries = await readdir(parent, { withFileTypes: true }).catch(() => []);
  // the default and the datasets beside it, then where the model says it was trained (prepared with --out elsewhere)
  const recorded = run.metadata.trainingConfig?.data;
  const dirs = [
    resolve(DEFAULT_DATASET_DIR),
    ...entries.filter((e) => e.isDirectory()).map((e) => join(parent, e.name)),
    ...(typeof recorded === 'string' ? [resolve(recorded)] : []),
  ];
  for (const dir of dirs) {
    const text = await readFile(join(dir, MANIFEST_FILE), 'utf8').catch(() => undefined);
    if (text !== undefined && sha256(text) === run.metadata.dataManifestSha256) {
      if (dir !== resolve(DEFAULT_DATASET_DIR))
        log(
          `using ${relative(process.cwd(), dir)}: the dataset ${run.id} was trained on (pass --data to choose)`,
        );
      return dir;
    }
  }
  return defaultDatasetDir(labelSpace(run.metadata.labelSpace ?? 'hcr36'));
}

export async function loadImages(dataset: Dataset, sample: number | undefined): Promise<EvalImages> {
  const splits: SplitData[] = [await dataset.loadSplit('test')];
  if ((dataset.manifest.counts.extra?.total ?? 0) > 0) splits.push(await dataset.loadSplit('extra'));
  const shape = dataset.manifest.imageShape;
  const px = shape[0] * shape[1] * shape[2];
  // A seeded subset of each split, in the original order (so it stays stratified-ish and reproducible).
  const picks = splits.map((s, i) => sampleIndices(s.count, sample ?? s.count, 1 + i));
  const count = picks.reduce((n, p) => n + p.length, 0);
  const out: EvalImages = {
    pixels: new Uint8Array(count * px),
    labels: new Uint8Array(count),
    sources: new Uint8Array(count),
    count,
    imageShape: shape,
    splits: {},
  };
  let at = 0;
  splits.forEach((s, k) => {
    for (const i of picks[k]!) {
      out.pixels.set(s.pixels.subarray(i * px, (i + 1) * px), at * px);
      out.labels[at] = s.labels[i]!;
      out.sources[at] = s.sources[i]!;
      at++;
    }
    out.splits[s.split] = picks[k]!.length;
  });
  if (count === 0)
    throw new HcrError('DATA_EMPTY', `The dataset in ${dataset.dir} has no test images.`, {
      hint: 'Rebuild it with `hcr data prepare --force`.',
    });
  return out;
}

/** The rows of the test split (it comes first in the evaluated images). */
export function testRowsOf(images: EvalImages): Uint32Array {
  return Uint32Array.from({ length: images.splits.test ?? 0 }, (_, i) => i);
}
