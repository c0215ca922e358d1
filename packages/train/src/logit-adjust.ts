/**
 * Logit-adjusted cross-entropy (Menon et al., "Long-tail learning via logit adjustment", ICLR 2021).
 *
 * The training set has ~6,000 images per digit (MNIST) but ~2,700 per letter (EMNIST), so plain
 * cross-entropy learns that prior: on shapes that are the same in both alphabets (a bar: 1/I/L, a ring:
 * 0/O) the digit wins. Training on `logits + tau * log(prior)` and predicting with the raw logits
 * removes the learnt prior (tau = 1: the Bayes classifier for a uniform class prior), so each of the 36
 * characters is judged on its shape alone. The model graph does not change; the shift is loss-only.
 */
export function logitAdjustment(labels: Uint8Array, numClasses: number, tau: number): Float32Array {
  const bias = new Float32Array(numClasses);
  if (tau === 0) return bias;
  const counts = new Float64Array(numClasses);
  for (const l of labels) if (l < numClasses) counts[l]!++;
  const total = counts.reduce((s, c) => s + c, 0);
  if (total === 0) return bias;
  // A class absent from the (possibly limited) training set counts as one sample: finite, not -inf.
  for (let c = 0; c < numClasses; c++) bias[c] = tau * Math.log(Math.max(1, counts[c]!) / total);
  return bias;
}
