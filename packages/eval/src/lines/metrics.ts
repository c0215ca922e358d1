import { canonicalLineText, filterLineText, LINE_ALPHABET_36, type LineAlphabet } from '@hcr/core';
import { distance } from 'fastest-levenshtein';
import { bootstrapRatioInterval, round6, wilsonInterval } from '../metrics.js';

/** One read line as scored: the transcription and what the reader answered. */
export interface ScoredPair {
  truth: string;
  prediction: string;
}

/** Scores of one group of lines (a whole source x constraint, or one length bucket). */
export interface LineScores {
  count: number;
  /** Characters of the scored truths (after filterLineText): the CER denominator. */
  truthChars: number;
  /** Summed edit distances between scored truth and scored prediction. */
  edits: number;
  /** Character error rate: edits / truthChars (0 when there are no truth characters). */
  cer: number;
  /**
   * Where the CER of lines like these lies: a 95% bootstrap interval over the lines (`bootstrapRatioInterval`,
   * 1,000 resamples from a fixed seed).
   */
  cerInterval: [number, number];
  /** Lines whose scored prediction equals the scored truth. */
  exact: number;
  exactRate: number;
  /**
   * Where the exact-match rate of lines like these lies (95% Wilson interval, `wilsonInterval`): the count of
   * lines, not the reader, decides its width (466 names: about 8 points).
   */
  exactInterval: [number, number];
  /** Lines that match without dropping any character (canonical, case-insensitive). */
  fullMatch: number;
  fullMatchRate: number;
  /**
   * Case-sensitive readers only (an alphabet with lower case): lines whose scoring forms match with case
   * respected, so `Martin` read as `MARTIN` is exact but not case-exact.
   */
  caseExact?: number;
  caseExactRate?: number;
}

/** True when any score of the report carries case-exact figures (a case-sensitive reader's report). */
export function hasCaseExact(sources: readonly { constraints: readonly LineScores[] }[]): boolean {
  return sources.some((s) => s.constraints.some((c) => c.caseExactRate !== undefined));
}

/** A truth-length bucket: lengths lo..hi (inclusive; hi = null: no upper bound). */
export interface LengthBucket {
  lo: number;
  hi: number | null;
}

export interface LengthBucketScores extends LineScores {
  /** e.g. `5-6`, `21+`, `0`. */
  label: string;
  lo: number;
  hi: number | null;
}

/** Default buckets of scored truth length: short names and amounts are most of the real fields. */
export const DEFAULT_LENGTH_BUCKETS: readonly LengthBucket[] = Object.freeze([
  { lo: 0, hi: 0 },
  { lo: 1, hi: 2 },
  { lo: 3, hi: 4 },
  { lo: 5, hi: 6 },
  { lo: 7, hi: 8 },
  { lo: 9, hi: 10 },
  { lo: 11, hi: 12 },
  { lo: 13, hi: 15 },
  { lo: 16, hi: 20 },
  { lo: 21, hi: null },
]);

export function bucketLabel(b: LengthBucket): string {
  if (b.hi === null) return `${b.lo}+`;
  return b.lo === b.hi ? `${b.lo}` : `${b.lo}-${b.hi}`;
}

/** Scoring form of a text (filterLineText of @hcr/core: canonical, case-insensitive, foreign characters dropped). */
export function scoringText(text: string, alphabet: LineAlphabet = LINE_ALPHABET_36): string {
  return filterLineText(text, alphabet, true);
}

/** Full-string form: canonical whitespace and upper case, no character dropped. */
export function fullStringText(text: string, alphabet: LineAlphabet = LINE_ALPHABET_36): string {
  return canonicalLineText(text, alphabet).toUpperCase();
}

/** Edit distance between the scoring forms of truth and prediction (the CER numerator of one line). */
export function lineEdits(
  truth: string,
  prediction: string,
  alphabet: LineAlphabet = LINE_ALPHABET_36,
): number {
  return distance(scoringText(truth, alphabet), scoringText(prediction, alphabet));
}

/** Fewest CTC frames that can emit `text`: its length plus a blank between each pair of equal neighbours. */
export function minCtcFrames(text: string): number {
  let n = text.length;
  for (let i = 1; i < text.length; i++) if (text[i] === text[i - 1]) n++;
  return n;
}

interface PairScore {
  length: number;
  edits: number;
  exact: boolean;
  full: boolean;
  /** Equal with case respected (only computed for a case-sensitive alphabet). */
  cased?: boolean;
}

function scorePair(p: ScoredPair, alphabet: LineAlphabet): PairScore {
  const t = scoringText(p.truth, alphabet);
  const q = scoringText(p.prediction, alphabet);
  return {
    length: t.length,
    edits: distance(t, q),
    exact: t === q,
    full: fullStringText(p.truth, alphabet) === fullStringText(p.prediction, alphabet),
    ...(alphabet.caseMerged
      ? {}
      : {
          cased: filterLineText(p.truth, alphabet, false) === filterLineText(p.prediction, alphabet, false),
        }),
  };
}

