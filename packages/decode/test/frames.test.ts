import { LINE_ALPHABET_36, LINE_ALPHABETS } from '@hcr/core';
import { bestPath, decodeCtc, decodeCtcEnsemble } from '@hcr/decode';
import { describe, expect, it } from 'vitest';
import { matrix, randomProbs, rng } from './helpers.js';

const A36 = LINE_ALPHABET_36;
const A62 = LINE_ALPHABETS.find((a) => a.id === 'hcr62-line')!;

describe('frame validation', () => {
  const ab = () => matrix([{ A: 0.9 }, { '': 0.9 }, { B: 0.9 }], A36);
  const readers = [
    (p: Float32Array, frames = 3) => decodeCtc(p, frames, A36),
    (p: Float32Array, frames = 3) => decodeCtc(p, frames, A36, { beam: 1 }),
    (p: Float32Array, frames = 3) => bestPath(p, frames, A36),
    (p: Float32Array, frames = 3) => decodeCtcEnsemble([ab(), p], frames, A36),
  ];

  it('rejects non-finite values, values above 1 and rows that do not sum to 1 (DECODE_INPUT_INVALID)', () => {
    const bad: [string, (p: Float32Array) => void, RegExp][] = [
      ['Infinity', (p) => (p[A36.size + 5] = Number.POSITIVE_INFINITY), /probs\[1, 5\] is Infinity/],
      ['NaN', (p) => (p[7] = Number.NaN), /probs\[0, 7\] is NaN/],
      ['above 1', (p) => (p[2 * A36.size + 3] = 1.5), /probs\[2, 3\] is 1\.5/],
      [
        'logits',
        (p) => {
          for (let i = 0; i < p.length; i++) p[i] = Math.log(p[i]!);
        },
        /is -\d/,
      ],
      ['row sum', (p) => (p[A36.size] = 0.5), /row 1 sums to 0\.6/],
      ['zero row', (p) => p.fill(0, 0, A36.size), /row 0 sums to 0/],
    ];
    for (const [what, spoil, msg] of bad) {
      const p = ab();
      spoil(p);
      for (const read of readers)
        expect(() => read(p), what).toThrow(
          expect.objectContaining({ code: 'DECODE_INPUT_INVALID', message: expect.stringMatching(msg) }),
        );
    }
  });

  it('rejects a matrix laid out for another alphabet', () => {
    // 43 frames of the 69-symbol hcr62 alphabet are 69 whole rows of 43: same length, wrong rows
    const p = randomProbs(43, A62.size, rng(1));
    expect(() => decodeCtc(p, 43, A36)).toThrow(/sums to/);
  });

  it('accepts float32 softmax rows and ignores padded rows beyond frames', () => {
    const p = new Float32Array(5 * A36.size);
    p.set(randomProbs(3, A36.size, rng(2), 8));
    p.fill(7, 3 * A36.size); // padding: not a distribution, never read
    expect(() => decodeCtc(p, 3, A36)).not.toThrow();
    const wide = randomProbs(400, A62.size, rng(3), 12);
    expect(() => decodeCtc(wide, 400, A62)).not.toThrow();
  });
});

describe('a row whose allowed symbols have no mass', () => {
  // float32 softmax underflow: the forbidden '-' holds all the mass of its frame
  const oneHot = ['1', '', '2', '-', '3', '', '4'].map((s) => ({ [s]: 1 }));

  it('goes to the blank, so beam search and best path agree', () => {
    const p = matrix(oneHot, A36);
    for (const beam of [1, 8]) {
      const r = decodeCtc(p, oneHot.length, A36, { classes: 'digits', beam });
      expect(r, `beam ${beam}`).toMatchObject({ text: '1234', constraintUnsatisfied: false });
      expect(r.confidence, `beam ${beam}`).toBeCloseTo(1, 6);
    }
    expect(bestPath(p, oneHot.length, A36, 'digits')).toBe('1234');
    expect(decodeCtc(p, oneHot.length, A36, { pattern: '\\d+', classes: 'digits' }).text).toBe('1234');
  });
});
