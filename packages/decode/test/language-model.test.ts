import { HcrError, LINE_ALPHABET_36 } from '@hcr/core';
import { describe, expect, it } from 'vitest';
import { createCharLanguageModel, decodeCtc } from '../src/index.js';
import { matrix, tinyAlphabet } from './helpers.js';

const A = LINE_ALPHABET_36;
const enc = (text: string) => [...text].map((ch) => A.symbols.indexOf(ch));

describe('character language model', () => {
  const names = ['THOMAS', 'THOMASSIN', 'MARION', 'MARTIN', 'MATHIS', 'TOM', 'SAMI', 'JEAN', 'MICHEL'];
  const lm = createCharLanguageModel(names, A);

  it('is a distribution: with order 1, p(c) over the letters and p(end) sum to 1', () => {
    const uni = createCharLanguageModel(names, A, { order: 1 });
    const letters = A.symbols
      .map((_, k) => k)
      .filter((k) => k > 0 && ![' ', '-', "'"].includes(A.symbols[k]!));
    // one-letter words: p(c) p(end); two-letter words: p(c) p(d) p(end). Summed: q(1-q) and q(1-q)^2
    let one = 0;
    let two = 0;
    for (const c of letters) {
      one += Math.exp(uni.logProb([c]));
      for (const d of letters) two += Math.exp(uni.logProb([c, d]));
    }
    const end = 1 - two / one;
    expect(end).toBeGreaterThan(0);
    expect(one).toBeCloseTo(end * (1 - end), 9);
  });

  it('prefers the spelling it has seen: THOMAS over THOHAS, MARION over HARION', () => {
    expect(lm.logProb(enc('THOMAS'))).toBeGreaterThan(lm.logProb(enc('THOHAS')) + 2);
    expect(lm.logProb(enc('MARION'))).toBeGreaterThan(lm.logProb(enc('HARION')) + 1);
  });

  it('scores the words of a compound name separately (spaces, hyphens, apostrophes)', () => {
    expect(lm.logProb(enc('JEAN-MICHEL'))).toBeCloseTo(
      lm.logProb(enc('JEAN')) + lm.logProb(enc('MICHEL')),
      9,
    );
    expect(lm.logProb(enc('JEAN MICHEL'))).toBeCloseTo(lm.logProb(enc('JEAN-MICHEL')), 9);
  });

  it('rejects an empty word list, a bad order and a model of another alphabet', () => {
    expect(() => createCharLanguageModel(['', '1234'], tinyAlphabet(['A', 'B']))).toThrow(HcrError);
    expect(() => createCharLanguageModel(names, A, { order: 0 })).toThrow(/order/);
    const tiny = tinyAlphabet(['H', 'M', 'A']);
    const p = matrix([{ H: 0.9 }, { '': 0.9 }], tiny);
    expect(() => decodeCtc(p, 2, tiny, { languageModel: lm })).toThrow(/alphabet/);
    expect(() =>
      decodeCtc(p, 2, tiny, {
        languageModel: createCharLanguageModel(['MA'], tiny),
        languageModelWeight: -1,
      }),
    ).toThrow(/languageModelWeight/);
  });
});

describe('decoding with a language model', () => {
  const ab = tinyAlphabet(['H', 'M', 'A']);
  // the image says H a little more than M, then A
  const p = matrix([{ H: 0.5, M: 0.45 }, { '': 0.9 }, { A: 0.9 }], ab);

  it('without one, reads what the image favours', () => {
    expect(decodeCtc(p, 3, ab, { beam: 8 }).text).toBe('HA');
  });

  it('with one, the likelier word wins a near tie; confidence stays the image probability', () => {
    const lm = createCharLanguageModel(['MA', 'MAMA', 'AMA'], ab);
    const r = decodeCtc(p, 3, ab, { beam: 8, languageModel: lm });
    expect(r.text).toBe('MA');
    const plain = decodeCtc(p, 3, ab, { beam: 8, topK: 5 });
    const ma = plain.alternatives.find((a) => a.text === 'MA')!;
    expect(r.confidence).toBeCloseTo(ma.confidence, 9);
    expect(r.alternatives[0]!.text).toBe('MA');
  });

  it('weight 0 is the plain ranking, and a clear image still beats the model', () => {
    const lm = createCharLanguageModel(['MA'], ab);
    expect(decodeCtc(p, 3, ab, { beam: 8, languageModel: lm, languageModelWeight: 0 }).text).toBe('HA');
    const clear = matrix([{ H: 0.97, M: 0.01 }, { '': 0.97 }, { A: 0.97 }], ab);
    expect(decodeCtc(clear, 3, ab, { beam: 8, languageModel: lm }).text).toBe('HA');
  });
});
