import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { HcrError } from '@hcr/core';
import { round6 } from '../metrics.js';
import {
  type LineReadsFile,
  type LineSourceReport,
  type LinesReport,
  READS_JSON,
  type SourceReads,
} from './report.js';

/** One report of a reader comparison. */
export interface ReaderCompareSide {
  /** The model id (`a+b` for an ensemble). */
  id: string;
  /** The report's folder name (what tells two reports of one model apart). */
  name: string;
  dir: string;
  runtime: string;
  weightsSha256: string | null;
  /** Whether the report has reads.json (older reports do not: no line-by-line comparison). */
  hasReads: boolean;
}

/** Lines read right by one report and wrong by the other, counted (the discordant pairs of a paired test). */
export interface PairedCounts {
  /** Wrong in A, right in B. */
  fixed: number;
  /** Right in A, wrong in B. */
  broken: number;
  bothRight: number;
  bothWrong: number;
  /**
   * Two-sided exact sign test (McNemar's exact test) on fixed against broken: the chance of a split at least this
   * uneven if A and B read such lines equally well. Small (say under 0.05): these two models read such lines
   * differently. It treats the lines as the sample, not the training: two seeds of one recipe can differ as much.
   */
  pValue: number;
}

export interface ConstraintComparison {
  name: string;
  a: { exactRate: number; cer: number };
  b: { exactRate: number; cer: number };
  /** b - a */
  delta: { exactRate: number; cer: number };
  /** Null when the two reports did not read the same lines, or one has no reads.json. */
  paired: PairedCounts | null;
}

/** A line whose exactness changed between the reports, under the source's headline constraint. */
export interface ChangedLine {
  id: string;
  truth: string;
  a: { text: string; confidence: number };
  b: { text: string; confidence: number };
  change: 'fixed' | 'broken';
}

export interface SourceComparison {
  source: string;
  lines: number;
  /** Both reports read the same lines (same data and ids), so the lines can be paired. */
  paired: boolean;
  /** Why they cannot be paired, when they cannot. */
  note: string | null;
  headline: string;
  /** The source's folder as report A recorded it (a real set's images are `<dir>/<id>`). */
  dir: string;
  constraints: ConstraintComparison[];
  /** Under the headline constraint, the fixed lines first (each group by id). */
  changed: ChangedLine[];
}

export interface ReaderCompareReport {
  formatVersion: 1;
  task: 'line';
  a: ReaderCompareSide;
  b: ReaderCompareSide;
  /** The sources both reports read. */
  sources: SourceComparison[];
  /** Sources only one of them read. */
  onlyInA: string[];
  onlyInB: string[];
}

/** A reader report folder: lines.json, and reads.json when the report has one. */
export interface LoadedReaderReport {
  report: LinesReport;
  reads: LineReadsFile | null;
  dir: string;
}

/** Reads a reader report folder (lines.json and, when there, reads.json). */
export async function loadReaderReport(dir: string): Promise<LoadedReaderReport> {
  const report = JSON.parse(await readFile(join(dir, 'lines.json'), 'utf8')) as LinesReport;
  if (report.task !== 'line' || !Array.isArray(report.sources))
    throw new HcrError('REPORT_INVALID', `${join(dir, 'lines.json')} is not an hcr reader report.`, {
      hint: 'Pass the folders `hcr eval <reader>` wrote.',
    });
  const reads = await readFile(join(dir, READS_JSON), 'utf8').then(
    (text) => JSON.parse(text) as LineReadsFile,
    () => null, // a report written before reads.json existed
  );
  return { report, reads, dir };
}

/** Two reader reports side by side: each source and constraint's figures, and line by line what changed. */
export function diffReaderReports(a: LoadedReaderReport, b: LoadedReaderReport): ReaderCompareReport {
  const side = (r: LoadedReaderReport): ReaderCompareSide => ({
    id: r.report.model.id,
    name: basename(r.dir),
    dir: r.dir,
    runtime: r.report.runtime,
    weightsSha256: r.report.model.weightsSha256 ?? null,
    hasReads: r.reads !== null,
  });
  const names = (r: LoadedReaderReport) => r.report.sources.map((s) => s.name);
  const sources: SourceComparison[] = [];
  for (const sa of a.report.sources) {
    const sb = b.report.sources.find((s) => s.name === sa.name);
    if (sb) sources.push(compareSource(sa, sb, a.reads?.sources[sa.name], b.reads?.sources[sa.name]));
  }
  return {
    formatVersion: 1,
    task: 'line',
    a: side(a),
    b: side(b),
    sources,
    onlyInA: names(a).filter((n) => !names(b).includes(n)),
    onlyInB: names(b).filter((n) => !names(a).includes(n)),
  };
}

