import { LABEL_SPACE_62, LINE_ALPHABET_36, lineAlphabet } from '@hcr/core';
import { describe, expect, it } from 'vitest';
import {
  alignmentErrors,
  bucketLabel,
  caseConfusions,
  characterConfusions,
  exactAtCoverage,
  exactAtMinConfidence,
  fullStringText,
  lineEdits,
  minCtcFrames,
  scoreLines,
  scoringText,
} from '../src/lines/metrics.js';
import type { LinesReport } from '../src/lines/report.js';
import { readerSummary } from '../src/lines/summary.js';
import { bootstrapRatioInterval, wilsonInterval } from '../src/metrics.js';

describe('wilsonInterval', () => {
  it('matches published values and stays inside [0, 1] at the ends', () => {
    // Newcombe (1998), Statistics in Medicine 17: 81 of 263 -> 0.2553-0.3662; 0 of 10 -> 0-0.2775
    const [low, high] = wilsonInterval(81, 263);
    expect(low).toBeCloseTo(0.2553, 4);
    expect(high).toBeCloseTo(0.3662, 4);
    expect(wilsonInterval(0, 10)).toEqual([0, 0.27754]);
    expect(wilsonInterval(10, 10)).toEqual([0.72246, 1]);
    // the pipeline's names with letters, 336 of 466: the 70% target lies inside
    const [lo, hi] = wilsonInterval(336, 466);
    expect(lo).toBeLessThan(0.7);
    expect(hi).toBeGreaterThan(0.75);
  });

  it('refuses what is not a count of a count', () => {
    expect(() => wilsonInterval(5, 4)).toThrow(/5 successes of 4/);
    expect(() => wilsonInterval(-1, 4)).toThrow(RangeError);
    expect(() => wilsonInterval(1.5, 4)).toThrow(RangeError);
  });
});

describe('bootstrapRatioInterval', () => {
  it('brackets the ratio of sums, is the same each time, and narrows with more lines', () => {
    // 40 lines of 5 characters, every fourth with 2 edits: CER 10 / ... = 0.1
    const edits = Array.from({ length: 40 }, (_, i) => (i % 4 === 0 ? 2 : 0));
    const chars = edits.map(() => 5);
    const [lo, hi] = bootstrapRatioInterval(edits, chars);
    expect(lo).toBeLessThan(0.1);
    expect(hi).toBeGreaterThan(0.1);
    expect(bootstrapRatioInterval(edits, chars)).toEqual([lo, hi]);
    const many = bootstrapRatioInterval(
      [...edits, ...edits, ...edits, ...edits],
      [...chars, ...chars, ...chars, ...chars],
    );
    expect(many[1] - many[0]).toBeLessThan(hi - lo);
    // every line alike: no spread to resample
    expect(bootstrapRatioInterval([1, 1, 1], [4, 4, 4])).toEqual([0.25, 0.25]);
  });

  it('gives [0, 0] for nothing to divide by and refuses unequal lists', () => {
    expect(bootstrapRatioInterval([], [])).toEqual([0, 0]);
    expect(bootstrapRatioInterval([0, 0], [0, 0])).toEqual([0, 0]);
    expect(() => bootstrapRatioInterval([1], [1, 2])).toThrow(/1 numerators but 2 denominators/);
  });
});

describe('line scoring forms', () => {
  it('folds case, collapses whitespace and drops characters outside the alphabet', () => {
    expect(scoringText('  jean   pierre ')).toBe('JEAN PIERRE');
    expect(scoringText('Zoé')).toBe('ZO');
    expect(scoringText('1 234,50 €')).toBe('1 234,50');
    expect(scoringText('a_b')).toBe('AB');
  });

  it('keeps every character in the full-string form', () => {
    expect(fullStringText('Zoé  x')).toBe('ZOÉ X');
    expect(fullStringText('1 234,50 €')).toBe('1 234,50 €');
  });

  it('measures edits between scoring forms', () => {
    expect(lineEdits('MARTIN', 'martin')).toBe(0);
    expect(lineEdits('MARTIN', 'MARTlN')).toBe(1); // lowercase l is L: a substitution of I
    expect(lineEdits('MARTIN', 'MATIN')).toBe(1);
    expect(lineEdits('ABC', '')).toBe(3);
    expect(lineEdits('', 'XY')).toBe(2);
  });
});

