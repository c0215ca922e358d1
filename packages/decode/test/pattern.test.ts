import { LINE_ALPHABET_36, LINE_ALPHABETS, type LineAlphabet } from '@hcr/core';
import { type CompiledPattern, compilePattern, decodeCtc, validateDecodeOptions } from '@hcr/decode';
import { describe, expect, it } from 'vitest';
import { exhaustive, matrix, randomProbs, rng, tinyAlphabet } from './helpers.js';

const A36 = LINE_ALPHABET_36;

/** Runs the DFA over a text (the automaton the beam follows). */
function matches(p: CompiledPattern, text: string, alphabet: LineAlphabet = A36): boolean {
  let q = p.start;
  for (const ch of text) {
    const k = alphabet.symbols.indexOf(ch);
    if (k <= 0) return false;
    q = p.next(q, k);
    if (q < 0) return false;
  }
  return p.accepts(q);
}

describe('pattern syntax', () => {
  const cases: [string, string[], string[]][] = [
    ['[A-Z]{2}[0-9]{4}', ['AB1234', 'ZZ0000'], ['AB123', 'A11234', 'AB12345', '']],
    ['[0-9.,]+', ['1,234.50', '7'], ['', '1 2', 'A']],
    ['\\d{1,3}(,\\d{3})*', ['1', '12,345', '1,234,567'], ['1234', ',123', '12,34']],
    ['AB|CD', ['AB', 'CD'], ['ABCD', 'A']],
    ['A(B|C)?D', ['AD', 'ABD', 'ACD'], ['ABCD', 'AB']],
    ['^A.C$', ['ABC', 'A C', 'A-C'], ['AC', 'ABBC']],
    ['^AB$|^CD$', ['AB', 'CD'], ['ABCD', '']],
    ['(^A|^B)C$', ['AC', 'BC'], ['C', 'ABC']],
    ['(^A)?B$$', ['AB', 'B'], ['A', 'BB']],
    ['A*B+', ['B', 'AAB', 'ABBB'], ['A', '']],
    ['[^0-9]{2,}', ['AB', 'A B', '-.-'], ['A', 'A1']],
    ['\\d\\s\\d', ['1 2'], ['12', '1-2']],
    ['\\.\\-\\/\\ ', ['.-/ '], ['.-/']],
    ['[A-C-]{3}', ['A-C', '---'], ['ADC']],
    ['ab[x-z]', ['ABX', 'ABZ'], ['ABW']], // case-merged alphabet: letters upper-cased
    ['\\D\\S', ['A-', '--'], ['1A', 'A ']],
    ['[\\d.]{2}', ['1.', '..'], ['A1']],
    ['(\\d{2}){0,2}', ['', '12', '1234'], ['1', '123456']],
  ];
  for (const [src, yes, no] of cases)
    it(`${src} matches ${yes.map((t) => JSON.stringify(t)).join(' ')} and not ${no.map((t) => JSON.stringify(t)).join(' ')}`, () => {
      const p = compilePattern(src, A36);
      for (const t of yes) expect(matches(p, t), t).toBe(true);
      for (const t of no) expect(matches(p, t), t).toBe(false);
    });

  it('names the problem and its position', () => {
    const bad: [string, RegExp][] = [
      ['AB[0-9', /unclosed '\[' at position 3/],
      ['(AB', /unclosed '\(' at position 1/],
      ['AB)', /unmatched '\)' at position 3/],
      ['*A', /nothing to repeat before '\*' at position 1/],
      ['A|+', /nothing to repeat before '\+' at position 3/],
      ['A{3,1}', /bounds reversed at position 2/],
      ['A{2', /'\{' is not \{n\}, \{n,\} or \{n,m\} at position 2/],
      ['A{500}', /repeat count above 100 at position 2/],
      // anchors where a RegExp would match less: refused, not ignored (A^B read "AB")
      ['A^B', /'\^' after characters .* at position 2/],
      ['A?^B', /'\^' after characters .* at position 3/],
      ['(A|B)^C', /'\^' after characters .* at position 6/],
      ['A$B', /characters after '\$' .* at position 3/],
      ['(A$|B)C', /characters after '\$' .* at position 7/],
      ['A$(B)', /characters after '\$' .* at position 4/],
      ['(A$)+', /'\^' or '\$' inside a group repeated by '\+' at position 5/],
      ['(^A){2}', /'\^' or '\$' inside a group repeated by '\{' at position 5/],
      ['\\w+', /unsupported escape '\\w' at position 1/],
      ['AB€', /'€' is not in the alphabet hcr36-line at position 3/],
      ['[Z-A]', /range 'Z-A' is reversed at position 2/],
      ['A[]', /empty class '\[\]' at position 2/],
      ['A\\', /'\\' at the end at position 2/],
      ['[^\\d\\D]', /matches no text of the alphabet/],
      ['', /empty/],
      [
        'A(?:BC)+',
        /'\(\?' \(a non-capturing, lookaround or named group\) is not supported: use a plain group \( \) at position 2/,
      ],
      ['(?=A)A', /'\(\?' .* not supported.* at position 1/],
      ['(?<year>\\d{4})', /'\(\?' .* not supported.* at position 1/],
      ['(A)\\1', /unsupported escape '\\1' at position 4/],
    ];
    for (const [src, msg] of bad) {
      let err: unknown;
      try {
        compilePattern(src, A36);
      } catch (e) {
        err = e;
      }
      expect(err, src).toMatchObject({ code: 'PATTERN_INVALID', message: expect.stringMatching(msg) });
    }
  });

  it("reads a lazy quantifier as a RegExp does: '\\d+?' is '\\d+', never optional", () => {
    // in a whole-text match laziness changes nothing; it was read as one more '?', so A+? took '' too
    const cases: [string, string[], string[], string?][] = [
      ['A+?', ['A', 'AAA'], ['']],
      ['A*?B', ['B', 'AAB'], ['A']],
      ['A??B', ['B', 'AB'], ['AAB']],
      ['[A-Z]{2}\\d{4}?', ['AB1234'], ['AB', 'AB123']],
      ['\\d{1,3}?-\\d{2,}?', ['1-23', '123-4567'], ['-23', '1-', '1-2']],
      ['A+??', ['', 'A', 'AA'], ['B'], '(A+?)?'], // lazy, then optional (a RegExp refuses A+??)
    ];
    for (const [src, yes, no, js = src] of cases) {
      const p = compilePattern(src, A36);
      const re = new RegExp(`^(?:${js})$`);
      for (const t of yes) expect([src, t, matches(p, t), re.test(t)]).toEqual([src, t, true, true]);
      for (const t of no) expect([src, t, matches(p, t), re.test(t)]).toEqual([src, t, false, false]);
    }
    // and the beam never returns what the pattern excludes: a blank line is no match of \d+?
    const blank = matrix(
      [
        { '': 0.9, '1': 0.1 },
        { '': 0.9, '1': 0.1 },
      ],
      A36,
    );
    expect(decodeCtc(blank, 2, A36, { pattern: '\\d+?' }).text).toBe('1');
  });

  it('rejects patterns whose automaton would be huge instead of hanging', () => {
    expect(() => compilePattern('((((A{0,100}){0,100}){0,100}){0,100})', A36)).toThrow(/automaton states/);
    expect(() => compilePattern('.*A.{20}', A36)).toThrow(/automaton states/); // 2^20 DFA states
    expect(() => compilePattern('(.{0,100}){0,50}', A36)).toThrow(/too many automaton states to build/);
  });
});

