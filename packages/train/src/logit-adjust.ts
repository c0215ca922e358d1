import { foldMap, LABEL_SPACE_36, type LabelSpace } from '@hcr/core';

/**
 * Logit-adjusted cross-entropy (Menon et al., "Long-tail learning via logit adjustment", ICLR 2021).
 *
 * The training set has ~6,000 images per digit (MNIST) but ~2,700 per letter (EMNIST), so plain
 * cross-entropy learns that prior: on shapes that are the same in both alphabets (a bar: 1/I/L, a ring:
 * 0/O) the digit wins. Training on `logits + tau * log(prior)` and predicting with the raw logits
 * removes the learnt prior (tau = 1: the Bayes classifier for a uniform class prior), so each of the 36
 * characters is judged on its shape alone. The model graph does not change; the shift is loss-only.
 */
export function logitAdjustment(
  labels: Uint8Array,
  numClasses: number,
  tau: number,
  groupOf?: ArrayLike<number>,
): Float32Array {
  const bias = new Float32Array(numClasses);
  if (tau === 0) return bias;
  const counts = new Float64Array(numClasses);
  for (const l of labels) if (l < numClasses) counts[l]!++;
  const total = counts.reduce((s, c) => s + c, 0);
  if (total === 0) return bias;
  // With groups, each class is adjusted by its group's prior (the sum over the group's classes).
  const prior = new Float64Array(numClasses);
  for (let c = 0; c < numClasses; c++) {
    if (!groupOf) prior[c] = counts[c]!;
    else for (let d = 0; d < numClasses; d++) if (groupOf[d] === groupOf[c]) prior[c] += counts[d]!;
  }
  // A class absent from the (possibly limited) training set counts as one sample: finite, not -inf.
  for (let c = 0; c < numClasses; c++) bias[c] = tau * Math.log(Math.max(1, prior[c]!) / total);
  return bias;
}

/**
 * Which prior logit adjustment removes. `character` (the default): the prior of the class's character with
 * case merged (its hcr36 class), so every character is judged on its shape as in the 36-class model, while
 * the choice between a lowercase letter and its capital keeps the data's case frequency (a `c` and a `C`
 * drawn alike go to the more common case, as they should). `class`: each class's own prior, which in a
 * 62-class space is uniform over 62 classes: digits get 10/62 of the prior (10/36 in hcr36) and every case
 * twin leans to its rarer case. In hcr36 the two are the same.
 */
export type LogitPrior = 'character' | 'class';
export const LOGIT_PRIORS: readonly LogitPrior[] = ['character', 'class'];

/** Class -> group for `logitAdjustment` under a prior choice: undefined = every class its own group. */
export function logitPriorGroups(prior: LogitPrior, space: LabelSpace): Uint8Array | undefined {
  return prior === 'character' ? foldMap(space, LABEL_SPACE_36) : undefined;
}
