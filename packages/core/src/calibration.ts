/**
 * Confidence calibration: the model's softmax is sharpened or softened by a temperature so that a
 * confidence of 0.8 is right about 80% of the time. One temperature is not enough for hcr's models:
 * their errors are mostly digit/letter twins (O/0, L/1, S/5), whose accuracy depends on the source
 * (a vertical stroke is always a 1 in MNIST and never in EMNIST letters), so the temperature depends
 * on the kind of answer: a digit or a letter, with the runner-up of the same kind or of the other
 * (a twin-like doubt). Temperature scaling keeps each image's ranking, so answers and top-k order do
 * not change; only the confidences do.
 */

import { HcrError } from './errors.js';

/** Which temperature an image gets: its answer's kind and whether the runner-up is of the other kind. */
export const ANSWER_KINDS = ['digit', 'digitOverLetter', 'letter', 'letterOverDigit'] as const;
export type AnswerKind = (typeof ANSWER_KINDS)[number];

/** Stored in ModelMetadata.calibration and ONNX metadata `hcr.calibration` (JSON). */
export interface ConfidenceCalibration {
  /** `answer-kind-temperature`: probabilities p -> softmax(log p / T[kind of the image's answer]). */
  method: 'answer-kind-temperature';
  /**
   * T per answer kind (below 1 sharpens, above 1 softens): `digit` = a digit answer whose runner-up is a
   * digit, `digitOverLetter` = a digit answer whose runner-up is a letter; `letter`, `letterOverDigit` alike.
   */
  temperatures: Record<AnswerKind, number>;
  /** The single temperature that maximises likelihood on the same split (for comparison). */
  singleTemperature: number;
  /** What it was fitted on, e.g. `val` (6573 images: mnist 3000, emnist-letters-repack 3573). */
  fittedOn: string;
  /** How it was chosen. */
  objective: string;
  /** Expected calibration error (15 bins) per source of the fitting split, before and after. */
  fit: { eceBefore: Record<string, number>; eceAfter: Record<string, number> };
  createdAt: string;
}

/** Every answer kind at one temperature (finite, > 0): plain temperature scaling. */
export function uniformCalibration(
  temperature: number,
): Pick<ConfidenceCalibration, 'method' | 'temperatures'> {
  checkTemperature('uniformCalibration', temperature);
  return {
    method: 'answer-kind-temperature',
    temperatures: {
      digit: temperature,
      digitOverLetter: temperature,
      letter: temperature,
      letterOverDigit: temperature,
    },
  };
}

const isDigitName = (s: string | undefined) => s !== undefined && s.length === 1 && s >= '0' && s <= '9';

/** The answer kind of one probability row (its top-1 and top-2 classes). */
export function answerKind(row: ArrayLike<number>, classNames: readonly string[]): AnswerKind {
  let a = -1;
  let b = -1;
  for (let c = 0; c < row.length; c++) {
    const v = row[c]!;
    if (a < 0 || v > row[a]!) {
      b = a;
      a = c;
    } else if (b < 0 || v > row[b]!) b = c;
  }
  const digit = isDigitName(classNames[a]);
  const cross = b >= 0 && isDigitName(classNames[b]) !== digit;
  return digit ? (cross ? 'digitOverLetter' : 'digit') : cross ? 'letterOverDigit' : 'letter';
}

/**
 * A temperature must be a finite number > 0: 0 and NaN made every probability NaN, and a negative one reversed each
 * row's ranking (the least likely class answered first), silently.
 */
function checkTemperature(where: string, t: number): void {
  if (!(typeof t === 'number' && t > 0 && t < Number.POSITIVE_INFINITY))
    throw new RangeError(`${where}: a temperature must be a finite number > 0, got ${String(t)}`);
}

/** softmax(log p / t) of one row, written into `out` (rows of zeros stay zeros); `t` a finite number > 0. */
export function temperRow(row: ArrayLike<number>, t: number, out: Float32Array, at = 0): void {
  checkTemperature('temperRow', t);
  const k = row.length;
  let max = Number.NEGATIVE_INFINITY;
  for (let c = 0; c < k; c++) {
    const v = row[c]!;
    if (v > 0) max = Math.max(max, Math.log(v) / t);
  }
  let sum = 0;
  for (let c = 0; c < k; c++) {
    const v = row[c]!;
    const e = v > 0 ? Math.exp(Math.log(v) / t - max) : 0;
    out[at + c] = e;
    sum += e;
  }
  if (sum > 0) for (let c = 0; c < k; c++) out[at + c]! /= sum;
}

/**
 * Calibrated probabilities of flat rows [n, classNames.length]. Without a calibration (a model trained
 * before it existed) the rows are returned unchanged: temperature 1. No class names, or a length that is not a
 * whole number of rows, is a RangeError (it looped for ever, or tempered a partial last row).
 */
export function calibrateProbabilities(
  probs: Float32Array,
  classNames: readonly string[],
  calibration: Pick<ConfidenceCalibration, 'temperatures'> | undefined,
): Float32Array {
  if (!calibration) return probs;
  const k = classNames.length;
  if (k === 0 || probs.length % k !== 0)
    throw new RangeError(
      `calibrateProbabilities: ${probs.length} probabilities are not whole rows of the ${k} class names: pass rows [n, classNames.length] and the model's class names`,
    );
  const out = new Float32Array(probs.length);
  for (let i = 0; i < probs.length / k; i++) {
    const row = probs.subarray(i * k, (i + 1) * k);
    temperRow(row, calibration.temperatures[answerKind(row, classNames)], out, i * k);
  }
  return out;
}

