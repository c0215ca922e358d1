import { CASE_MERGED_IN_BALANCED, type LabelSpace } from '@hcr/core';

/**
 * Class -> its same-shape case twin in `space` (c <-> C, o <-> O, ...: the 15 pairs EMNIST Balanced merges
 * because a lone 28x28 character does not show them apart), or -1. Only hcr62 keeps such pairs apart; in
 * hcr36 and hcr47 every entry is -1.
 */
export function sameShapeCaseTwins(space: LabelSpace): Int16Array {
  const twins = new Int16Array(space.classes.length).fill(-1);
  for (const lower of CASE_MERGED_IN_BALANCED) {
    const a = space.classes.indexOf(lower);
    const b = space.classes.indexOf(lower.toUpperCase());
    if (a < 0 || b < 0) continue;
    twins[a] = b;
    twins[b] = a;
  }
  return twins;
}

/**
 * Training targets [n, classes]: one-hot, except that an image of a same-shape case twin gives `share` of its
 * mass to the other case. Hard labels on c/C make the loss fight itself (identical shapes, opposite
 * targets); share 0.5 makes each pair one class to the loss, as in EMNIST Balanced, smaller shares keep a
 * pull towards the true case where the shape does carry it. Label smoothing is applied on top.
 */
export function caseTwinTargets(
  labels: ArrayLike<number>,
  classes: number,
  twins: ArrayLike<number>,
  share: number,
): Float32Array {
  const y = new Float32Array(labels.length * classes);
  for (let i = 0; i < labels.length; i++) {
    const t = labels[i]!;
    const twin = twins[t] ?? -1;
    if (twin < 0 || share === 0) {
      y[i * classes + t] = 1;
      continue;
    }
    y[i * classes + t] = 1 - share;
    y[i * classes + twin] = share;
  }
  return y;
}
