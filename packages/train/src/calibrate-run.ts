import { join, resolve } from 'node:path';
import { type ConfidenceCalibration, HcrError, pixelLookupTable, writeJsonAtomic } from '@hcr/core';
import { openDataset } from '@hcr/data/reader';
import { type EngineName, initEngine } from '@hcr/engine';
import { loadMetadata, loadModel, METADATA_JSON } from '@hcr/model';
import * as tf from '@tensorflow/tfjs-core';
import { fitCalibration } from './calibration-fit.js';

export interface CalibrateRunOptions {
  /** Prepared dataset (default: the one in the run's training config). It must be the one trained on. */
  dataDir?: string;
  engine?: EngineName;
  log?: (line: string) => void;
}

const BATCH = 256;

/**
 * Calibrates a saved character model: its probabilities on the validation split of the dataset it was
 * trained on, the answer-kind temperatures fitted to them (fitCalibration), written into metadata.json.
 * `hcr train` ends with it; `hcr calibrate <run>` runs it on a model trained before calibration existed.
 */
export async function calibrateRun(
  runDir: string,
  opts: CalibrateRunOptions = {},
): Promise<ConfidenceCalibration> {
  const log = opts.log ?? (() => {});
  const dir = resolve(runDir);
  const metadata = await loadMetadata(dir);
  if (metadata.task === 'line')
    throw new HcrError('MODEL_IS_READER', `${dir} is a line reader; calibration is for character models.`, {
      hint: 'Pass the directory of a character model (e.g. artifacts/model/pipeline).',
    });
  // A model saved by another tool may have no trainingConfig: then the default folder (or --data).
  const configured = (metadata.trainingConfig as { data?: unknown } | undefined)?.data;
  const dataDir = opts.dataDir ?? (typeof configured === 'string' ? configured : 'artifacts/data/shards');
  const dataset = await openDataset(dataDir);
  if (dataset.manifestSha256 !== metadata.dataManifestSha256)
    throw new HcrError(
      'CALIBRATION_DATA_MISMATCH',
      `The dataset in ${dataset.dir} is not the one ${metadata.id} was trained on (manifest ${dataset.manifestSha256.slice(0, 12)}, trained on ${metadata.dataManifestSha256.slice(0, 12)}): its validation split may hold training images.`,
      { hint: 'Pass --data <dir> with the prepared dataset the model was trained on.' },
    );
  const val = await dataset.loadSplit('val');
  if (val.count === 0)
    throw new HcrError('DATA_EMPTY', `The dataset in ${dataset.dir} has no validation images.`, {
      hint: 'Prepare it with a validation fraction (configs/data.json valFraction).',
    });

  const engine = await initEngine({ engine: opts.engine ?? 'auto', purpose: 'infer', log });
  const model = await loadModel(dir);
  const [h, w, c] = metadata.inputShape;
  const px = h * w * c;
  const k = metadata.classNames.length;
  const lut = pixelLookupTable(metadata.inputNormalisation);
  const probs = new Float32Array(val.count * k);
  const t0 = performance.now();
  try {
    for (let s = 0; s < val.count; s += BATCH) {
      const n = Math.min(BATCH, val.count - s);
      const x = new Float32Array(n * px);
      for (let i = 0; i < n * px; i++) x[i] = lut[val.pixels[s * px + i]!]!;
      const y = tf.tidy(() => model.predict(tf.tensor4d(x, [n, h, w, c])) as tf.Tensor);
      probs.set((await y.data()) as Float32Array, s * k);
      y.dispose();
    }
  } finally {
    model.dispose();
  }
  const calibration = fitCalibration(
    { probs, labels: val.labels, sources: val.sources, classNames: metadata.classNames },
    'val',
  );
  await writeJsonAtomic(join(dir, METADATA_JSON), { ...metadata, calibration });
  const pct = (r: Record<string, number>) =>
    Object.entries(r)
      .map(([s, v]) => `${s} ${(v * 100).toFixed(2)}%`)
      .join(', ');
  log(
    `calibrated on ${val.count} validation images (${engine.name}, ${((performance.now() - t0) / 1000).toFixed(1)} s): ` +
      `temperatures ${Object.entries(calibration.temperatures)
        .map(([kind, t]) => `${kind} ${t}`)
        .join(', ')}; ECE ${pct(calibration.fit.eceBefore)} -> ${pct(calibration.fit.eceAfter)}`,
  );
  return calibration;
}
