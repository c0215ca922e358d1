import { LABEL_SPACE_62, LINE_ALPHABET_36, lineAlphabet } from '@hcr/core';
import {
  bestPath,
  createLexicon,
  decodeCtc,
  parseCharacterClass,
  syntheticProbs,
  validateDecodeOptions,
} from '@hcr/decode';
import { describe, expect, it } from 'vitest';
import { exhaustive, matrix, randomProbs, rng, tinyAlphabet } from './helpers.js';

const A36 = LINE_ALPHABET_36;
const A62 = lineAlphabet(LABEL_SPACE_62);

describe('best path', () => {
  it('collapses repeats and drops blanks; a blank separates a doubled letter', () => {
    const p = matrix(
      [{ A: 0.9 }, { A: 0.9 }, { '': 0.9 }, { A: 0.9 }, { B: 0.8 }, { B: 0.7 }, { '': 0.9 }, { C: 0.6 }],
      A36,
    );
    expect(bestPath(p, 8, A36)).toBe('AABC');
    const r = decodeCtc(p, 8, A36, { beam: 1 });
    expect(r.text).toBe('AABC');
    expect(r.characters.map((c) => [c.char, c.start, c.end])).toEqual([
      ['A', 0, 2],
      ['A', 3, 4],
      ['B', 4, 6],
      ['C', 7, 8],
    ]);
    expect(r.characters[2].confidence).toBeCloseTo(0.8, 5);
    // the beam's best alignment (Viterbi) gives the same spans
    const b = decodeCtc(p, 8, A36, { beam: 8 });
    expect(b.text).toBe('AABC');
    expect(b.characters).toEqual(r.characters);
  });
  it('uses only the first `frames` rows of a padded batch row', () => {
    const p = matrix([{ A: 0.9 }, { '': 0.9 }, { B: 0.9 }, { B: 0.9 }], A36);
    expect(bestPath(p, 2, A36)).toBe('A');
    expect(decodeCtc(p, 2, A36).text).toBe('A');
  });
});

describe('beam search', () => {
  it('finds the text whose alignments sum to more than the best single path (the classic example)', () => {
    const ab = tinyAlphabet(['A']);
    const p = matrix(
      [
        { '': 0.6, A: 0.4 },
        { '': 0.6, A: 0.4 },
      ],
      ab,
    );
    expect(bestPath(p, 2, ab)).toBe('');
    const r = decodeCtc(p, 2, ab, { beam: 4 });
    expect(r.text).toBe('A');
    // p(A) = AA + A- + -A = 0.16 + 0.24 + 0.24
    expect(r.confidence).toBeCloseTo(0.64, 6);
    expect(r.alternatives).toEqual([
      { text: 'A', confidence: expect.closeTo(0.64, 6) },
      { text: '', confidence: expect.closeTo(0.36, 6) },
    ]);
  });

  it('matches brute force on every tiny case (T=4, C=3): best text, its probability and the ranking', () => {
    const abc = tinyAlphabet(['A', 'B']);
    const rand = rng(7);
    for (let trial = 0; trial < 40; trial++) {
      const p = randomProbs(4, 3, rand, 2 + trial / 10);
      const truth = [...exhaustive(p, 4, abc)].sort((a, b) => b[1] - a[1]);
      const r = decodeCtc(p, 4, abc, { beam: 64, topK: 20, minSymbolProb: 0 });
      expect(r.text).toBe(truth[0][0]);
      expect(r.confidence).toBeCloseTo(truth[0][1], 6);
      expect(r.alternatives.length).toBe(truth.length);
      r.alternatives.forEach((alt, i) => {
        expect(alt.confidence).toBeCloseTo(truth[i][1], 6);
        expect(alt.confidence).toBeCloseTo(truth.find(([t]) => t === alt.text)![1], 6);
      });
    }
  });

  it('under a class, equals brute force conditioned on paths that use only the class', () => {
    const abc = tinyAlphabet(['A', 'B', '1']);
    const rand = rng(13);
    for (let trial = 0; trial < 20; trial++) {
      const p = randomProbs(4, 4, rand, 3);
      // p(text | x, class) = p(text | x) / p(every frame emits blank or a class symbol)
      let z = 1;
      for (let t = 0; t < 4; t++) z *= p[t * 4] + p[t * 4 + 1] + p[t * 4 + 2];
      const truth = [...exhaustive(p, 4, abc)].filter(([t]) => /^[AB]*$/.test(t)).sort((a, b) => b[1] - a[1]);
      const r = decodeCtc(p, 4, abc, { classes: 'letters', beam: 64, topK: 20, minSymbolProb: 0 });
      expect(r.alternatives.map((a) => a.text)).toEqual(truth.map(([t]) => t));
      r.alternatives.forEach((alt, i) => {
        expect(alt.confidence).toBeCloseTo(truth[i][1] / z, 6);
      });
    }
  });

  it('with a narrow beam still returns exact probabilities for the texts it finds', () => {
    const abc = tinyAlphabet(['A', 'B']);
    const rand = rng(11);
    for (let trial = 0; trial < 20; trial++) {
      const p = randomProbs(5, 3, rand);
      const truth = exhaustive(p, 5, abc);
      const r = decodeCtc(p, 5, abc, { beam: 2, topK: 2 });
      for (const alt of r.alternatives) expect(alt.confidence).toBeCloseTo(truth.get(alt.text)!, 6);
    }
  });

  it('returns distinct alternatives, best first, the first equal to the text, confidences in 0..1', () => {
    const rand = rng(3);
    for (let trial = 0; trial < 10; trial++) {
      const p = randomProbs(30, A36.size, rand, 6);
      const r = decodeCtc(p, 30, A36, { beam: 16, topK: 10 });
      expect(r.alternatives[0].text).toBe(r.text);
      expect(r.alternatives[0].confidence).toBe(r.confidence);
      expect(new Set(r.alternatives.map((a) => a.text)).size).toBe(r.alternatives.length);
      expect(r.alternatives.length).toBe(10);
      for (let i = 1; i < r.alternatives.length; i++)
        expect(r.alternatives[i].confidence).toBeLessThanOrEqual(r.alternatives[i - 1].confidence);
      for (const x of [r.confidence, ...r.characters.map((c) => c.confidence)]) {
        expect(x).toBeGreaterThanOrEqual(0);
        expect(x).toBeLessThanOrEqual(1);
      }
      expect(r.characters.map((c) => c.char).join('')).toBe(r.text);
    }
  });

  it('gives a clear read a higher confidence than a smudged one', () => {
    const clear = matrix([{ H: 0.97 }, { '': 0.97 }, { I: 0.97 }], A36);
    const smudged = matrix([{ H: 0.6, N: 0.3 }, { '': 0.9 }, { I: 0.55, '1': 0.4 }], A36);
    const a = decodeCtc(clear, 3, A36);
    const b = decodeCtc(smudged, 3, A36);
    expect([a.text, b.text]).toEqual(['HI', 'HI']);
    expect(a.confidence).toBeGreaterThan(0.85);
    expect(b.confidence).toBeLessThan(0.4);
  });

  it('reads zero frames as the empty text', () => {
    const r = decodeCtc(new Float32Array(0), 0, A36);
    expect(r).toMatchObject({ text: '', confidence: 1, constraintUnsatisfied: false });
  });
});