describe('pattern automaton against JavaScript RegExp', () => {
  // Random patterns of the subset over a few symbols; the DFA must accept exactly what ^(?:...)$ accepts.
  const rand = rng(21);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
  const atoms = [
    'A',
    'B',
    '1',
    '2',
    '\\.',
    '\\-',
    '\\ ',
    '.',
    '\\d',
    '\\s',
    '[AB]',
    '[^A1]',
    '[0-9.]',
    '[A-C -]',
  ];
  const quantifiers = ['', '', '', '?', '*', '+', '{2}', '{1,}', '{0,2}', '{1,3}', '+?', '??', '{1,3}?'];
  function gen(depth: number): string {
    const n = 1 + Math.floor(rand() * 3);
    let out = '';
    for (let i = 0; i < n; i++) {
      const r = rand();
      let atom: string;
      if (depth > 0 && r < 0.25) atom = `(${gen(depth - 1)}${rand() < 0.5 ? `|${gen(depth - 1)}` : ''})`;
      else atom = pick(atoms);
      out += atom + pick(quantifiers);
    }
    return out;
  }
  const chars = ['A', 'B', 'C', '1', '2', '.', '-', ' '];
  it('agrees on 300 random patterns x 200 random strings', () => {
    let checked = 0;
    let accepted = 0;
    const wrong: string[] = [];
    for (let i = 0; i < 300; i++) {
      const src = gen(2);
      let compiled: CompiledPattern;
      try {
        compiled = compilePattern(src, A36);
      } catch (e) {
        // only "matches no text" is a legitimate refusal of a generated pattern
        expect(String(e)).toMatch(/matches no text/);
        continue;
      }
      const re = new RegExp(`^(?:${src})$`);
      for (let j = 0; j < 200; j++) {
        const text = Array.from({ length: Math.floor(rand() * 7) }, () => pick(chars)).join('');
        const want = re.test(text);
        if (matches(compiled, text) !== want) wrong.push(`${src} on ${JSON.stringify(text)}: want ${want}`);
        checked++;
        if (want) accepted++;
      }
    }
    expect(wrong.slice(0, 5)).toEqual([]);
    expect(checked).toBeGreaterThan(50_000);
    expect(accepted).toBeGreaterThan(2_000); // both answers are exercised
  });
});

