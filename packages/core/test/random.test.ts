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

describe('seeded randomness: arguments', () => {
  it('keeps the stream of every valid seed (values recorded before seeds were checked)', () => {
    const first = (seed: number) => {
      const r = createRng(seed);
      return [r.next(), r.next(), r.int(1000)];
    };
    expect(first(0)).toEqual([0.3588899802416563, 0.10590326134115458, 675]);
    expect(first(1)).toEqual([0.18967728852294385, 0.31778763560578227, 783]);
    expect(first(2 ** 31)).toEqual([0.2342744383495301, 0.4880514331161976, 960]);
    expect(first(2 ** 32 - 1)).toEqual([0.9919345872476697, 0.46276153065264225, 225]);
    // a large integer (the trainer's seed * 1_000_003 + epoch) keeps its low 32 bits, as before
    expect(first(4294967295 * 1_000_003 + 7)).toEqual([0.3331574611365795, 0.7336099487729371, 264]);
  });

  it('createRng refuses a seed that is NaN, infinite, fractional or negative', () => {
    for (const seed of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1.5, -1, -0.5])
      expect(() => createRng(seed), String(seed)).toThrow(/seed must be a whole number >= 0/);
    expect(() => createRng(0, -1)).toThrow(/state/);
    expect(() => createRng(0, 2 ** 32)).toThrow(/state/);
    expect(createRng(0, 7).next()).toBe(createRng(0, 7).next());
  });

  it('rng.int refuses a bound that is not a positive whole number', () => {
    const r = createRng(1);
    for (const n of [-5, 0, Number.NaN, Number.POSITIVE_INFINITY, 2.5])
      expect(() => r.int(n), String(n)).toThrow(/rng\.int/);
    // one draw has 32 bits: int(2 ** 40) could only give multiples of 256
    expect(() => r.int(2 ** 40)).toThrow(/rng\.int: the bound must be a whole number in \[1, 2\^32\]/);
    expect(r.int(2 ** 32)).toBe(createRng(1).int(2 ** 32)); // refused calls drew nothing
    // a refused call draws nothing: the stream goes on as if it had not been made
    const again = createRng(1);
    again.int(2);
    expect(r.int(1000)).toBe(again.int(1000));
  });

  it('sampleIndices refuses a negative or fractional count or n', () => {
    expect(() => sampleIndices(10, -1, 1)).toThrow(/sampleIndices/);
    expect(() => sampleIndices(10, 2.5, 1)).toThrow(/sampleIndices/);
    expect(() => sampleIndices(-3, 2, 1)).toThrow(/sampleIndices/);
    expect(() => sampleIndices(10, 3, -1)).toThrow(/seed/);
    expect(sampleIndices(10, 0, 1)).toHaveLength(0);
  });
});
