import { allowedSymbolIndices, foldedProbabilities, HcrError } from '@hcr/core';

/** Moved to @hcr/core (eval reports what serving answers under `classes`); exported here as before. */
export { foldedProbabilities };

/**
 * Which characters an answer may be: `all` (or omitted), `digits`, `letters`, `alnum`, `uppercase`,
 * `lowercase`, or `chars:<set>` such as `chars:0123456789X` (parseClassOption of @hcr/core; a bare list of
 * digits such as `0123456789` is still accepted).
 */
export type ClassFilter = string;

/**
 * Class indices allowed by a filter, like an OCR engine's whitelist: a postcode box wants digits, and then
 * 0/O or 1/I are no longer a guess. Returns undefined for `all` (no restriction). An unknown name
 * (`digitz`) or a set the model lacks (`lowercase` on a case-merged model) is CLASSES_INVALID naming the
 * choices or the model's classes.
 */
export function allowedClasses(
  filter: ClassFilter | undefined,
  classNames: readonly string[],
): number[] | undefined {
  return allowedSymbolIndices(filter, { name: 'this model', symbols: classNames });
}

export interface RankedClass {
  label: string;
  classIndex: number;
  /**
   * Calibrated probability of this class. Under a `classes` filter it is not renormalised over the allowed
   * classes (that would turn noise into a confident digit): a forbidden digit/letter twin's probability
   * goes to its allowed twin (O -> 0 in a digits field) and the rest of the forbidden mass stays missing.
   */
  confidence: number;
}

/**
 * What to do with the answer: `accepted` (confidence >= min_confidence), `not-confident` (a guess below
 * it), `no-character` (nothing stands out from the background), `noise` (texture or noise, no stroke
 * dominates), `several-characters` (character-size pieces side by side: a word or a number).
 */
export const VERDICTS = ['accepted', 'not-confident', 'no-character', 'noise', 'several-characters'] as const;
export type Verdict = (typeof VERDICTS)[number];

export interface Prediction {
  /** The most probable allowed class: the model's best guess (null when there is no character at all). */
  label: string | null;
  classIndex: number | null;
  confidence: number;
  topK: RankedClass[];
  /** The answer to act on: `label` when the verdict is `accepted`, else null ("no confident answer"). */
  answer: string | null;
  verdict: Verdict;
  /** Why there is no answer (absent when accepted). */
  message?: string;
}

/** The default min_confidence: answer only when the calibrated probability of being right is at least 1/2. */
export const DEFAULT_MIN_CONFIDENCE = 0.5;

/**
 * The k most probable of the candidate classes (all, or `allowed`), most probable first, ties by class
 * index: the head of a full sort by (confidence desc, index asc), found by k scans (k is small, and a
 * server ranks thousands of images a second).
 */
function topClasses(
  p: ArrayLike<number>,
  classNames: readonly string[],
  allowed: readonly number[] | undefined,
  k: number,
): RankedClass[] {
  const n = allowed ? allowed.length : classNames.length;
  const taken = new Uint8Array(n);
  const out: RankedClass[] = [];
  for (let r = 0; r < Math.min(k, n); r++) {
    let best = -1;
    for (let j = 0; j < n; j++) {
      if (taken[j]) continue;
      if (best < 0) {
        best = j;
        continue;
      }
      const a = allowed ? allowed[j]! : j;
      const b = allowed ? allowed[best]! : best;
      // the sort's order: higher confidence first, then the lower class index
      if ((p[b]! - p[a]! || a - b) < 0) best = j;
    }
    taken[best] = 1;
    const c = allowed ? allowed[best]! : best;
    out.push({ label: classNames[c]!, classIndex: c, confidence: p[c]! });
  }
  return out;
}

/** Ranks one image's calibrated probabilities over the allowed classes and decides on an answer. */
export function rankClasses(
  probs: ArrayLike<number>,
  classNames: readonly string[],
  topK: number,
  allowed?: readonly number[],
  minConfidence: number = DEFAULT_MIN_CONFIDENCE,
): Prediction {
  const p = allowed ? foldedProbabilities(probs, classNames, allowed) : probs;
  const ranked = topClasses(p, classNames, allowed, Math.max(1, topK));
  const best = ranked[0]!;
  const accepted = best.confidence >= minConfidence;
  // Written out rather than spread (it runs for every image; same keys, same order).
  const pred: Prediction = {
    label: best.label,
    classIndex: best.classIndex,
    confidence: best.confidence,
    topK: ranked,
    answer: accepted ? best.label : null,
    verdict: accepted ? 'accepted' : 'not-confident',
  };
  if (!accepted)
    pred.message = `No confident answer: the best guess ${best.label} has a probability of ${(best.confidence * 100).toFixed(1)}%, below min_confidence ${minConfidence}.`;
  return pred;
}

/** min_confidence of a character from HTTP or the CLI: a number from 0 (always answer) to 1, by default 0.5. */
export function parseMinConfidence(raw: unknown): number {
  return readMinConfidence(raw) ?? DEFAULT_MIN_CONFIDENCE;
}

/** min_confidence of a line read: as parseMinConfidence, but absent stays undefined (no verdict asked for). */
export function readMinConfidence(raw: unknown): number | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  const v = typeof raw === 'number' ? raw : Number(String(raw).trim());
  if (String(raw).trim() === '' || !Number.isFinite(v) || v < 0 || v > 1)
    throw new HcrError('BAD_MIN_CONFIDENCE', `min_confidence=${String(raw)} is not a number from 0 to 1.`, {
      hint: `Use e.g. min_confidence=0.8 (for a character the default is ${DEFAULT_MIN_CONFIDENCE}; 0 always answers).`,
    });
  return v;
}