describe('character classes', () => {
  // "2O5": the middle character leans to the letter O.
  const p = matrix(
    [{ '2': 0.9, Z: 0.06 }, { '': 0.9 }, { O: 0.6, '0': 0.35 }, { '': 0.9 }, { '5': 0.5, S: 0.45 }],
    A36,
  );
  it('digits turns an O-leaning frame into 0 and conditions the confidence on the class', () => {
    expect(decodeCtc(p, 5, A36).text).toBe('2O5');
    const r = decodeCtc(p, 5, A36, { classes: 'digits' });
    expect(r.text).toBe('205');
    expect(bestPath(p, 5, A36, 'digits')).toBe('205');
    expect(decodeCtc(p, 5, A36, { beam: 1, classes: 'digits' }).text).toBe('205');
    expect(r.confidence).toBeGreaterThan(decodeCtc(p, 5, A36).confidence);
    expect(r.characters[1]).toMatchObject({ char: '0', start: 2, end: 3 });
    expect(r.characters[1].confidence).toBeGreaterThan(0.9);
  });
  it('in a case-sensitive alphabet, folds a letter into its other case and a lower-case o or l into 0 or 1', () => {
    // A form's capitals: the reader hesitates between o and O, s and S (the same shapes in both cases).
    const caps = matrix([{ o: 0.5, O: 0.4 }, { '': 0.9 }, { s: 0.55, S: 0.4 }, { '': 0.9 }, { T: 0.9 }], A62);
    expect(decodeCtc(caps, 5, A62).text).toBe('osT');
    expect(decodeCtc(caps, 5, A62, { classes: 'uppercase' }).text).toBe('OST');
    // the folded mass counts: p(OST | uppercase) is about 0.9^3, not the 0.4 x 0.4 x 0.9 left without folding
    expect(decodeCtc(caps, 5, A62, { classes: 'uppercase' }).confidence).toBeGreaterThan(0.6);
    expect(decodeCtc(caps, 5, A62, { classes: 'lowercase' }).text).toBe('ost');
    const amount = matrix(
      [{ l: 0.9, '': 0.05 }, { '': 0.9 }, { o: 0.9, '': 0.05 }, { '': 0.9 }, { '5': 0.9 }],
      A62,
    );
    expect(decodeCtc(amount, 5, A62, { classes: 'digits' }).text).toBe('105');
    expect(bestPath(amount, 5, A62, 'digits')).toBe('105');
  });
  it("gives a forbidden twin's probability to its allowed twin instead of to the blank", () => {
    // The reader is sure of the letter O and S, which a digits field cannot hold; the blank is the next guess.
    const q = matrix(
      [{ '1': 0.9 }, { '': 0.9 }, { O: 0.9, '': 0.06, '0': 0.03 }, { '': 0.9 }, { S: 0.9, '': 0.08 }],
      A36,
    );
    expect(decodeCtc(q, 5, A36, { classes: 'digits' }).text).toBe('105');
    expect(bestPath(q, 5, A36, 'digits')).toBe('105');
    // Without folding the class only renormalises, and the blank wins those frames.
    expect(decodeCtc(q, 5, A36, { classes: 'digits', foldTwins: false }).text).toBe('1');
    // Not the other way round: in a letters field a sure 1 or 0 is mostly a stray mark, not an I or O.
    const n = matrix(
      [{ N: 0.9 }, { '': 0.9 }, { '1': 0.9, '': 0.05 }, { '': 0.9 }, { '0': 0.9, '': 0.05 }],
      A36,
    );
    expect(decodeCtc(n, 5, A36, { classes: 'letters' }).text).toBe('N');
    // A letter the reader half believes still wins over the blank after renormalisation.
    const m = matrix([{ N: 0.9 }, { '': 0.9 }, { '0': 0.5, O: 0.4, '': 0.1 }], A36);
    expect(decodeCtc(m, 3, A36, { classes: 'letters' }).text).toBe('NO');
  });
  it('letters, alnum, uppercase and explicit sets', () => {
    expect(decodeCtc(p, 5, A36, { classes: 'letters' }).text).toBe('ZOS');
    expect(decodeCtc(p, 5, A36, { classes: 'alnum' }).text).toBe('2O5');
    expect(decodeCtc(p, 5, A36, { classes: 'uppercase' }).text).toBe('ZOS');
    expect(decodeCtc(p, 5, A36, { classes: { chars: '025' } }).text).toBe('205');
    expect(decodeCtc(p, 5, A36, { classes: { chars: '2os' } }).text).toBe('2OS');
  });
  it('excludes spaces and marks unless listed', () => {
    const q = matrix([{ '1': 0.9 }, { '.': 0.7, '0': 0.2 }, { '5': 0.9 }], A36);
    expect(decodeCtc(q, 3, A36).text).toBe('1.5');
    expect(decodeCtc(q, 3, A36, { classes: 'digits' }).text).toBe('105');
    expect(decodeCtc(q, 3, A36, { classes: parseCharacterClass('chars:0123456789.', A36) }).text).toBe('1.5');
  });
  it('parses the HTTP/CLI spelling and names the choices for anything else', () => {
    expect(parseCharacterClass('digits', A36)).toBe('digits');
    expect(parseCharacterClass('Letters', A36)).toBe('letters');
    expect(parseCharacterClass('chars:0-9', A36)).toEqual({ chars: '0-9' });
    expect(parseCharacterClass('chars:AB ', A36)).toEqual({ chars: 'AB ' });
    expect(() => parseCharacterClass('digitz', A36)).toThrow(
      /Unknown character class 'digitz'.*digits, letters, alnum/,
    );
    expect(() => parseCharacterClass('lowercase', A36)).toThrow(/no lowercase characters.*merges case/);
    expect(() => parseCharacterClass('chars:', A36)).toThrow(/empty/);
    expect(() => parseCharacterClass('chars:12€', A36)).toThrow(/'€'.*not in the alphabet/);
  });
});

