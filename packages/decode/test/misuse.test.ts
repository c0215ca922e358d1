import { LINE_ALPHABET_36 as alphabet, HcrError } from '@hcr/core';
import { describe, expect, it } from 'vitest';
import {
  benchDecode,
  classMask,
  compilePattern,
  createCharLanguageModel,
  createLexicon,
  type DecodeOptions,
  decodeCtc,
  memberProbs,
  parseCharacterClass,
} from '../src/index.js';

const C = alphabet.size;
/** `frames` frames that are all blank. */
const blanks = (frames: number) => {
  const p = new Float32Array(frames * C);
  for (let t = 0; t < frames; t++) p[t * C] = 1;
  return p;
};

function failure(f: () => unknown): HcrError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(HcrError);
    expect((e as HcrError).hint).toBeTruthy();
    return e as HcrError;
  }
  throw new Error('expected an HcrError');
}

describe('misuse of lexicons, language models and patterns', () => {
  it('a word list given as one string is refused (its letters were taken as the words)', () => {
    for (const make of [createLexicon, createCharLanguageModel]) {
      const e = failure(() => make('MARTIN\nDUPONT' as never, alphabet));
      expect(e.code).toBe('DECODE_INPUT_INVALID');
      expect(e.problem).toMatch(/takes a list of words, not one string/);
      expect(failure(() => make(null as never, alphabet)).problem).toMatch(/not null/);
    }
  });

  it('a word array given as lexicon says to build it with createLexicon (was "built for the alphabet undefined")', () => {
    const e = failure(() => decodeCtc(blanks(3), 3, alphabet, { lexicon: ['MARTIN'] } as never));
    expect(e.code).toBe('DECODE_OPTION_INVALID');
    expect(e.problem).toBe('lexicon must be what createLexicon(words, alphabet) returns, got an array.');
    expect(e.message).not.toMatch(/undefined/);
  });

  it('a pattern that is neither a source nor a compiled pattern is named as such', () => {
    for (const pattern of [5, {}, null]) {
      const e = failure(() => decodeCtc(blanks(3), 3, alphabet, { pattern } as unknown as DecodeOptions));
      expect(e.code).toBe('DECODE_OPTION_INVALID');
      expect(e.problem).toMatch(
        /^pattern must be a pattern source or what compilePattern\(source, alphabet\) returns/,
      );
    }
  });

  it('a language model that is not one is named as such (was "built for the alphabet undefined", or a TypeError)', () => {
    for (const [languageModel, got] of [
      [['MARTIN'], 'an array'],
      [{ alphabetId: alphabet.id }, 'an object'],
      [null, 'null'],
    ] as const) {
      const e = failure(() => decodeCtc(blanks(3), 3, alphabet, { languageModel } as never));
      expect(e.code).toBe('DECODE_OPTION_INVALID');
      expect(e.problem).toBe(
        `languageModel must be what createCharLanguageModel(words, alphabet) returns, got ${got}.`,
      );
    }
  });

  it('foldTwins must be a boolean: the string "false" folded', () => {
    // a 0-field whose reader saw a letter O: folding reads 0, not folding reads nothing
    const p = blanks(1);
    p[0] = 0.1;
    p[alphabet.symbols.indexOf('O')] = 0.9;
    expect(decodeCtc(p, 1, alphabet, { classes: 'digits', foldTwins: false }).text).toBe('');
    for (const foldTwins of ['false', 0, null]) {
      const e = failure(() => decodeCtc(p, 1, alphabet, { classes: 'digits', foldTwins } as never));
      expect(e.code).toBe('DECODE_OPTION_INVALID');
      expect(e.problem).toMatch(/^foldTwins must be true or false, got /);
    }
    expect(failure(() => decodeCtc(p, 1, alphabet, { foldTwins: 'false' } as never)).problem).toBe(
      'foldTwins must be true or false, got the string "false".',
    );
  });

  it("an automaton of one's own missing start, minRemaining or its alphabet is named (was a TypeError or an empty read)", () => {
    const A = alphabet.symbols.indexOf('A');
    const p = blanks(2);
    p[0] = 0;
    p[A] = 1;
    const own = {
      alphabetId: alphabet.id,
      alphabetSize: alphabet.size,
      start: 0,
      next: (s: number, k: number) => (s === 0 && k === A ? 1 : -1),
      accepts: (s: number) => s === 1,
      minRemaining: (s: number) => (s === 0 ? 1 : 0),
    };
    expect(decodeCtc(p, 2, alphabet, { pattern: own }).text).toBe('A');
    const cases: [Partial<typeof own>, string][] = [
      [{ minRemaining: undefined }, 'minRemaining(state)'],
      [{ start: undefined }, 'start (a state number)'],
      [{ alphabetId: undefined }, 'alphabetId and alphabetSize'],
    ];
    for (const [change, missing] of cases)
      for (const option of ['pattern', 'lexicon'] as const) {
        const e = failure(() => decodeCtc(p, 2, alphabet, { [option]: { ...own, ...change } } as never));
        expect(e.code).toBe('DECODE_OPTION_INVALID');
        expect(e.problem).toBe(
          `${option} is an automaton without ${missing}: a SymbolAutomaton has start, next, accepts, minRemaining, alphabetId and alphabetSize.`,
        );
      }
  });

  it('iterables other than arrays still make a lexicon', () => {
    expect(createLexicon(new Set(['MARTIN']), alphabet).has('MARTIN')).toBe(true);
  });
});

