import { LABEL_SPACE_62, lineAlphabet } from '@hcr/core';
import { describe, expect, it } from 'vitest';
import { lazyLexicons, ReadOptionsCompiler } from '../src/reader/read-options.js';

const alphabet = lineAlphabet(LABEL_SPACE_62);
const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error('expected a refusal');
};

describe('the read options compiler: patterns sent by clients are cached within bounds', () => {
  it('holds compiled patterns up to its byte budget, dropping the oldest, and compiles a dropped one again', () => {
    const budget = 2 * 1024 * 1024;
    const compiler = new ReadOptionsCompiler(alphabet, new Map(), budget);
    // Each about 0.28 MB of transitions (about 1,000 states of 69 symbols): a client's long, distinct patterns.
    const patterns = Array.from({ length: 12 }, (_, i) => `${'.{100}'.repeat(10)}.{${i + 1}}`);
    const first = compiler.compile({ pattern: patterns[0] }).pattern;
    expect(compiler.cachedPatternBytes).toBeGreaterThan(250_000);
    expect(compiler.compile({ pattern: patterns[0] }).pattern).toBe(first); // a hit: the same automaton
    for (const p of patterns) compiler.compile({ pattern: p });
    expect(compiler.cachedPatternBytes).toBeLessThanOrEqual(budget);
    expect(compiler.cachedPatternBytes).toBeGreaterThan(budget / 2);
    // the first was dropped to make room: asked again, it is compiled anew (another object, the same answers)
    const again = compiler.compile({ pattern: patterns[0] }).pattern;
    expect(again).not.toBe(first);
    expect(again).toMatchObject({
      source: patterns[0],
      states: (first as unknown as { states: number }).states,
    });
    expect(compiler.cachedPatternBytes).toBeLessThanOrEqual(budget);
  });

  it('refuses a pattern sent again with the refusal it got first, without compiling it again', () => {
    const compiler = new ReadOptionsCompiler(alphabet, new Map());
    const hostile = '.{1,25}x.{1,25}'; // past the automaton's 4,000 states: refused after the work of finding out
    const first = refusal(() => compiler.compile({ pattern: hostile }));
    expect(first).toMatchObject({
      code: 'PATTERN_INVALID',
      message: expect.stringMatching(/4000 automaton states/),
    });
    expect(refusal(() => compiler.compile({ pattern: hostile }))).toBe(first);
    expect(compiler.cachedPatternBytes).toBe(0);
    // a good pattern is unaffected
    expect(compiler.compile({ pattern: '[A-Z]{2}[0-9]{4}' }).pattern).toMatchObject({
      source: '[A-Z]{2}[0-9]{4}',
    });
  });
});

describe('the read options compiler beside a reader thread that decodes (check, lazyLexicons)', () => {
  it('check refuses what compile refuses and builds no word list automaton or model; compile builds one once', () => {
    let built = 0;
    const lexicons = lazyLexicons({ codes: ['TAX', 'LATTE'] }, alphabet);
    const entry = lexicons.get('codes')!;
    const spied = new Map([
      [
        'codes',
        {
          words: entry.words,
          get automaton() {
            built++;
            return entry.automaton;
          },
        },
      ],
    ]);
    const compiler = new ReadOptionsCompiler(alphabet, spied);
    compiler.check({ lexicon: 'codes', lm: 'codes', pattern: '[A-Z]+', classes: 'letters' });
    expect(built).toBe(0);
    for (const bad of [{ lexicon: 'nope' }, { lm: 'nope' }, { topK: 0 }, { pattern: '[A-' }, { beem: 2 }])
      expect((refusal(() => compiler.check(bad as object)) as { code: string }).code).toBe(
        (refusal(() => compiler.compile(bad as object)) as { code: string }).code,
      );
    const compiled = compiler.compile({ lexicon: 'codes' });
    expect(built).toBe(1);
    // the list's automaton is built on first use, then kept
    expect(compiled.lexicon).toBe(entry.automaton);
    expect(compiled.lexicon).toMatchObject({ words: 2 });
  });

  it('lazyLexicons checks the lists at once, as compileLexicons does', () => {
    expect(() => lazyLexicons({ 'a b': ['X'] }, alphabet)).toThrow(/is not a simple name/);
    expect(() => lazyLexicons({ names: [' '] }, alphabet)).toThrow(/has no words/);
  });
});
