import { LINE_ALPHABET_36 } from '@hcr/core';
import { decodeCtc, decodeCtcEnsemble, memberProbs } from '@hcr/decode';
import { describe, expect, it } from 'vitest';
import { exhaustive, matrix, randomProbs, rng, tinyAlphabet } from './helpers.js';

const A36 = LINE_ALPHABET_36;

describe('decodeCtcEnsemble', () => {
  it('ranks texts by the geometric mean of the members’ likelihoods', () => {
    const ab = tinyAlphabet(['A', 'B']);
    // One frame: p(text) is the frame's probability of its symbol.
    const sure = matrix([{ '': 0, A: 0.6, B: 0.4 }], ab);
    const other = matrix([{ '': 0, A: 0.1, B: 0.9 }], ab);
    expect(decodeCtc(sure, 1, ab).text).toBe('A');
    const r = decodeCtcEnsemble([sure, other], 1, ab, { beam: 4, topK: 2 });
    expect(r.text).toBe('B');
    expect(r.confidence).toBeCloseTo(Math.sqrt(0.4 * 0.9), 6);
    expect(r.alternatives).toEqual([
      { text: 'B', confidence: expect.closeTo(Math.sqrt(0.4 * 0.9), 6) },
      { text: 'A', confidence: expect.closeTo(Math.sqrt(0.6 * 0.1), 6) },
    ]);
    expect(r.characters[0].confidence).toBeCloseTo((0.4 + 0.9) / 2, 6);
  });

  it('agrees on a character two readers place at different frames, where averaging their frames loses it', () => {
    const ab = tinyAlphabet(['A']);
    const early = matrix([{ A: 0.98 }, { '': 0.98 }, { '': 0.98 }], ab);
    const late = matrix([{ '': 0.98 }, { '': 0.98 }, { A: 0.98 }], ab);
    const averaged = early.map((p, i) => (p + late[i]) / 2);
    expect(decodeCtc(averaged, 3, ab, { beam: 1 }).text).toBe('');
    for (const beam of [1, 8]) {
      const r = decodeCtcEnsemble([early, late], 3, ab, { beam });
      expect(r.text).toBe('A');
      const exact = Math.sqrt(exhaustive(early, 3, ab).get('A')! * exhaustive(late, 3, ab).get('A')!);
      expect(r.confidence).toBeCloseTo(exact, 6);
      expect(r.characters.map((c) => [c.char, c.start, c.end])).toEqual([['A', 0, 1]]); // the first member's frames
    }
  });

  it('reads like decodeCtc when its members agree, under every kind of option', () => {
    const rand = rng(7);
    for (let trial = 0; trial < 6; trial++) {
      const frames = 12 + trial * 3;
      const p = randomProbs(frames, A36.size, rand, 6);
      // topK = beam: a single reader then rescores its whole beam, as several members do
      for (const opts of [
        { beam: 1 },
        { beam: 6, topK: 6 },
        { classes: 'digits' as const, topK: 8 },
        { pattern: '[A-Z0-9]+', topK: 8 },
      ]) {
        const one = decodeCtc(p, frames, A36, opts);
        const two = decodeCtcEnsemble([p, p.slice()], frames, A36, opts);
        expect(two.text).toBe(one.text);
        expect(two.confidence).toBeCloseTo(one.confidence, 9);
        expect(two.alternatives.map((a) => a.text)).toEqual(one.alternatives.map((a) => a.text));
      }
    }
  });

  it('splits a line stacked reader after reader into one view per reader', () => {
    const stacked = Float32Array.from({ length: 12 }, (_, i) => i);
    const [a, b, c] = memberProbs(stacked, 3);
    expect([...a!, ...b!, ...c!]).toEqual([...stacked]);
    expect(b).toEqual(Float32Array.from([4, 5, 6, 7]));
    expect(() => memberProbs(stacked, 5)).toThrow(/12 values cannot be split between 5 readers/);
    expect(() => memberProbs(stacked, 0)).toThrow(/between 0 readers/);
  });

  it('refuses no members and members of the wrong size, naming the problem', () => {
    expect(() => decodeCtcEnsemble([], 3, A36)).toThrow(/at least one member/);
    const ok = randomProbs(4, A36.size, rng(1));
    expect(() => decodeCtcEnsemble([ok, ok.subarray(0, 3 * A36.size)], 4, A36)).toThrow(/4 frames/);
  });
});
