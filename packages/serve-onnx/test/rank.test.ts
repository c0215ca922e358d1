import { createRng, LABEL_SPACE_36 } from '@hcr/core';
import { describe, expect, it } from 'vitest';
import { rankClasses } from '../src/classes.js';

/** The definition: every candidate class sorted by confidence (desc), ties by class index, first k. */
function sortedHead(p: Float32Array, names: readonly string[], k: number, allowed?: number[]) {
  return (allowed ?? names.map((_, i) => i))
    .map((i) => ({ label: names[i]!, classIndex: i, confidence: p[i]! }))
    .sort((a, b) => b.confidence - a.confidence || a.classIndex - b.classIndex)
    .slice(0, Math.max(1, k));
}

describe('rankClasses', () => {
  it('lists the head of the full ranking (ties by class index), for any k, with and without a filter', () => {
    const names = LABEL_SPACE_36.classes;
    const rng = createRng(5);
    for (let t = 0; t < 3000; t++) {
      // many exact ties (0 and 0.25) so the tie-break is exercised
      const p = Float32Array.from(names, () => (rng.next() < 0.3 ? 0 : rng.next() < 0.4 ? 0.25 : rng.next()));
      const k = rng.int(40);
      expect(rankClasses(p, names, k).topK).toEqual(sortedHead(p, names, k));
      const digits = [...Array(10).keys()];
      // a filter without twins to fold (only digits' own probabilities count when letters are zero)
      const q = p.map((v, i) => (i < 10 ? v : 0));
      expect(rankClasses(q, names, k, digits).topK).toEqual(sortedHead(q, names, k, digits));
    }
  });
});