describe('misuse of the benchmark', () => {
  it('a time per case that is not above 0 is refused (it printed NaN decodes per second for every row)', () => {
    for (const msPerCase of [Number.NaN, 0, -5, '100']) {
      const e = failure(() => benchDecode({ msPerCase, print: false } as never));
      expect(e.code).toBe('DECODE_OPTION_INVALID');
      expect(e.problem).toMatch(/^msPerCase must be a number of milliseconds above 0, got /);
    }
  });
});

describe('misuse of the alphabet and class arguments', () => {
  it('a missing alphabet is DECODE_INPUT_INVALID (was a TypeError reading size)', () => {
    for (const bad of [null, undefined, {}]) {
      const e = failure(() => decodeCtc(blanks(3), 3, bad as never));
      expect(e.code).toBe('DECODE_INPUT_INVALID');
      expect(e.problem).toMatch(/^alphabet must be a LineAlphabet/);
    }
  });

  it('a frame count that is a string is called one (was "got 2" for \'2\')', () => {
    const e = failure(() => decodeCtc(blanks(2), '2' as never, alphabet));
    expect(e.code).toBe('DECODE_INPUT_INVALID');
    expect(e.problem).toBe('frames must be a whole number >= 0, got the string "2".');
    expect(failure(() => decodeCtc(blanks(2), 1.5, alphabet)).problem).toBe(
      'frames must be a whole number >= 0, got 1.5.',
    );
  });

  it('a class spelt as HTTP and the CLI write it says what to pass (core listed that very spelling as a choice)', () => {
    const cases: [string, string][] = [
      ['all', 'leave classes out to allow every character'],
      ['chars:0123.', 'pass classes: { chars: "0123." }'],
      ['0123456789', 'pass classes: { chars: "0123456789" }'],
      ['DIGITS', "pass classes: 'digits'"],
    ];
    for (const [classes, instead] of cases) {
      const e = failure(() => decodeCtc(blanks(2), 2, alphabet, { classes } as never));
      expect(e.code).toBe('CLASSES_INVALID');
      expect(e.problem).toBe(
        `classes ${JSON.stringify(classes)} is how HTTP and the CLI spell it: ${instead}.`,
      );
    }
    expect(failure(() => decodeCtc(blanks(2), 2, alphabet, { classes: 'digitz' } as never)).problem).toMatch(
      /^Unknown character class "digitz"/,
    );
    expect(decodeCtc(blanks(2), 2, alphabet, { classes: 'digits' }).text).toBe('');
  });

  it('a missing alphabet is DECODE_INPUT_INVALID for every builder too (was a TypeError reading size)', () => {
    const builders: [string, () => unknown][] = [
      ['compilePattern', () => compilePattern('A', undefined as never)],
      ['createLexicon', () => createLexicon(['MARTIN'], undefined as never)],
      ['createCharLanguageModel', () => createCharLanguageModel(['MARTIN'], undefined as never)],
      ['classMask', () => classMask('digits', undefined as never)],
      ['parseCharacterClass', () => parseCharacterClass('digits', undefined as never)],
    ];
    for (const [name, build] of builders) {
      const e = failure(build);
      expect([name, e.code, e.problem]).toEqual([
        name,
        'DECODE_INPUT_INVALID',
        'alphabet must be a LineAlphabet, got undefined.',
      ]);
    }
    expect(failure(() => compilePattern(5 as never, alphabet)).problem).toBe('A pattern is a string, got 5.');
    expect(failure(() => memberProbs([0.5, 0.5] as never, 1)).problem).toBe(
      'memberProbs takes a Float32Array or Float64Array, got an array.',
    );
  });

  it('a class that is not a string is CLASSES_INVALID (was a TypeError reading trim)', () => {
    const e = failure(() => parseCharacterClass(null as never, alphabet));
    expect(e.code).toBe('CLASSES_INVALID');
    expect(e.problem).toBe("A character class is a string such as 'digits', not null.");
  });
});
