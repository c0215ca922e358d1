import { allowedSymbolIndices } from '@hcr/core';

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
  /** Probability, renormalised over the allowed classes. */
  confidence: number;
}

export interface Prediction extends RankedClass {
  topK: RankedClass[];
}

/** Ranks one image's probabilities over the allowed classes. */
export function rankClasses(
  probs: ArrayLike<number>,
  classNames: readonly string[],
  topK: number,
  allowed?: readonly number[],
): Prediction {
  const idx = allowed ?? classNames.map((_, i) => i);
  let total = 0;
  for (const i of idx) total += probs[i]!;
  const ranked = idx
    .map((i) => ({ label: classNames[i]!, classIndex: i, confidence: total > 0 ? probs[i]! / total : 0 }))
    .sort((a, b) => b.confidence - a.confidence);
  const best = ranked[0]!;
  return { ...best, topK: ranked.slice(0, Math.max(1, topK)) };
}