describe('scoreLines', () => {
  it('sums edits over lines and divides by the truth characters', () => {
    const s = scoreLines([
      { truth: 'ANNA', prediction: 'ANNA' }, // 0 edits, 4 chars
      { truth: 'LEO', prediction: 'LE0' }, // 1 edit, 3 chars
      { truth: '12345', prediction: '1234' }, // 1 edit, 5 chars
      { truth: 'BO', prediction: 'BOBO' }, // 2 edits, 2 chars
    ]);
    expect(s.count).toBe(4);
    expect(s.truthChars).toBe(14);
    expect(s.edits).toBe(4);
    expect(s.cer).toBeCloseTo(4 / 14, 6);
    expect(s.exact).toBe(1);
    expect(s.exactRate).toBe(0.25);
    expect(s.fullMatch).toBe(1);
  });

  it('tells the scored match from the full-string match', () => {
    const s = scoreLines([
      { truth: 'Zoé', prediction: 'ZO' }, // scored equal (é dropped), not equal in full
      { truth: 'paul', prediction: 'PAUL' }, // equal both ways (case-insensitive)
      { truth: 'O’Neil', prediction: 'ONEIL' }, // typographic apostrophe is outside the alphabet
    ]);
    expect(s.exact).toBe(3);
    expect(s.fullMatch).toBe(1);
    expect(s.fullMatchRate).toBeCloseTo(1 / 3, 6);
  });

  it('a case-sensitive alphabet scores case-insensitively and also counts case-exact reads', () => {
    const a62 = lineAlphabet(LABEL_SPACE_62);
    const pairs = [
      { truth: 'Martin', prediction: 'Martin' }, // exact, case-exact
      { truth: 'MARTIN', prediction: 'MARTiN' }, // exact (a form's capitals), not case-exact
      { truth: 'Leo', prediction: 'Le0' }, // neither
    ];
    const s = scoreLines(pairs, { alphabet: a62 });
    expect(s.exact).toBe(2);
    expect(s.caseExact).toBe(1);
    expect(s.caseExactRate).toBeCloseTo(1 / 3, 6);
    expect(s.cer).toBeCloseTo(1 / 15, 6);
    expect(s.perLength.reduce((n, b) => n + (b.caseExact ?? 0), 0)).toBe(1);
    // a case-merged reader has no case to be exact about: the field is absent, not a copy of exact
    expect('caseExact' in scoreLines(pairs)).toBe(false);
  });

  it('gives CER above 1 when the prediction is much longer than the truth', () => {
    const s = scoreLines([{ truth: 'AB', prediction: 'XXXXXX' }]);
    expect(s.cer).toBe(3);
    expect(s.exactRate).toBe(0);
  });

  it('scores nothing as zeros, not NaN', () => {
    const s = scoreLines([]);
    expect(s).toMatchObject({ count: 0, cer: 0, exactRate: 0, fullMatchRate: 0, perLength: [] });
    expect(s.exactInterval).toEqual([0, 1]); // no lines: the rate could be anything
    expect(s.cerInterval).toEqual([0, 0]);
  });

  it('gives each exact-match rate the 95% interval its count of lines allows, overall and per length', () => {
    const pairs = [
      ...Array.from({ length: 3 }, () => ({ truth: 'AB', prediction: 'AB' })),
      { truth: 'AB', prediction: 'AX' },
      { truth: 'ABCDE', prediction: 'ABCDE' },
    ];
    const s = scoreLines(pairs);
    expect(s.exactRate).toBe(0.8);
    expect(s.exactInterval).toEqual(wilsonInterval(4, 5));
    // 1 edit in 13 characters: the CER's interval holds 1 / 13
    expect(s.cerInterval[0]).toBeLessThanOrEqual(s.cer);
    expect(s.cerInterval[1]).toBeGreaterThanOrEqual(s.cer);
    const short = s.perLength.find((b) => b.label === '1-2')!;
    expect(short.exactInterval).toEqual(wilsonInterval(3, 4));
    // one line read right says little: its interval spans most of [0, 1]
    expect(s.perLength.find((b) => b.label === '5-6')!.exactInterval).toEqual([0.206543, 1]); // 1 / (1 + 1.96²);
  });

  it('groups lines by scored truth length, leaving empty buckets out', () => {
    const s = scoreLines([
      { truth: 'AB', prediction: 'AB' },
      { truth: 'A', prediction: 'B' },
      { truth: 'ABCDE', prediction: 'ABCDE' },
      { truth: 'ABCDEFGHIJKLMNOPQRSTUV', prediction: 'ABCDEFGHIJKLMNOPQRSTU' },
      { truth: '€', prediction: 'X' }, // scores as an empty truth
    ]);
    expect(s.perLength.map((b) => b.label)).toEqual(['0', '1-2', '5-6', '21+']);
    const short = s.perLength.find((b) => b.label === '1-2')!;
    expect(short.count).toBe(2);
    expect(short.truthChars).toBe(3);
    expect(short.cer).toBeCloseTo(1 / 3, 6);
    expect(short.exactRate).toBe(0.5);
    const long = s.perLength.find((b) => b.label === '21+')!;
    expect(long.cer).toBeCloseTo(1 / 22, 6);
    const empty = s.perLength.find((b) => b.label === '0')!;
    expect(empty.edits).toBe(1);
    expect(empty.cer).toBe(0);
    expect(s.perLength.reduce((n, b) => n + b.count, 0)).toBe(5);
    expect(s.edits).toBe(1 + 1 + 1);
  });

  it('accepts custom buckets and refuses ones that leave lengths out', () => {
    const pairs = [
      { truth: 'AB', prediction: 'AB' },
      { truth: 'ABCD', prediction: 'AB' },
    ];
    const s = scoreLines(pairs, {
      buckets: [
        { lo: 0, hi: 3 },
        { lo: 4, hi: null },
      ],
    });
    expect(s.perLength.map((b) => [b.label, b.count, b.edits])).toEqual([
      ['0-3', 1, 0],
      ['4+', 1, 2],
    ]);
    expect(() => scoreLines(pairs, { buckets: [{ lo: 0, hi: 3 }] })).toThrow(/do not cover truth lengths 4/);
  });

  it('labels buckets', () => {
    expect(bucketLabel({ lo: 3, hi: 3 })).toBe('3');
    expect(bucketLabel({ lo: 3, hi: 4 })).toBe('3-4');
    expect(bucketLabel({ lo: 21, hi: null })).toBe('21+');
  });
});