describe('decoding under a pattern', () => {
  // "AB1230" written so that B leans to 8, 1 to I and 0 to O.
  const p = matrix(
    [
      { A: 0.9 },
      { '': 0.9 },
      { '8': 0.55, B: 0.4 },
      { '': 0.9 },
      { I: 0.6, '1': 0.35 },
      { '2': 0.9 },
      { '': 0.9 },
      { '3': 0.9 },
      { O: 0.5, '0': 0.45 },
    ],
    A36,
  );
  it('[A-Z]{2}[0-9]{4} forces letters then digits', () => {
    expect(decodeCtc(p, 9, A36).text).toBe('A8I23O');
    const r = decodeCtc(p, 9, A36, { pattern: '[A-Z]{2}[0-9]{4}' });
    expect(r.text).toBe('AB1230');
    expect(r.constraintUnsatisfied).toBe(false);
    for (const alt of r.alternatives) expect(alt.text).toMatch(/^[A-Z]{2}[0-9]{4}$/);
    // also with a compiled pattern and with beam 1 (greedy under the automaton)
    const compiled = compilePattern('[A-Z]{2}[0-9]{4}', A36);
    expect(decodeCtc(p, 9, A36, { pattern: compiled, beam: 1 }).text).toBe('AB1230');
  });
  it('[0-9.,]+ reads an amount', () => {
    const q = matrix(
      [{ '1': 0.9 }, { ',': 0.5, "'": 0.45 }, { S: 0.6, '5': 0.38 }, { '': 0.9 }, { O: 0.7, '0': 0.25 }],
      A36,
    );
    expect(decodeCtc(q, 5, A36).text).toBe('1,SO');
    expect(decodeCtc(q, 5, A36, { pattern: '[0-9.,]+' }).text).toBe('1,50');
  });
  it('can force a character the reader gave almost nothing (minSymbolProb 0 by default)', () => {
    const rows = matrix([{ A: 0.9 }, { B: 0.9 }, { '': 0.999, '0': 1e-7 }], A36);
    expect(decodeCtc(rows, 3, A36, { pattern: 'AB0' }).text).toBe('AB0');
    expect(decodeCtc(rows, 3, A36, { pattern: 'AB0', minSymbolProb: 1e-5 }).constraintUnsatisfied).toBe(true);
  });
  it('says so when no text fits, instead of answering unconstrained', () => {
    const q = matrix([{ A: 0.9 }, { B: 0.9 }, { C: 0.9 }], A36);
    const r = decodeCtc(q, 3, A36, { pattern: '\\d{5}' }); // 5 characters cannot fit in 3 frames
    expect(r).toEqual({
      text: '',
      confidence: 0,
      characters: [],
      alternatives: [],
      constraintUnsatisfied: true,
    });
  });
  it('matches brute force restricted to the pattern on tiny cases', () => {
    const ab = tinyAlphabet(['A', 'B']);
    const pat = compilePattern('A+B?', ab);
    const rand = rng(5);
    for (let trial = 0; trial < 30; trial++) {
      const probs = randomProbs(4, 3, rand, 3);
      const truth = [...exhaustive(probs, 4, ab)]
        .filter(([t]) => /^A+B?$/.test(t))
        .sort((a, b) => b[1] - a[1]);
      const r = decodeCtc(probs, 4, ab, { pattern: pat, beam: 64, topK: 20, minSymbolProb: 0 });
      expect(r.alternatives.map((a) => a.text)).toEqual(truth.map(([t]) => t));
      expect(r.confidence).toBeCloseTo(truth[0][1], 6);
    }
  });
  it('on random patterns and lines, returns the likeliest matching texts in order, and never one outside', () => {
    // every text of 3 frames over 4 symbols, by brute force, filtered by the RegExp of the pattern
    const tiny = tinyAlphabet(['A', 'B', '1', '-']);
    const rand = rng(33);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
    const atoms = ['A', 'B', '1', '\\-', '.', '\\d', '\\D', '[AB]', '[^1]'];
    const quantifiers = ['', '', '?', '*', '+', '{2}', '{0,2}', '{1,}', '+?', '{1,2}?'];
    const gen = (depth: number): string => {
      let out = '';
      for (let n = 1 + Math.floor(rand() * 3); n > 0; n--)
        out +=
          (depth > 0 && rand() < 0.3 ? `(${gen(depth - 1)}|${gen(depth - 1)})` : pick(atoms)) +
          pick(quantifiers);
      return out;
    };
    const wrong: string[] = [];
    for (let trial = 0; trial < 300; trial++) {
      const src = gen(1);
      const re = new RegExp(`^(?:${src})$`);
      const probs = randomProbs(3, tiny.size, rand, 1 + 4 * rand());
      const truth = [...exhaustive(probs, 3, tiny)].filter(([t]) => re.test(t)).sort((a, b) => b[1] - a[1]);
      const r = decodeCtc(probs, 3, tiny, { pattern: src, beam: 64, topK: 20 });
      for (const a of r.alternatives) if (!re.test(a.text)) wrong.push(`${src}: ${a.text} outside`);
      if (r.constraintUnsatisfied !== (truth.length === 0))
        wrong.push(`${src}: unsatisfied ${r.constraintUnsatisfied}`);
      r.alternatives.forEach((a, k) => {
        if (Math.abs(a.confidence - truth[k]![1]) > 1e-6)
          wrong.push(`${src}: #${k} ${a.text} ${a.confidence}`);
      });
      if (r.alternatives.length !== Math.min(20, truth.length))
        wrong.push(`${src}: ${r.alternatives.length} texts`);
    }
    expect(wrong.slice(0, 5)).toEqual([]);
  });

  it('rejects a pattern compiled for another alphabet', () => {
    const other = compilePattern('A', tinyAlphabet(['A']));
    expect(() => decodeCtc(matrix([{ A: 0.9 }], A36), 1, A36, { pattern: other })).toThrow(
      /built for the alphabet/,
    );
  });
});

