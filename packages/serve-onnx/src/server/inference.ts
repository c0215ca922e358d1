import type { Recognizer } from '../recognizer.js';
import { type BatcherOptions, MicroBatcher } from './batcher.js';
import type { Metrics } from './metrics.js';

export interface CharacterInference {
  /** Class probabilities of each image (one subarray per image). */
  infer(images: Uint8Array[]): Promise<Float32Array[]>;
  /** The same for `count` images still being prepared (the batcher may wait for them to share a run). */
  inferWhenReady(count: number, images: Promise<Uint8Array[]>): Promise<Float32Array[]>;
  /** The micro-batcher, when batching is on (for /metrics). */
  batcher?: MicroBatcher<Uint8Array, Float32Array>;
}

/** The character model behind POST /v1/predict, micro-batched unless `batching` is false. */
export function createCharacterInference(
  rec: Recognizer,
  batching: BatcherOptions | false,
  metrics: Metrics,
): CharacterInference {
  const runBatch = async (images: Uint8Array[]): Promise<Float32Array[]> => {
    const probs = await rec.infer(images);
    const n = rec.info.classNames.length;
    return images.map((_, i) => probs.subarray(i * n, (i + 1) * n));
  };
  const onBatch = (size: number, seconds: number) => {
    metrics.batchSize.observe(size);
    metrics.inference.observe(seconds);
  };
  if (batching) {
    const batcher = new MicroBatcher(runBatch, batching, onBatch);
    return {
      infer: (images) => batcher.submit(images),
      inferWhenReady: (count, images) => batcher.submitWhenReady(count, images),
      batcher,
    };
  }
  const infer = async (images: Uint8Array[]) => {
    const t0 = performance.now();
    const out = await runBatch(images);
    onBatch(images.length, (performance.now() - t0) / 1000);
    return out;
  };
  return { infer, inferWhenReady: async (_count, images) => infer(await images) };
}
