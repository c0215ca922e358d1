import { HcrError } from '@hcr/core';

/** Which characters a field may hold: `digits`, `letters`, `all`, or an explicit list such as `0123456789X`. */
export type ClassFilter = 'digits' | 'letters' | 'all' | (string & {});

/**
 * Class indices allowed by a filter, like an OCR engine's whitelist: a postcode box wants digits, and then
 * 0/O or 1/I are no longer a guess. Returns undefined for `all` (no restriction).
 */
export function allowedClasses(
  filter: ClassFilter | undefined,
  classNames: readonly string[],
): number[] | undefined {
  if (filter === undefined || filter === '' || filter === 'all') return undefined;
  if (filter === 'digits' || filter === 'letters') {
    const want = filter === 'digits' ? /^[0-9]$/ : /^[A-Za-z]$/;
    const idx = classNames.flatMap((c, i) => (want.test(c) ? [i] : []));
    if (idx.length === 0)
      throw new HcrError(
        'BAD_CLASSES',
        `This model has no ${filter} among its classes (${classNames.join('')}).`,
        {
          hint: 'Use classes=all or list characters the model knows.',
        },
      );
    return idx;
  }
  const chars = [...filter.replace(/[\s,]/g, '')];
  const set = new Set<number>();
  for (const ch of chars) {
    let i = classNames.indexOf(ch);
    if (i < 0) i = classNames.indexOf(ch.toUpperCase()); // letters are merged-case
    if (i < 0)
      throw new HcrError(
        'BAD_CLASSES',
        `'${ch}' is not a class of this model (it knows ${classNames.join('')}).`,
        {
          hint: 'Use digits, letters, all, or a list of known characters such as classes=0123456789.',
        },
      );
    set.add(i);
  }
  if (set.size === 0)
    throw new HcrError('BAD_CLASSES', 'The class list is empty.', {
      hint: 'Use digits, letters, all, or a list of characters such as classes=0123456789.',
    });
  return [...set].sort((a, b) => a - b);
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