/** A value as a problem shows it: `missing`, or its JSON (cut short). */
function shown(v: unknown): string {
  if (v === undefined) return 'missing';
  const json = JSON.stringify(v) ?? String(v);
  return json.length > 40 ? `${json.slice(0, 40)}...` : json;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** What is wrong with a calibration read from JSON, naming the field; undefined when it is whole. */
function calibrationProblem(value: unknown): string | undefined {
  if (!isRecord(value))
    return `calibration is ${shown(value)}, not an object {"method", "temperatures", ...}`;
  const c = value;
  if (c.method !== 'answer-kind-temperature')
    return `calibration's method is ${shown(c.method)}, not "answer-kind-temperature"`;
  if (!isRecord(c.temperatures))
    return `calibration's temperatures is ${shown(c.temperatures)}, not an object {${ANSWER_KINDS.join(', ')}}`;
  const temperatures = c.temperatures;
  const positive = (t: unknown) => typeof t === 'number' && t > 0 && t < Number.POSITIVE_INFINITY;
  for (const k of ANSWER_KINDS)
    if (!positive(temperatures[k]))
      return `calibration's temperatures.${k} is ${shown(temperatures[k])}, not a finite number > 0`;
  if (!positive(c.singleTemperature))
    return `calibration's singleTemperature is ${shown(c.singleTemperature)}, not a finite number > 0`;
  for (const field of ['fittedOn', 'objective', 'createdAt'] as const)
    if (typeof c[field] !== 'string') return `calibration's ${field} is ${shown(c[field])}, not a string`;
  if (!isRecord(c.fit))
    return `calibration's fit is ${shown(c.fit)}, not an object {"eceBefore", "eceAfter"}`;
  for (const field of ['eceBefore', 'eceAfter'] as const) {
    const ece = c.fit[field];
    if (!isRecord(ece)) return `calibration's fit.${field} is ${shown(ece)}, not an object of ECEs by source`;
    for (const [source, e] of Object.entries(ece))
      if (!Number.isFinite(e))
        return `calibration's fit.${field}.${source} is ${shown(e)}, not a finite number`;
  }
  return undefined;
}

/**
 * A calibration read from JSON (metadata.json, ONNX metadata `hcr.calibration`): undefined when absent (null too), the
 * value when every field ConfidenceCalibration declares is there and of its type, else CALIBRATION_INVALID naming the
 * field (`The calibration's fit.eceBefore is missing, ...`). Readers rely on all of them (eval reports `fittedOn` and
 * `fit`); only the method and temperatures were checked, so a damaged one failed later, naming nothing.
 */
export function checkCalibration(value: unknown): ConfidenceCalibration | undefined {
  if (value === undefined || value === null) return undefined;
  const problem = calibrationProblem(value);
  if (problem)
    throw new HcrError('CALIBRATION_INVALID', `The ${problem}.`, {
      hint: 'It was damaged or edited after it was fitted: fit it again with `hcr calibrate <run>` (it rewrites metadata.json, and model.onnx when exported).',
    });
  return value as unknown as ConfidenceCalibration;
}

export interface ReliabilityBin {
  /** Lower and upper edge of the confidence bin. */
  lo: number;
  hi: number;
  count: number;
  /** Mean top-1 confidence of the bin (0 when empty). */
  confidence: number;
  /** Accuracy of the bin (0 when empty). */
  accuracy: number;
}

/**
 * Expected calibration error with `bins` equal-width confidence bins (Guo et al. 2017):
 * sum over bins of |accuracy - confidence| weighted by the bin's share of samples.
 * A confidence of exactly 1 falls into the last bin. `bins` is a whole number >= 1 and `correct` has one flag per
 * confidence (else a RangeError).
 */
export function reliability(
  confidence: ArrayLike<number>,
  correct: ArrayLike<boolean | number>,
  bins = 15,
): { ece: number; bins: ReliabilityBin[] } {
  // bins of 0 gave an ECE of 0 whatever the confidences, 2.5 or NaN an 'Invalid array length' naming nothing
  if (!(Number.isInteger(bins) && bins >= 1))
    throw new RangeError(`reliability: bins must be a whole number >= 1, got ${bins}`);
  // one `correct` per confidence: a shorter list counted the missing ones as wrong
  if (correct.length !== confidence.length)
    throw new RangeError(
      `reliability: ${confidence.length} confidences but ${correct.length} correct flags; pass one flag per confidence`,
    );
  const count = new Array<number>(bins).fill(0);
  const confSum = new Array<number>(bins).fill(0);
  const hit = new Array<number>(bins).fill(0);
  const n = confidence.length;
  for (let i = 0; i < n; i++) {
    const c = confidence[i]!;
    const b = Math.min(bins - 1, Math.max(0, Math.floor(c * bins)));
    count[b]!++;
    confSum[b]! += c;
    if (correct[i]) hit[b]!++;
  }
  let ece = 0;
  const out: ReliabilityBin[] = [];
  for (let b = 0; b < bins; b++) {
    const m = count[b]!;
    const confidenceMean = m > 0 ? confSum[b]! / m : 0;
    const accuracy = m > 0 ? hit[b]! / m : 0;
    if (n > 0) ece += (m / n) * Math.abs(accuracy - confidenceMean);
    out.push({ lo: b / bins, hi: (b + 1) / bins, count: m, confidence: confidenceMean, accuracy });
  }
  return { ece, bins: out };
}
