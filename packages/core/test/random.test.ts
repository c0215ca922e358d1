import { describe, expect, it } from 'vitest';
import { createRng, sampleIndices } from '../src/index.js';

describe('seeded randomness', () => {
  it('createRng gives the same stream for the same seed, another for another seed', () => {
    const a = createRng(7);
    const b = createRng(7);
    const c = createRng(8);
    const first = Array.from({ length: 5 }, () => a.next());
    expect(Array.from({ length: 5 }, () => b.next())).toEqual(first);
    expect(Array.from({ length: 5 }, () => c.next())).not.toEqual(first);
  });

  it('sampleIndices picks n distinct indices of the range in increasing order, the same for the same seed', () => {
    const s = Array.from(sampleIndices(1000, 50, 3));
    expect(s).toHaveLength(50);
    expect(new Set(s).size).toBe(50);
    expect(s.every((i) => i >= 0 && i < 1000)).toBe(true);
    expect([...s].sort((x, y) => x - y)).toEqual(s);
    expect(Array.from(sampleIndices(1000, 50, 3))).toEqual(s);
    expect(Array.from(sampleIndices(1000, 50, 4))).not.toEqual(s);
    // spread over the range, not its start: a sample is no prefix
    expect(s[s.length - 1]).toBeGreaterThan(500);
    expect(Array.from(sampleIndices(5, 9, 3))).toEqual([0, 1, 2, 3, 4]);
    expect(sampleIndices(0, 3, 3)).toHaveLength(0);
  });
});