function compareSource(
  sa: LineSourceReport,
  sb: LineSourceReport,
  ra: SourceReads | undefined,
  rb: SourceReads | undefined,
): SourceComparison {
  const note = unpairedBecause(sa, sb, ra, rb);
  const paired = note === null;
  const constraints: ConstraintComparison[] = [];
  for (const ca of sa.constraints) {
    const cb = sb.constraints.find((c) => c.name === ca.name);
    if (!cb) continue;
    const ea = ra?.reads[ca.name]?.exact;
    const eb = rb?.reads[ca.name]?.exact;
    constraints.push({
      name: ca.name,
      a: { exactRate: ca.exactRate, cer: ca.cer },
      b: { exactRate: cb.exactRate, cer: cb.cer },
      delta: { exactRate: round6(cb.exactRate - ca.exactRate), cer: round6(cb.cer - ca.cer) },
      paired: paired && ea && eb ? pairedCounts(ea, eb) : null,
    });
  }
  const changed: ChangedLine[] = [];
  const headA = ra?.reads[sa.headline];
  const headB = rb?.reads[sa.headline];
  if (paired && ra && headA && headB)
    ra.ids.forEach((id, i) => {
      if (headA.exact[i] === headB.exact[i]) return;
      changed.push({
        id,
        truth: ra.truths[i]!,
        a: { text: headA.texts[i]!, confidence: headA.confidences[i]! },
        b: { text: headB.texts[i]!, confidence: headB.confidences[i]! },
        change: headB.exact[i] ? 'fixed' : 'broken',
      });
    });
  // fixed first; ids in natural order (test#2 before test#10)
  changed.sort((x, y) =>
    x.change === y.change ? x.id.localeCompare(y.id, 'en', { numeric: true }) : x.change === 'fixed' ? -1 : 1,
  );
  return {
    source: sa.name,
    lines: sa.count,
    paired,
    note,
    headline: sa.headline,
    dir: sa.dir,
    constraints,
    changed,
  };
}

/** Why two reports' reads of a source cannot be paired line by line, or null when they can. */
function unpairedBecause(
  sa: LineSourceReport,
  sb: LineSourceReport,
  ra: SourceReads | undefined,
  rb: SourceReads | undefined,
): string | null {
  if (!ra || !rb) return 'a report has no reads.json (written before it existed): evaluate it again';
  if ((sa.manifestSha256 ?? sa.labelsSha256) !== (sb.manifestSha256 ?? sb.labelsSha256))
    return 'the two reports read different data (another dataset manifest or labels.tsv)';
  if (ra.ids.length !== rb.ids.length || ra.ids.some((id, i) => id !== rb.ids[i]))
    return 'the two reports read different lines (--limit, or lines that failed in one of them)';
  return null;
}

/** Fixed, broken and agreeing lines between two exactness columns of the same lines. */
export function pairedCounts(a: readonly number[], b: readonly number[]): PairedCounts {
  let fixed = 0;
  let broken = 0;
  let bothRight = 0;
  let bothWrong = 0;
  a.forEach((x, i) => {
    const y = b[i];
    if (x && y) bothRight++;
    else if (x) broken++;
    else if (y) fixed++;
    else bothWrong++;
  });
  return { fixed, broken, bothRight, bothWrong, pValue: round6(signTest(fixed, broken)) };
}

/** Two-sided exact binomial (sign) test of k against n - k at p = 1/2: min(1, 2 P(X <= min(k, n - k))). */
export function signTest(k: number, other: number): number {
  const n = k + other;
  if (n === 0) return 1;
  const low = Math.min(k, other);
  // log C(n, i) summed in log space: n runs to thousands of lines
  let logC = 0; // log C(n, 0)
  let tail = 0;
  for (let i = 0; i <= low; i++) {
    if (i > 0) logC += Math.log((n - i + 1) / i);
    tail += Math.exp(logC - n * Math.LN2);
  }
  return Math.min(1, 2 * tail);
}