describe('bad input', () => {
  const p = matrix([{ A: 0.9 }], A36);
  it('names beam and topK ranges', () => {
    for (const beam of [0, 65, 1.5])
      expect(() => decodeCtc(p, 1, A36, { beam })).toThrow(/beam must be .* 1 to 64/);
    for (const topK of [0, 21])
      expect(() => decodeCtc(p, 1, A36, { topK })).toThrow(/topK must be .* 1 to 20/);
    expect(() => decodeCtc(p, 1, A36, { minSymbolProb: 1 })).toThrow(/minSymbolProb/);
  });
  it('names a matrix that does not fit the alphabet or holds NaN', () => {
    expect(() => decodeCtc(p, 2, A36)).toThrow(/2 frames of 43 symbols/);
    expect(() => decodeCtc(new Float32Array(40), 1, A36)).toThrow(/whole rows/);
    expect(() => decodeCtc(p, -1, A36)).toThrow(/frames must be/);
    const bad = p.slice();
    bad[3] = Number.NaN;
    expect(() => decodeCtc(bad, 1, A36)).toThrow(/probs\[0, 3\] is NaN/);
  });
});

describe('bad options and arguments (audit)', () => {
  const p = matrix([{ A: 0.9 }], A36);
  const codeOf = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return e;
    }
    return undefined;
  };
  it('names an unknown option and the known ones', () => {
    for (const f of [
      () => decodeCtc(p, 1, A36, { beamWidth: 3 } as never),
      () => validateDecodeOptions({ beamWidth: 3 } as never, A36),
    ])
      expect(codeOf(f)).toMatchObject({
        code: 'DECODE_OPTION_INVALID',
        message: expect.stringMatching(/unknown option 'beamWidth'.*beam, topK, classes/),
      });
  });
  it('says a number was expected when given a string', () => {
    expect(codeOf(() => decodeCtc(p, 1, A36, { beam: '8' } as never))).toMatchObject({
      code: 'DECODE_OPTION_INVALID',
      message: expect.stringMatching(/beam must be a whole number from 1 to 64, got the string "8"/),
    });
    expect(codeOf(() => decodeCtc(p, 1, A36, { languageModelWeight: '0.5' } as never))).toMatchObject({
      code: 'DECODE_OPTION_INVALID',
      message: expect.stringMatching(
        /languageModelWeight must be a number in \[0, 5\], got the string "0.5"/,
      ),
    });
  });
  it('answers HcrError, not a TypeError, for null or non-array probabilities and null options', () => {
    for (const probs of [null, undefined, [0.5, 0.5], 'x'])
      expect(
        codeOf(() => decodeCtc(probs as never, 1, A36)),
        String(probs),
      ).toMatchObject({
        code: 'DECODE_INPUT_INVALID',
        message: expect.stringMatching(/Float32Array or Float64Array/),
      });
    expect(codeOf(() => bestPath(null as never, 1, A36))).toMatchObject({ code: 'DECODE_INPUT_INVALID' });
    expect(codeOf(() => decodeCtc(p, 1, A36, null as never))).toMatchObject({
      code: 'DECODE_OPTION_INVALID',
    });
  });
});

