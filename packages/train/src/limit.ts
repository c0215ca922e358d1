import { createRng, shuffleInPlace } from '@hcr/core';

/**
 * The samples a `--limit-train N` run trains on: the first N of a seeded permutation of the split, sorted (so
 * they are read in split order), from a random stream of its own (not an epoch order's).
 */
export function limitedSample(count: number, limit: number, seed: number): Uint32Array {
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  shuffleInPlace(order, createRng(seed * 1_000_003 + 0x5eed));
  return order.slice(0, limit).sort();
}
