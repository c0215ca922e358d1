/**
 * Pure metric functions over model outputs. Inputs are flat probability rows (Float32Array [n, k]),
 * true labels and, where needed, a subset of rows; outputs are plain numbers and arrays.
 * No I/O here, so every function is unit-tested on hand-made cases.
 */

import { createRng } from '@hcr/core';

/** Rows of a flat [n, k] probability matrix. */
export interface ProbabilityRows {
  probs: Float32Array;
  /** Number of classes (row width). */
  k: number;
}

/** Index of the largest probability in row i; `allowed` restricts the argmax to those classes. */
export function argmaxRow({ probs, k }: ProbabilityRows, i: number, allowed?: readonly number[]): number {
  const base = i * k;
  let best = -1;
  let bestP = Number.NEGATIVE_INFINITY;
  if (allowed) {
    for (const c of allowed) {
      const p = probs[base + c]!;
      if (p > bestP) {
        bestP = p;
        best = c;
      }
    }
    return best;
  }
  for (let c = 0; c < k; c++) {
    const p = probs[base + c]!;
    if (p > bestP) {
      bestP = p;
      best = c;
    }
  }
  return best;
}

/** Argmax of every row. */
export function argmaxAll(rows: ProbabilityRows): Int32Array {
  const n = rows.probs.length / rows.k;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = argmaxRow(rows, i);
  return out;
}

/** True when the label is among the `topK` most probable classes of row i (ties resolved against the label). */
export function inTopK({ probs, k }: ProbabilityRows, i: number, label: number, topK: number): boolean {
  const base = i * k;
  const p = probs[base + label]!;
  let higher = 0;
  for (let c = 0; c < k; c++) if (probs[base + c]! > p) higher++;
  return higher < topK;
}

/** k x k confusion matrix (rows: true class, columns: predicted class) over the given rows. */
export function confusionMatrix(
  labels: ArrayLike<number>,
  predicted: ArrayLike<number>,
  k: number,
  rows?: ArrayLike<number>,
): number[][] {
  const m = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  const n = rows ? rows.length : labels.length;
  for (let j = 0; j < n; j++) {
    const i = rows ? rows[j]! : j;
    m[labels[i]!]![predicted[i]!]!++;
  }
  return m;
}

export function addMatrices(a: number[][], b: number[][]): number[][] {
  return a.map((row, i) => row.map((v, j) => v + b[i]![j]!));
}

export interface ClassScores {
  precision: number;
  recall: number;
  f1: number;
  /** Number of true samples of the class. */
  support: number;
  /** Number of samples predicted as the class. */
  predicted: number;
}

/**
 * Precision, recall and F1 per class from a confusion matrix. A class never predicted has precision 0
 * (scikit-learn's zero_division=0 convention); a class with no support has recall 0.
 */
export function classScores(matrix: number[][]): ClassScores[] {
  const k = matrix.length;
  return matrix.map((row, c) => {
    const tp = row[c]!;
    const support = row.reduce((s, v) => s + v, 0);
    let predicted = 0;
    for (let r = 0; r < k; r++) predicted += matrix[r]![c]!;
    const precision = predicted > 0 ? tp / predicted : 0;
    const recall = support > 0 ? tp / support : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    return { precision, recall, f1, support, predicted };
  });
}

/** Unweighted mean F1 over the classes that have support (the classes a source actually contains). */
export function macroF1(scores: readonly ClassScores[]): number {
  const present = scores.filter((s) => s.support > 0);
  if (present.length === 0) return 0;
  return present.reduce((s, c) => s + c.f1, 0) / present.length;
}

export function matrixTrace(m: number[][]): number {
  return m.reduce((s, row, i) => s + row[i]!, 0);
}

export function matrixTotal(m: number[][]): number {
  return m.reduce((s, row) => s + row.reduce((a, b) => a + b, 0), 0);
}

/** An unordered pair of classes and how often each was mistaken for the other. */
export interface ConfusionPair {
  a: number;
  b: number;
  /** true a, predicted b */
  aAsB: number;
  /** true b, predicted a */
  bAsA: number;
  total: number;
}