describe('validateDecodeOptions', () => {
  it('checks everything before the model runs and compiles the pattern once', () => {
    const v = validateDecodeOptions({ pattern: '\\d+', classes: 'digits' }, A36);
    expect(v).toMatchObject({ beam: 8, topK: 5, classes: 'digits' });
    expect(typeof v.pattern).toBe('object');
    const p = matrix([{ '7': 0.9 }], A36);
    expect(decodeCtc(p, 1, A36, v).text).toBe('7');
    expect(() => validateDecodeOptions({ pattern: '[0-9' }, A36)).toThrow(/unclosed '\[' at position 1/);
    expect(() => validateDecodeOptions({ topK: 50 }, A36)).toThrow(/topK/);
    expect(() => validateDecodeOptions({ classes: { chars: '' } }, A36)).toThrow(/empty/);
  });
});

describe('a case-sensitive alphabet', () => {
  const cs = { ...tinyAlphabet(['a', 'A', '1', ' ']), caseMerged: false };
  // the 1's runner-up is the blank, as in a trained reader's frames (what an uppercase class drops it to)
  const p = matrix([{ a: 0.5, A: 0.45 }, { '': 0.9 }, { '1': 0.9, '': 0.08 }], cs);
  it('keeps case in classes, patterns and lexicons', () => {
    expect(decodeCtc(p, 3, cs).text).toBe('a1');
    expect(decodeCtc(p, 3, cs, { classes: 'uppercase' }).text).toBe('A');
    expect(decodeCtc(p, 3, cs, { classes: { chars: 'A1' } }).text).toBe('A1');
    expect(decodeCtc(p, 3, cs, { pattern: '[A-Z]\\d' }).text).toBe('A1');
    expect(decodeCtc(p, 3, cs, { lexicon: createLexicon(['A1'], cs) }).text).toBe('A1');
    expect(parseCharacterClass('lowercase', cs)).toBe('lowercase');
  });
});

describe('confidence behaves', () => {
  it('is higher on average for correct reads than for wrong ones', () => {
    // Reader-like lines where look-alikes sometimes win: compare confidence of right and wrong reads.
    const rand = rng(2);
    const chars = '0123456789OISZB';
    const right: number[] = [];
    const wrong: number[] = [];
    for (let i = 0; i < 300; i++) {
      const truth = Array.from(
        { length: 4 + Math.floor(rand() * 6) },
        () => chars[Math.floor(rand() * chars.length)],
      ).join('');
      const r = decodeCtc(syntheticProbs(truth, 40, i), 40, A36);
      (r.text === truth ? right : wrong).push(r.confidence);
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(right.length).toBeGreaterThan(20);
    expect(wrong.length).toBeGreaterThan(20);
    expect(mean(right)).toBeGreaterThan(mean(wrong) + 0.1);
  });
});