describe('pattern size limits', () => {
  const errorOf = (f: () => unknown): unknown => {
    try {
      f();
    } catch (e) {
      return e;
    }
    return undefined;
  };

  it('answers PATTERN_INVALID, not a stack overflow, for deep nesting and long quantifier chains', () => {
    const bad: [string, RegExp][] = [
      [`${'('.repeat(3000)}A${')'.repeat(3000)}`, /longer than 1000 characters/],
      [`${'('.repeat(400)}A${')'.repeat(400)}`, /groups nested deeper than 32 at position 33/],
      [`A${'?'.repeat(3000)}`, /longer than 1000 characters/],
      [`A${'?'.repeat(900)}`, /more than 3 quantifiers in a row at position 5/],
      [`A${'*'.repeat(20000)}`, /longer than 1000 characters/],
      ['X'.repeat(1_000_000), /longer than 1000 characters \(1000000\) at position 1001/],
    ];
    for (const [src, msg] of bad) {
      for (const f of [
        () => compilePattern(src, A36),
        () => validateDecodeOptions({ pattern: src }, A36),
        () => decodeCtc(new Float32Array(A36.size).fill(1 / A36.size), 1, A36, { pattern: src }),
      ])
        expect(errorOf(f), src.slice(0, 20)).toMatchObject({
          code: 'PATTERN_INVALID',
          message: expect.stringMatching(msg),
        });
    }
  });

  it('rejects a 1M-character pattern quickly', () => {
    // CPU time, not wall time: on a machine busy with other work the wall clock failed it (183 ms for 8)
    const t0 = process.cpuUsage();
    expect(() => compilePattern('A'.repeat(1_000_000), A36)).toThrow(/longer than 1000/);
    const { user, system } = process.cpuUsage(t0);
    expect((user + system) / 1000).toBeLessThan(50);
  });

  it('still compiles patterns at the limits', () => {
    const deep = `${'('.repeat(32)}A${')'.repeat(32)}`;
    expect(compilePattern(deep, A36).states).toBeGreaterThan(0);
    expect(compilePattern('A+??', A36).states).toBeGreaterThan(0);
    expect(compilePattern('A'.repeat(1000), A36).states).toBe(1001);
  });
});