/** The most frequent confusions, both directions added, largest first; ties broken by class order. */
export function topConfusionPairs(matrix: number[][], limit: number): ConfusionPair[] {
  const pairs: ConfusionPair[] = [];
  const k = matrix.length;
  for (let a = 0; a < k; a++)
    for (let b = a + 1; b < k; b++) {
      const aAsB = matrix[a]![b]!;
      const bAsA = matrix[b]![a]!;
      if (aAsB + bAsA > 0) pairs.push({ a, b, aAsB, bAsA, total: aAsB + bAsA });
    }
  pairs.sort((x, y) => y.total - x.total || x.a - y.a || x.b - y.b);
  return pairs.slice(0, limit);
}

/** Errors whose (true, predicted) pair satisfies `isPair`, and all errors. */
export function errorsBetween(
  matrix: number[][],
  isPair: (a: number, b: number) => boolean,
): { errors: number; totalErrors: number } {
  let errors = 0;
  let totalErrors = 0;
  matrix.forEach((row, t) => {
    row.forEach((v, p) => {
      if (t === p) return;
      totalErrors += v;
      if (isPair(t, p)) errors += v;
    });
  });
  return { errors, totalErrors };
}

/** Reliability bins and ECE live in @hcr/core (training fits calibration with the same measure). */
export { type ReliabilityBin, reliability as calibration } from '@hcr/core';

/** Each row divided by its sum (rows with no samples stay zero): the share of each true class. */
export function rowNormalise(matrix: number[][]): number[][] {
  return matrix.map((row) => {
    const s = row.reduce((a, b) => a + b, 0);
    return row.map((v) => (s > 0 ? v / s : 0));
  });
}

/** Rounds for JSON: stable, readable numbers (6 decimals is far below any difference we report). */
export function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/**
 * The Wilson score interval of a proportion, `successes` of `n` (95% at the default z = 1.96), rounded to 6
 * places: where the rate of the population the `n` items were drawn from lies. It stays inside [0, 1] and is
 * sound at 0 or n successes, where the normal approximation gives a width of zero. 336 of 466 dev names read
 * exactly (72.10%) gives 67.9-76.0%: a held-out set of such names may well read 2 points either side.
 */
export function wilsonInterval(successes: number, n: number, z = 1.96): [number, number] {
  if (!Number.isInteger(n) || n < 0 || !Number.isInteger(successes) || successes < 0 || successes > n)
    throw new RangeError(`wilsonInterval: ${successes} successes of ${n} is not a count of a count.`);
  if (n === 0) return [0, 1];
  const p = successes / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return [round6(Math.max(0, centre - half)), round6(Math.min(1, centre + half))];
}

/**
 * A 95% percentile-bootstrap interval of a ratio of sums, sum(num) / sum(den) over items (a CER: edits over truth
 * characters, per line), rounded to 6 places: `resamples` draws of n items with replacement, from a fixed seed, so
 * a report is the same bytes each time. Lines, not characters, are the sample: a long misread line moves the CER
 * as one draw. `[0, 0]` for no items or no denominator.
 */
export function bootstrapRatioInterval(
  num: ArrayLike<number>,
  den: ArrayLike<number>,
  { resamples = 1000, seed = 1 }: { resamples?: number; seed?: number } = {},
): [number, number] {
  const n = num.length;
  if (den.length !== n)
    throw new RangeError(`bootstrapRatioInterval: ${n} numerators but ${den.length} denominators.`);
  let total = 0;
  for (let i = 0; i < n; i++) total += den[i]!;
  if (n === 0 || total === 0) return [0, 0];
  const rng = createRng(seed);
  const ratios = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    let a = 0;
    let d = 0;
    for (let k = 0; k < n; k++) {
      const i = rng.int(n);
      a += num[i]!;
      d += den[i]!;
    }
    ratios[b] = d ? a / d : 0;
  }
  ratios.sort();
  const at = (q: number) => ratios[Math.min(resamples - 1, Math.max(0, Math.round(q * (resamples - 1))))]!;
  return [round6(at(0.025)), round6(at(0.975))];
}