function sum(scores: readonly PairScore[]): LineScores {
  let truthChars = 0;
  let edits = 0;
  let exact = 0;
  let full = 0;
  let cased = 0;
  for (const s of scores) {
    truthChars += s.length;
    edits += s.edits;
    if (s.exact) exact++;
    if (s.full) full++;
    if (s.cased) cased++;
  }
  const n = scores.length;
  const caseSensitive = scores.some((s) => s.cased !== undefined);
  return {
    count: n,
    truthChars,
    edits,
    cer: round6(truthChars ? edits / truthChars : 0),
    cerInterval: bootstrapRatioInterval(
      scores.map((s) => s.edits),
      scores.map((s) => s.length),
    ),
    exact,
    exactRate: round6(n ? exact / n : 0),
    exactInterval: wilsonInterval(exact, n),
    fullMatch: full,
    fullMatchRate: round6(n ? full / n : 0),
    ...(caseSensitive ? { caseExact: cased, caseExactRate: round6(n ? cased / n : 0) } : {}),
  };
}

/**
 * CER (summed edits / summed truth characters), exact-match rate and full-string match of a set of lines,
 * overall and per truth-length bucket (empty buckets left out). Truth and prediction are compared in their
 * scoring form (`filterLineText`); the full-string match drops nothing.
 */
export function scoreLines(
  pairs: readonly ScoredPair[],
  {
    alphabet = LINE_ALPHABET_36,
    buckets = DEFAULT_LENGTH_BUCKETS,
  }: { alphabet?: LineAlphabet; buckets?: readonly LengthBucket[] } = {},
): LineScores & { perLength: LengthBucketScores[] } {
  const scores = pairs.map((p) => scorePair(p, alphabet));
  const perLength: LengthBucketScores[] = [];
  for (const b of buckets) {
    const inside = scores.filter((s) => s.length >= b.lo && (b.hi === null || s.length <= b.hi));
    if (inside.length) perLength.push({ label: bucketLabel(b), lo: b.lo, hi: b.hi, ...sum(inside) });
  }
  const outside = scores.filter(
    (s) => !buckets.some((b) => s.length >= b.lo && (b.hi === null || s.length <= b.hi)),
  );
  if (outside.length)
    throw new RangeError(
      `length buckets do not cover truth lengths ${[...new Set(outside.map((s) => s.length))].join(', ')}`,
    );
  return { ...sum(scores), perLength };
}

/** One kind of character error: `truth -> read` ('' = nothing: a deletion or an insertion). */
export interface CharacterConfusion {
  truth: string;
  read: string;
  count: number;
}

/**
 * Edit operations of one minimal alignment of truth to read (Levenshtein, ties resolved substitution first,
 * then deletion, then insertion, so the result is deterministic): each substitution, deletion and insertion.
 */
