import type { InputNormalisation } from '@hcr/core';
import { pixelLookupTable } from '@hcr/data/reader';

export type RuntimeName = 'tfjs' | 'onnx';

/** A loaded model that turns a batch of normalised NHWC images into class probabilities. */
export interface Predictor {
  runtime: RuntimeName;
  /** What actually ran, e.g. `tfjs wasm` or `onnxruntime-node 1.30.0 (cpu)`; recorded in eval.json. */
  description: string;
  /** Flat Float32 [n, h, w, c] in, flat Float32 [n, numClasses] probabilities out. */
  predict(x: Float32Array, n: number): Promise<Float32Array>;
  /** How many predict calls may run at once (worker pools); default 1. */
  concurrency?: number;
  dispose(): Promise<void>;
}

/** Raw images as stored in shards: uint8 NHWC. */
export interface ImageSet {
  pixels: Uint8Array;
  count: number;
  imageShape: [number, number, number];
}

export const DEFAULT_BATCH_SIZE = 512;

/**
 * Probabilities for every image, in order. Pixels are normalised exactly as in training
 * (the model's metadata inputNormalisation, through the same lookup table @hcr/data uses).
 */
export async function predictAll(
  predictor: Predictor,
  images: ImageSet,
  normalisation: InputNormalisation,
  numClasses: number,
  { batchSize = DEFAULT_BATCH_SIZE, onBatch }: { batchSize?: number; onBatch?: (done: number) => void } = {},
): Promise<Float32Array> {
  const [h, w, c] = images.imageShape;
  const px = h * w * c;
  const lut = pixelLookupTable(normalisation);
  const out = new Float32Array(images.count * numClasses);
  const concurrency = Math.max(1, predictor.concurrency ?? 1);
  const inFlight = new Set<Promise<void>>();
  const all: Promise<void>[] = [];
  let done = 0;
  for (let start = 0; start < images.count; start += batchSize) {
    const n = Math.min(batchSize, images.count - start);
    const src = images.pixels.subarray(start * px, (start + n) * px);
    const x = new Float32Array(n * px);
    for (let k = 0; k < src.length; k++) x[k] = lut[src[k]!]!;
    const job = predictor.predict(x, n).then((probs) => {
      if (probs.length !== n * numClasses)
        throw new RangeError(
          `the model returned ${probs.length} values for ${n} images x ${numClasses} classes`,
        );
      out.set(asProbabilities(probs, numClasses), start * numClasses);
      done += n;
      onBatch?.(done);
    });
    all.push(job);
    inFlight.add(job);
    const settle = () => inFlight.delete(job);
    job.then(settle, settle);
    if (inFlight.size >= concurrency) await Promise.race(inFlight);
  }
  await Promise.all(all);
  return out;
}

/**
 * A model whose last layer is softmax already gives probabilities; one exported without it gives logits.
 * Rows that are not a probability distribution are passed through a softmax so metrics stay meaningful.
 */
export function asProbabilities(values: Float32Array, k: number): Float32Array {
  const n = values.length / k;
  let isDistribution = true;
  for (let i = 0; i < n && isDistribution; i++) {
    let s = 0;
    for (let c = 0; c < k; c++) {
      const v = values[i * k + c]!;
      if (v < 0 || v > 1 || Number.isNaN(v)) isDistribution = false;
      s += v;
    }
    if (Math.abs(s - 1) > 1e-3) isDistribution = false;
  }
  if (isDistribution) return values;
  const out = new Float32Array(values.length);
  for (let i = 0; i < n; i++) {
    let max = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < k; c++) max = Math.max(max, values[i * k + c]!);
    let s = 0;
    for (let c = 0; c < k; c++) s += out[i * k + c] = Math.exp(values[i * k + c]! - max);
    for (let c = 0; c < k; c++) out[i * k + c]! /= s;
  }
  return out;
}
