import type { ShardResult } from './protocol.js';

export interface ReducedStep {
  /** Mean gradient over the shards, clipped to `clipNorm` (global L2 norm). */
  grads: Float32Array;
  /** Mean batch-norm state over the shards. */
  state: Float32Array;
  /** Gradient norm before clipping. */
  norm: number;
  lossSum: number;
  correct: number;
  count: number;
}

/**
 * Averages the shards' gradients and state in a fixed order (shard 0, 1, ...): the same sum whatever the
 * number of workers, so 1 and 2 workers train the same numbers. Clips the global norm when `clipNorm > 0`.
 */
export function reduceShards(results: ShardResult[], paramCount: number, clipNorm: number): ReducedStep {
  const grads = new Float32Array(paramCount);
  const state = new Float32Array(results[0]!.state.length);
  let lossSum = 0;
  let correct = 0;
  let count = 0;
  for (const r of results) {
    for (let i = 0; i < paramCount; i++) grads[i]! += r.grads[i]!;
    for (let i = 0; i < state.length; i++) state[i]! += r.state[i]!;
    lossSum += r.lossSum;
    correct += r.correct;
    count += r.count;
  }
  const inv = 1 / results.length;
  let norm2 = 0;
  for (let i = 0; i < paramCount; i++) {
    const g = grads[i]! * inv;
    grads[i] = g;
    norm2 += g * g;
  }
  for (let i = 0; i < state.length; i++) state[i]! *= inv;
  const norm = Math.sqrt(norm2);
  if (clipNorm > 0 && norm > clipNorm) {
    const s = clipNorm / norm;
    for (let i = 0; i < paramCount; i++) grads[i]! *= s;
  }
  return { grads, state, norm, lossSum, correct, count };
}