describe('minCtcFrames', () => {
  it('needs one frame per character and a blank between equal neighbours', () => {
    expect(minCtcFrames('')).toBe(0);
    expect(minCtcFrames('ANNA')).toBe(5);
    expect(minCtcFrames('1000')).toBe(6);
    expect(minCtcFrames('ABC')).toBe(3);
  });
});

describe('character errors', () => {
  it('lists the substitutions, deletions and insertions of a minimal alignment', () => {
    expect(alignmentErrors('MARTIN', 'HARTIN')).toEqual([{ truth: 'M', read: 'H' }]);
    expect(alignmentErrors('1000', '100')).toEqual([{ truth: '0', read: '' }]);
    expect(alignmentErrors('ANA', 'ANNA')).toEqual([{ truth: '', read: 'N' }]);
    expect(alignmentErrors('ABC', 'ABC')).toEqual([]);
    expect(alignmentErrors('AB', '')).toHaveLength(2);
    expect(alignmentErrors('', 'XY')).toEqual([
      { truth: '', read: 'X' },
      { truth: '', read: 'Y' },
    ]);
  });

  it('counts them over lines in scoring form, most frequent first', () => {
    const c = characterConfusions([
      { truth: 'MARTIN', prediction: 'hartin' },
      { truth: 'MATEO', prediction: 'HATE0' },
      { truth: '600', prediction: '200' },
    ]);
    expect(c[0]).toEqual({ truth: 'M', read: 'H', count: 2 });
    expect(c).toContainEqual({ truth: 'O', read: '0', count: 1 });
    expect(c).toContainEqual({ truth: '6', read: '2', count: 1 });
    expect(c.reduce((n, x) => n + x.count, 0)).toBe(4);
  });
});

describe('exactAtCoverage', () => {
  it('keeps the most confident share of the reads', () => {
    const reads = [
      { confidence: 0.9, exact: true },
      { confidence: 0.2, exact: false },
      { confidence: 0.8, exact: true },
      { confidence: 0.5, exact: false },
    ];
    const points = exactAtCoverage(reads, [0.5, 0.75, 1]);
    expect(points).toEqual([
      { coverage: 0.5, kept: 2, exactRate: 1, threshold: 0.8 },
      { coverage: 0.75, kept: 3, exactRate: 0.666667, threshold: 0.5 },
      { coverage: 1, kept: 4, exactRate: 0.5, threshold: 0.2 },
    ]);
    expect(exactAtCoverage([], [1])).toEqual([]);
    expect(exactAtCoverage([{ confidence: 0.1, exact: true }], [0.01])[0]!.kept).toBe(1);
  });
});

