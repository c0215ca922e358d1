import { HcrError, LABEL_SPACE_62, LINE_ALPHABET_36, lineAlphabet } from '@hcr/core';
import { describe, expect, it } from 'vitest';
import { createCharLanguageModel, decodeCtc } from '../src/index.js';
import { matrix, tinyAlphabet } from './helpers.js';

const A = LINE_ALPHABET_36;
const enc = (text: string) => [...text].map((ch) => A.symbols.indexOf(ch));

describe('character language model', () => {
  const names = ['THOMAS', 'THOMASSIN', 'MARION', 'MARTIN', 'MATHIS', 'TOM', 'SAMI', 'JEAN', 'MICHEL'];
  const lm = createCharLanguageModel(names, A);

  it('is a distribution over texts: with order 1, words, separators and the end of the text sum to 1', () => {
    const uni = createCharLanguageModel([...names, 'JEAN-PIERRE', 'ANNE MARIE'], A, { order: 1 });
    const letters = A.symbols
      .map((_, k) => k)
      .filter((k) => k > 0 && ![' ', '-', "'"].includes(A.symbols[k]!));
    // one word of n letters, then the end of the text: (1-q)^n q E, q = p(end of word), E = p(end of text)
    const empty = Math.exp(uni.logProb([]));
    let one = 0;
    let two = 0;
    for (const c of letters) {
      one += Math.exp(uni.logProb([c]));
      for (const d of letters) two += Math.exp(uni.logProb([c, d]));
    }
    expect(two / one).toBeCloseTo(one / empty, 9);
    const q = 1 - one / empty;
    const end = empty / q;
    // after a word: a separator (then another word) or the end of the text
    const sep = [' ', '-', "'"].map((s) => Math.exp(uni.logProb([A.symbols.indexOf(s)])) / (q * q * end));
    expect(end + sep.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
    expect(sep[0]).toBeGreaterThan(sep[2]!); // a space was seen, an apostrophe not
  });

  it('makes the empty text, separators and a trailing separator cost', () => {
    expect(lm.logProb([])).toBeLessThan(-4); // p(end | start): no listed name is empty
    expect(lm.logProb(enc('JEAN-'))).toBeLessThan(lm.logProb(enc('JEAN')) - 2);
    expect(lm.logProb(enc('JEAN '))).toBeLessThan(lm.logProb(enc('JEAN')) - 2);
    expect(lm.logProb(enc('JEAN MICHEL'))).toBeLessThan(lm.logProb(enc('JEAN')) + lm.logProb(enc('MICHEL')));
  });

  it('prefers the spelling it has seen: THOMAS over THOHAS, MARION over HARION', () => {
    expect(lm.logProb(enc('THOMAS'))).toBeGreaterThan(lm.logProb(enc('THOHAS')) + 2);
    expect(lm.logProb(enc('MARION'))).toBeGreaterThan(lm.logProb(enc('HARION')) + 1);
  });

  it('scores the words of a compound name separately (spaces, hyphens, apostrophes), plus the separator', () => {
    // the words' letters do not depend on the separator: only its own probability does
    const hyphen = lm.logProb(enc('JEAN-MICHEL')) - lm.logProb(enc('JEAN')) - lm.logProb(enc('MICHEL'));
    const space = lm.logProb(enc('JEAN MICHEL')) - lm.logProb(enc('JEAN')) - lm.logProb(enc('MICHEL'));
    expect(lm.logProb(enc('TOM-SAMI')) - lm.logProb(enc('TOM')) - lm.logProb(enc('SAMI'))).toBeCloseTo(
      hyphen,
      9,
    );
    expect(hyphen).toBeLessThan(0);
    expect(space).toBeLessThan(0);
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

  it('removes accents as createLexicon does: the same list kept HÉLÈNE as a word and dropped it from the model', () => {
    const accented = createCharLanguageModel(['HÉLÈNE', 'JÉRÔME', 'THOMAS'], A);
    const plain = createCharLanguageModel(['HELENE', 'JEROME', 'THOMAS'], A);
    expect(accented.words).toBe(3);
    const helene = [...'HELENE'].map((c) => A.symbols.indexOf(c));
    expect(accented.logProb(helene)).toBeCloseTo(plain.logProb(helene), 12);
    expect(createCharLanguageModel(['ÉLISE'], A).words).toBe(1); // was LANGUAGE_MODEL_EMPTY
  });

  it('checks its options: an infinite smoothing (NaN scores), a misspelt key, options that are not an object', () => {
    const bad: [unknown, RegExp][] = [
      [{ smoothing: Number.POSITIVE_INFINITY }, /^smoothing must be a number above 0, got Infinity\.$/],
      [{ smoothing: '0.5' }, /^smoothing must be a number above 0, got the string "0\.5"\.$/],
      [{ ordr: 2 }, /^unknown option 'ordr' of createCharLanguageModel; the options are order, smoothing\.$/],
      [null, /^The options must be an object, got null\.$/],
    ];
    for (const [options, problem] of bad) {
      let err: unknown;
      try {
        createCharLanguageModel(names, A, options as never);
      } catch (e) {
        err = e;
      }
      expect(err).toMatchObject({ code: 'DECODE_OPTION_INVALID', problem: expect.stringMatching(problem) });
    }
    expect(Number.isFinite(createCharLanguageModel(names, A, { smoothing: 1e6 }).logProb([11]))).toBe(true);
  });

  it('on a case-sensitive alphabet, scores a listed word in capitals and title-cased alike', () => {
    const A62 = lineAlphabet(LABEL_SPACE_62);
    const enc62 = (text: string) => [...text].map((ch) => A62.symbols.indexOf(ch));
    const cased = createCharLanguageModel(names, A62); // listed in capitals, as name lists often are
    // close, not equal: each form shares its contexts with other words differently
    expect(Math.abs(cased.logProb(enc62('Thomas')) - cased.logProb(enc62('THOMAS')))).toBeLessThan(0.5);
    expect(cased.logProb(enc62('Thomas'))).toBeGreaterThan(cased.logProb(enc62('Thohas')) + 2);
    expect(cased.logProb(enc62('tHOMAS'))).toBeLessThan(cased.logProb(enc62('Thomas')) - 4); // not a listed form
    // a case-merged alphabet is unchanged: one form per word
    expect(createCharLanguageModel(names, A).words).toBe(names.length);
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

  it('does not drop a clean short read for the empty text, and orders alternatives by the score used', () => {
    const lea = tinyAlphabet(['L', 'E', 'A', 'X', '-']);
    const lm = createCharLanguageModel(
      ['LEON', 'MARIE', 'ALEXANDRE', 'LEANDRE'].map((w) => w.replace(/[^LEAX]/g, 'X')),
      lea,
    );
    // L E A each read at 0.6 (the blank 0.38) between blanks: LEA is 7 times likelier than nothing
    const ch = (c: string) => ({ [c]: 0.6, '': 0.38 });
    const p = matrix([ch('L'), { '': 0.9 }, ch('E'), { '': 0.9 }, ch('A'), { '': 0.9 }], lea);
    const r = decodeCtc(p, 6, lea, { beam: 8, topK: 8, languageModel: lm });
    expect(r).toMatchObject({ text: 'LEA', constraintUnsatisfied: false });
    const score = (a: { text: string; confidence: number }) =>
      Math.log(a.confidence) + 0.5 * lm.logProb([...a.text].map((ch) => lea.symbols.indexOf(ch)));
    const scores = r.alternatives.map(score);
    expect(scores).toEqual([...scores].sort((x, y) => y - x));
  });
});
