import { describe, expect, it } from 'vitest';
import { diffReaderReports, type LoadedReaderReport, pairedCounts, signTest } from '../src/lines/compare.js';
import type { LineReadsFile, LineSourceReport, LinesReport } from '../src/lines/report.js';

describe('the sign test of fixed against broken lines', () => {
  it('gives the exact two-sided binomial tail', () => {
    expect(signTest(0, 0)).toBe(1);
    expect(signTest(3, 3)).toBe(1);
    expect(signTest(0, 5)).toBeCloseTo(2 / 32, 12);
    expect(signTest(9, 1)).toBeCloseTo((2 * (1 + 10)) / 1024, 12);
    // thousands of lines: no overflow, and an even split is no evidence
    expect(signTest(500, 500)).toBe(1);
    const uneven = signTest(400, 600);
    expect(uneven).toBeGreaterThan(0);
    expect(uneven).toBeLessThan(1e-9);
  });

  it('counts lines fixed, broken and agreeing', () => {
    expect(pairedCounts([1, 1, 0, 0, 1], [1, 0, 1, 0, 0])).toEqual({
      fixed: 1,
      broken: 2,
      bothRight: 1,
      bothWrong: 1,
      pValue: 1,
    });
  });
});

/** A report of one source read under two constraints, with its reads: exact flags per constraint. */
function side(
  id: string,
  sources: {
    name: string;
    labelsSha256: string;
    ids: string[];
    truths: string[];
    reads: Record<string, string[]>;
  }[],
): LoadedReaderReport {
  const report = {
    task: 'line',
    runtime: 'onnx',
    model: { id, weightsSha256: `w-${id}` },
    sources: sources.map(
      (s) =>
        ({
          name: s.name,
          labelsSha256: s.labelsSha256,
          count: s.ids.length,
          headline: 'letters',
          dir: '/data/names',
          constraints: Object.entries(s.reads).map(([name, texts]) => {
            const exact = texts.filter((t, i) => t === s.truths[i]).length;
            return { name, exactRate: exact / texts.length, cer: 0.1 };
          }),
        }) as unknown as LineSourceReport,
    ),
  } as unknown as LinesReport;
  const reads: LineReadsFile = {
    formatVersion: 1,
    model: id,
    sources: Object.fromEntries(
      sources.map((s) => [
        s.name,
        {
          ids: s.ids,
          truths: s.truths,
          reads: Object.fromEntries(
            Object.entries(s.reads).map(([name, texts]) => [
              name,
              {
                texts,
                confidences: texts.map(() => 0.5),
                exact: texts.map((t, i) => (t === s.truths[i] ? 1 : 0) as 0 | 1),
              },
            ]),
          ),
        },
      ]),
    ),
  };
  return { report, reads, dir: `/reports/${id}` };
}

describe('diffReaderReports', () => {
  const ids = ['images/a.png', 'images/b.png', 'images/c.png', 'images/d.png'];
  const truths = ['ANNA', 'LEO', 'EVA', 'MAX'];
  const a = side('before', [
    {
      name: 'names',
      labelsSha256: 'x',
      ids,
      truths,
      reads: { none: ['ANNA', 'LEO', 'EUA', 'MAK'], letters: ['ANNA', 'LEO', 'EUA', 'MAK'] },
    },
    { name: 'amounts', labelsSha256: 'y', ids: ['1'], truths: ['12'], reads: { letters: ['12'] } },
    { name: 'only-a', labelsSha256: 'z', ids: ['1'], truths: ['1'], reads: { letters: ['1'] } },
  ]);
  const b = side('after', [
    {
      name: 'names',
      labelsSha256: 'x',
      ids,
      truths,
      reads: { none: ['ANNA', 'LFO', 'EVA', 'MAX'], letters: ['ANNA', 'LE0', 'EVA', 'MAX'] },
    },
    // another labels.tsv: the same name, other lines
    { name: 'amounts', labelsSha256: 'other', ids: ['1'], truths: ['12'], reads: { letters: ['13'] } },
    { name: 'only-b', labelsSha256: 'z', ids: ['1'], truths: ['1'], reads: { letters: ['1'] } },
  ]);
  const c = diffReaderReports(a, b);

  it('pairs the lines both read: figures, fixed and broken per constraint, and the lines that changed', () => {
    expect(c.a).toMatchObject({ id: 'before', name: 'before', hasReads: true });
    const names = c.sources.find((s) => s.source === 'names')!;
    expect(names.paired).toBe(true);
    const letters = names.constraints.find((k) => k.name === 'letters')!;
    expect(letters.a.exactRate).toBe(0.5);
    expect(letters.b.exactRate).toBe(0.75);
    expect(letters.delta.exactRate).toBe(0.25);
    expect(letters.paired).toMatchObject({ fixed: 2, broken: 1, bothRight: 1, bothWrong: 0 });
    // under the headline constraint (letters): fixed first, then broken, each by id
    expect(names.changed).toEqual([
      {
        id: 'images/c.png',
        truth: 'EVA',
        a: { text: 'EUA', confidence: 0.5 },
        b: { text: 'EVA', confidence: 0.5 },
        change: 'fixed',
      },
      {
        id: 'images/d.png',
        truth: 'MAX',
        a: { text: 'MAK', confidence: 0.5 },
        b: { text: 'MAX', confidence: 0.5 },
        change: 'fixed',
      },
      {
        id: 'images/b.png',
        truth: 'LEO',
        a: { text: 'LEO', confidence: 0.5 },
        b: { text: 'LE0', confidence: 0.5 },
        change: 'broken',
      },
    ]);
  });

  it('does not pair sources read from other data, and lists the sources only one report read', () => {
    const amounts = c.sources.find((s) => s.source === 'amounts')!;
    expect(amounts.paired).toBe(false);
    expect(amounts.note).toContain('different data');
    expect(amounts.changed).toEqual([]);
    expect(amounts.constraints[0]!.paired).toBeNull();
    expect(amounts.constraints[0]!.delta.exactRate).toBe(-1);
    expect(c.onlyInA).toEqual(['only-a']);
    expect(c.onlyInB).toEqual(['only-b']);
  });

  it('compares the figures of a report written before reads.json, without pairing', () => {
    const old = { ...a, reads: null };
    const d = diffReaderReports(old, b);
    const names = d.sources.find((s) => s.source === 'names')!;
    expect(d.a.hasReads).toBe(false);
    expect(names.paired).toBe(false);
    expect(names.note).toContain('no reads.json');
    expect(names.constraints.find((k) => k.name === 'letters')!.delta.exactRate).toBe(0.25);
  });
});