export function alignmentErrors(truth: string, read: string): { truth: string; read: string }[] {
  const a = [...truth];
  const b = [...read];
  const n = a.length;
  const m = b.length;
  const d = Array.from({ length: n + 1 }, (_, i) =>
    Int32Array.from({ length: m + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= n; i++)
    for (let j = 1; j <= m; j++)
      d[i]![j] = Math.min(
        d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
        d[i - 1]![j]! + 1,
        d[i]![j - 1]! + 1,
      );
  const ops: { truth: string; read: string }[] = [];
  let i = n;
  let j = m;
  while (i > 0 || j > 0) {
    if (i > 0 && j > 0 && d[i]![j] === d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1)) {
      if (a[i - 1] !== b[j - 1]) ops.push({ truth: a[i - 1]!, read: b[j - 1]! });
      i--;
      j--;
    } else if (i > 0 && d[i]![j] === d[i - 1]![j]! + 1) {
      ops.push({ truth: a[i - 1]!, read: '' });
      i--;
    } else {
      ops.push({ truth: '', read: b[j - 1]! });
      j--;
    }
  }
  return ops.reverse();
}

/** The most frequent character errors over scored pairs (scoring forms), most frequent first. */
export function characterConfusions(
  pairs: readonly ScoredPair[],
  { alphabet = LINE_ALPHABET_36, top = 12 }: { alphabet?: LineAlphabet; top?: number } = {},
): CharacterConfusion[] {
  const counts = new Map<string, CharacterConfusion>();
  for (const p of pairs)
    for (const e of alignmentErrors(scoringText(p.truth, alphabet), scoringText(p.prediction, alphabet))) {
      const key = `${e.truth}\u0000${e.read}`;
      const c = counts.get(key);
      if (c) c.count++;
      else counts.set(key, { ...e, count: 1 });
    }
  return [...counts.values()]
    .sort((x, y) => y.count - x.count || x.truth.localeCompare(y.truth) || x.read.localeCompare(y.read))
    .slice(0, top);
}

/** How often one letter (in one case) came back in the other case. */
export interface CaseConfusion {
  letter: string;
  /** Times the letter stood in the truth of the lines compared. */
  count: number;
  /** Times it was read as the same letter in the other case. */
  otherCase: number;
  rate: number;
}

/** Case errors of a case-sensitive reader: lower case read as capitals and the reverse, overall and per letter. */
export interface CaseReport {
  /** Lines compared: those whose read has the truth's length, letter by letter (no alignment guesswork). */
  lines: number;
  lower: { count: number; otherCase: number; rate: number };
  upper: { count: number; otherCase: number; rate: number };
  /** Letters seen at least `minCount` times, highest rate first. */
  letters: CaseConfusion[];
}

/**
 * Case errors over read lines (canonical text, case kept): null for a case-merged alphabet, or when no truth
 * letter was compared. Only lines read at the truth's length count, position by position, so a substitution
 * elsewhere cannot shift the letters.
 */
export function caseConfusions(
  pairs: readonly ScoredPair[],
  alphabet: LineAlphabet,
  minCount = 15,
): CaseReport | null {
  if (alphabet.caseMerged) return null;
  const per = new Map<string, { count: number; otherCase: number }>();
  let lines = 0;
  for (const p of pairs) {
    const t = [...canonicalLineText(p.truth, alphabet)];
    const r = [...canonicalLineText(p.prediction, alphabet)];
    if (t.length !== r.length) continue;
    lines++;
    t.forEach((ch, k) => {
      if (ch.toUpperCase() === ch.toLowerCase()) return; // not a letter
      const e = per.get(ch) ?? { count: 0, otherCase: 0 };
      e.count++;
      if (r[k] !== ch && r[k]!.toUpperCase() === ch.toUpperCase()) e.otherCase++;
      per.set(ch, e);
    });
  }
  if (per.size === 0) return null; // no letter to judge (amounts)
  const total = (lower: boolean) => {
    let count = 0;
    let otherCase = 0;
    for (const [ch, e] of per)
      if ((ch === ch.toLowerCase()) === lower) {
        count += e.count;
        otherCase += e.otherCase;
      }
    return { count, otherCase, rate: round6(count ? otherCase / count : 0) };
  };
  const letters = [...per]
    .filter(([, e]) => e.count >= minCount)
    .map(([letter, e]) => ({ letter, ...e, rate: round6(e.otherCase / e.count) }))
    .sort((a, b) => b.rate - a.rate || a.letter.localeCompare(b.letter));
  return { lines, lower: total(true), upper: total(false), letters };
}

/** Exact-match rate among the most confident share of the reads (the rest would be refused). */
export interface CoveragePoint {
  /** Share of all lines kept (0..1]. */
  coverage: number;
  /** Lines kept. */
  kept: number;
  exactRate: number;
  /** Lowest confidence kept: refusing reads below it gives this exact-match rate. */
  threshold: number;
}

export const DEFAULT_COVERAGES: readonly number[] = Object.freeze([0.25, 0.5, 0.8, 0.9, 1]);

/**
 * Reads sorted by confidence (highest first; ties in input order): the exact-match rate when only the top
 * `coverage` share is kept. What a caller gains by refusing low-confidence reads. Empty input gives [].
 */
export function exactAtCoverage(
  reads: readonly { confidence: number; exact: boolean }[],
  coverages: readonly number[] = DEFAULT_COVERAGES,
): CoveragePoint[] {
  if (reads.length === 0) return [];
  const order = reads.map((r, i) => ({ ...r, i })).sort((a, b) => b.confidence - a.confidence || a.i - b.i);
  return coverages.map((c) => {
    const kept = Math.max(1, Math.round(c * order.length));
    let exact = 0;
    for (let k = 0; k < kept; k++) if (order[k]!.exact) exact++;
    return {
      coverage: c,
      kept,
      exactRate: round6(exact / kept),
      threshold: Number(order[kept - 1]!.confidence.toPrecision(4)),
    };
  });
}

/** What `min_confidence` (hcr read --min-confidence, POST /v1/read) would do: the reads it accepts, and how many are right. */
export interface MinConfidencePoint {
  minConfidence: number;
  /** Reads accepted (confidence >= minConfidence). */
  accepted: number;
  /** Share of all reads accepted: the rest go to a person. */
  acceptedShare: number;
  /** Exact-match rate among the accepted reads (0 when none is). */
  exactRate: number;
}

export const DEFAULT_MIN_CONFIDENCES: readonly number[] = Object.freeze([0.5, 0.8, 0.9]);

/** Reads accepted at each min_confidence (a read left unsatisfied by its constraint counts as confidence 0). */
export function exactAtMinConfidence(
  reads: readonly { confidence: number; exact: boolean }[],
  thresholds: readonly number[] = DEFAULT_MIN_CONFIDENCES,
): MinConfidencePoint[] {
  if (reads.length === 0) return [];
  return thresholds.map((t) => {
    const kept = reads.filter((r) => r.confidence >= t);
    const exact = kept.filter((r) => r.exact).length;
    return {
      minConfidence: t,
      accepted: kept.length,
      acceptedShare: round6(kept.length / reads.length),
      exactRate: round6(kept.length ? exact / kept.length : 0),
    };
  });
}
