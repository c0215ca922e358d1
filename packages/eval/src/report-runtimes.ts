import { argmaxAll, round6 } from './metrics.js';
import type { ModelRun } from './model-files.js';
import type { EvalOptions, RuntimeAgreement, RuntimeTiming } from './report.js';
import type { EvalImages } from './report-data.js';
import { onnxPredictor } from './runtimes/onnx.js';
import { type Predictor, predictAll, type RuntimeName } from './runtimes/predictor.js';
import { tfjsPredictor } from './runtimes/tfjs.js';
import { DEFAULT_TFJS_WORKERS, tfjsPoolPredictor } from './runtimes/tfjs-pool.js';

/** The runtimes a character model is evaluated in: each one's predictions and speed, and how far they agree. */

/** tfjs (in process, or a pool of worker threads) or onnxruntime, for `run`. */
export async function makePredictor(
  runtime: RuntimeName,
  run: ModelRun,
  opts: EvalOptions,
): Promise<Predictor> {
  if (runtime === 'onnx') return onnxPredictor(run, { file: opts.onnxFile });
  const workers = opts.workers ?? DEFAULT_TFJS_WORKERS;
  return workers > 1
    ? tfjsPoolPredictor(run, { engine: opts.engine, workers })
    : tfjsPredictor(run, { engine: opts.engine, log: opts.log });
}

/** Every image through one runtime: the probabilities and the time it took. */
export async function runRuntime(
  predictor: Predictor,
  run: ModelRun,
  images: EvalImages,
  opts: EvalOptions,
): Promise<{ probs: Float32Array; timing: RuntimeTiming }> {
  const t0 = performance.now();
  const probs = await predictAll(
    predictor,
    images,
    run.metadata.inputNormalisation,
    run.metadata.classNames.length,
    { batchSize: opts.batchSize },
  );
  const seconds = (performance.now() - t0) / 1000;
  return {
    probs,
    timing: {
      runtime: predictor.runtime,
      description: predictor.description,
      images: images.count,
      workers: predictor.concurrency ?? 1,
      seconds: round6(seconds),
      imagesPerSecond: Math.round(images.count / seconds),
    },
  };
}

/** Share of identical argmax predictions and the accuracy difference between two runtimes. */
export function compareRuntimes(
  names: [RuntimeName, RuntimeName],
  a: Float32Array,
  b: Float32Array,
  k: number,
  testAccuracy: (probs: Float32Array) => number,
): RuntimeAgreement {
  const pa = argmaxAll({ probs: a, k });
  const pb = argmaxAll({ probs: b, k });
  let same = 0;
  for (let i = 0; i < pa.length; i++) if (pa[i] === pb[i]) same++;
  let maxDiff = 0;
  for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i]! - b[i]!));
  const accA = testAccuracy(a);
  const accB = testAccuracy(b);
  const share = pa.length ? same / pa.length : 1;
  const delta = Math.abs(accA - accB) * 100;
  return {
    runtimes: names,
    images: pa.length,
    samePrediction: same,
    samePredictionShare: round6(share),
    accuracy: { [names[0]]: accA, [names[1]]: accB } as Record<RuntimeName, number>,
    accuracyDeltaPoints: round6(delta),
    maxAbsProbabilityDiff: Number(maxDiff.toPrecision(3)),
    agree: share >= 0.9999 && delta <= 0.01 + 1e-9,
  };
}