describe('exactAtMinConfidence', () => {
  it('accepts the reads at or above each threshold and scores those', () => {
    const reads = [
      { confidence: 0.9, exact: true },
      { confidence: 0.2, exact: false },
      { confidence: 0.8, exact: false },
      { confidence: 0.5, exact: true },
    ];
    expect(exactAtMinConfidence(reads, [0.5, 0.85, 0.95])).toEqual([
      { minConfidence: 0.5, accepted: 3, acceptedShare: 0.75, exactRate: 0.666667 },
      { minConfidence: 0.85, accepted: 1, acceptedShare: 0.25, exactRate: 1 },
      { minConfidence: 0.95, accepted: 0, acceptedShare: 0, exactRate: 0 },
    ]);
    expect(exactAtMinConfidence([])).toEqual([]);
  });
});

describe('case errors of a case-sensitive reader', () => {
  it('counts letters read in the other case, position by position on lines read at the truth length', () => {
    const a62 = lineAlphabet(LABEL_SPACE_62);
    const c = caseConfusions(
      [
        { truth: 'Martin', prediction: 'MArtin' }, // a -> A
        { truth: 'ACHILLE', prediction: 'ACHiLLE' }, // I -> i
        { truth: 'cot 12', prediction: 'Cot 12' }, // c -> C; digits and the space are not letters
        { truth: 'anna', prediction: 'ana' }, // another length: not compared
        { truth: 'Leo', prediction: 'Le0' }, // o -> 0 is not a case error
      ],
      a62,
      1,
    )!;
    expect(c.lines).toBe(4);
    expect(c.lower).toEqual({ count: 10, otherCase: 2, rate: 0.2 });
    expect(c.upper).toEqual({ count: 9, otherCase: 1, rate: 0.111111 });
    expect(c.letters[0]).toEqual({ letter: 'a', count: 1, otherCase: 1, rate: 1 });
    expect(c.letters.find((l) => l.letter === 'I')).toEqual({ letter: 'I', count: 1, otherCase: 1, rate: 1 });
    expect(caseConfusions([{ truth: 'AB', prediction: 'AB' }], LINE_ALPHABET_36)).toBeNull();
    expect(caseConfusions([{ truth: '1 250', prediction: '1 250' }], a62)).toBeNull(); // no letters: nothing to say
  });
});

describe('the reader summary table', () => {
  const report = (caseExactRate?: number) =>
    ({
      model: { id: 'r' },
      decoding: { beam: 8 },
      runtimes: [{ runtime: 'onnx', description: 'onnxruntime' }],
      runtime: 'onnx',
      sources: [
        {
          name: 'handwritten-names-dev',
          failed: { count: 0, byCode: {} },
          constraints: [
            {
              name: 'letters',
              count: 466,
              cer: 0.088,
              exactRate: 0.67,
              exactInterval: [0.625989, 0.71111],
              fullMatchRate: 0.67,
              agreement: null,
              caseExactRate,
            },
          ],
        },
      ],
      skipped: [],
      timing: { sources: [] },
    }) as unknown as LinesReport;

  it('adds a case-exact column for a case-sensitive reader only', () => {
    const cased = readerSummary(report(0.5193), 'index.html').split('\n');
    expect(cased[1]).toMatch(/exact\s+95% CI\s+case-exact\s+full/);
    expect(cased[2]).toMatch(/67\.00%\s+62\.6-71\.1\s+51\.93%\s+67\.00%/);
    const merged = readerSummary(report(), 'index.html');
    expect(merged).not.toContain('case-exact');
  });

  it('says n/a for a case the truths never hold (all-capital names), not 0.00%', () => {
    const r = report(0.5193);
    (r.sources[0] as { caseConfusion: unknown }).caseConfusion = {
      lower: { count: 0, otherCase: 0, rate: 0 },
      upper: { count: 400, otherCase: 8, rate: 0.02 },
      letters: [],
    };
    expect(readerSummary(r, 'index.html')).toContain(
      'handwritten-names-dev: case (no constraint) lower -> capital n/a (none in the truths), capital -> lower 2.00% of 400',
    );
  });
});
