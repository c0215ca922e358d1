import { HcrError } from '@hcr/core';
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
  checkFinite(probs, predictor, run);
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

/**
 * NaN or Infinity out of the model would be scored as a 0% report; it means damaged or diverged weights, which a
 * report cannot fix. (tfjs loading already refuses non-finite weights; this catches finite ones that overflow.)
 */
function checkFinite(probs: Float32Array, predictor: Predictor, run: ModelRun): void {
  const k = run.metadata.classNames.length;
  let rows = 0;
  for (let i = 0; i < probs.length; i += k)
    for (let c = 0; c < k; c++)
      if (!Number.isFinite(probs[i + c]!)) {
        rows++;
        break;
      }
  if (rows === 0) return;
  throw new HcrError(
    'MODEL_OUTPUT_NOT_FINITE',
    `${predictor.description} outputs NaN or Infinity for ${rows} of ${probs.length / k} images with the model in ${run.dir}: its weights are damaged, or training diverged; nothing was written.`,
    {
      hint:
        predictor.runtime === 'onnx'
          ? `Re-export the model (\`pnpm hcr export onnx ${run.dir}\`, which checks its outputs); if tfjs gives NaN too, restore the weights from the training run or re-train (\`hcr train\`).`
          : 'Restore the weights from the training run (its weights.bin, or resume from its checkpoint), or re-train (`hcr train`; a run that diverged needs a lower learning rate).',
    },
  );
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