describe('pattern parser edge cases (audit)', () => {
  const A47 = LINE_ALPHABETS.find((a) => a.id === 'hcr47-line')!;
  it('names a class escape ending a range, an empty negated class and a character by code point', () => {
    const bad: [string, RegExp][] = [
      ['[0-\\d]', /a class escape cannot end a range at position 2/],
      ['[A-\\S]', /a class escape cannot end a range at position 2/],
      ['A[^]', /empty class '\[\^\]' at position 2/],
      ['A😀', /'😀' is not in the alphabet hcr36-line at position 2/],
      ['[😀]', /'😀' is not in the alphabet/],
      ['\\😀', /'😀' is not in the alphabet/],
    ];
    for (const [src, msg] of bad)
      expect(() => compilePattern(src, A36), src).toThrow(
        expect.objectContaining({ code: 'PATTERN_INVALID', message: expect.stringMatching(msg) }),
      );
  });

  it("maps literals and ranges through a partly case-merged alphabet's canonical form (hcr47: c is C)", () => {
    const p = compilePattern('c[a-d]', A47);
    // [a-d] is a, b and d as the alphabet has them, and C for the c it writes as C; not A, B or D
    for (const t of ['Ca', 'Cb', 'CC', 'Cd']) expect(matches(p, t, A47), t).toBe(true);
    for (const t of ['CA', 'CB', 'CD', 'Ca2']) expect(matches(p, t, A47), t).toBe(false);
  });
});

describe('constraintUnsatisfied (audit)', () => {
  it('is false when a fitting text exists but the beam pruned it: the search retries at the widest beam', () => {
    // every AA .. YY fits the symbol count of 2 frames but needs 3 (a blank between the copies); only Z fits
    const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXY';
    const pattern = `${[...letters].map((c) => c + c).join('|')}|Z`;
    const row: Record<string, number> = { '': 0.01, Z: 0.02 };
    for (const c of letters) row[c] = 0.035; // the beam's first frame fills with A .. Y
    const p = matrix([row, row], A36);
    for (const beam of [1, 8, 16]) {
      const r = decodeCtc(p, 2, A36, { pattern, beam });
      expect(r, `beam ${beam}`).toMatchObject({ text: 'Z', constraintUnsatisfied: false });
    }
    // a text that cannot fit is still reported as such
    expect(decodeCtc(p, 2, A36, { pattern: 'ABC' }).constraintUnsatisfied).toBe(true);
  });
});
