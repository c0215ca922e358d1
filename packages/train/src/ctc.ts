import * as tf from '@tensorflow/tfjs-core';

/**
 * Connectionist temporal classification (Graves et al. 2006), in log space. tfjs has no CTC loss, so the
 * forward-backward recursions run in plain JS on the log-softmax of the reader's output and hand tfjs the
 * exact gradient with respect to the logits: softmax - (posterior occupancy of each symbol).
 */

const NEG_INF = Number.NEGATIVE_INFINITY;

function logAdd(a: number, b: number): number {
  if (a === NEG_INF) return b;
  if (b === NEG_INF) return a;
  return a > b ? a + Math.log1p(Math.exp(b - a)) : b + Math.log1p(Math.exp(a - b));
}

/** Frames a label sequence needs at least: one per symbol plus a blank between each repeated pair. */
export function minFramesFor(labels: ArrayLike<number>): number {
  let n = labels.length;
  for (let i = 1; i < labels.length; i++) if (labels[i] === labels[i - 1]) n++;
  return n;
}

export interface CtcSampleResult {
  /** -log p(labels | x); Infinity when the labels cannot fit in the frames. */
  loss: number;
}

/**
 * Loss of one sample and (when `grad` is given) its gradient with respect to the logits, written into
 * `grad[gradOffset + t*C + k]` for t < frames. `logProbs[offset + t*C + k]` holds log-softmax outputs.
 */
export function ctcSample(
  logProbs: ArrayLike<number>,
  offset: number,
  frames: number,
  classes: number,
  labels: ArrayLike<number>,
  blank = 0,
  grad?: Float32Array,
  gradOffset = 0,
): CtcSampleResult {
  const L = labels.length;
  const S = 2 * L + 1;
  const T = frames;
  const lp = (t: number, k: number) => logProbs[offset + t * classes + k]!;
  const sym = (s: number) => (s % 2 === 0 ? blank : labels[(s - 1) >> 1]!);
  if (T < 1 || minFramesFor(labels) > T) return { loss: Number.POSITIVE_INFINITY };

  const alpha = new Float64Array(T * S).fill(NEG_INF);
  alpha[0] = lp(0, blank);
  if (S > 1) alpha[1] = lp(0, sym(1));
  for (let t = 1; t < T; t++) {
    const prev = (t - 1) * S;
    const cur = t * S;
    for (let s = 0; s < S; s++) {
      let a = alpha[prev + s]!;
      if (s >= 1) a = logAdd(a, alpha[prev + s - 1]!);
      if (s >= 2 && s % 2 === 1 && sym(s) !== sym(s - 2)) a = logAdd(a, alpha[prev + s - 2]!);
      alpha[cur + s] = a === NEG_INF ? NEG_INF : a + lp(t, sym(s));
    }
  }
  const last = (T - 1) * S;
  const logP = S > 1 ? logAdd(alpha[last + S - 1]!, alpha[last + S - 2]!) : alpha[last + S - 1]!;
  if (!Number.isFinite(logP)) return { loss: Number.POSITIVE_INFINITY };
  if (!grad) return { loss: -logP };

  const beta = new Float64Array(T * S).fill(NEG_INF);
  beta[last + S - 1] = lp(T - 1, blank);
  if (S > 1) beta[last + S - 2] = lp(T - 1, sym(S - 2));
  for (let t = T - 2; t >= 0; t--) {
    const next = (t + 1) * S;
    const cur = t * S;
    for (let s = 0; s < S; s++) {
      let b = beta[next + s]!;
      if (s + 1 < S) b = logAdd(b, beta[next + s + 1]!);
      if (s + 2 < S && s % 2 === 1 && sym(s) !== sym(s + 2)) b = logAdd(b, beta[next + s + 2]!);
      beta[cur + s] = b === NEG_INF ? NEG_INF : b + lp(t, sym(s));
    }
  }
  // d(-log p)/dz[t,k] = softmax[t,k] - sum over positions s with symbol k of P(path at s at time t | x).
  const occupancy = new Float64Array(classes);
  for (let t = 0; t < T; t++) {
    occupancy.fill(0);
    const cur = t * S;
    for (let s = 0; s < S; s++) {
      const a = alpha[cur + s]!;
      const b = beta[cur + s]!;
      if (a === NEG_INF || b === NEG_INF) continue;
      const k = sym(s);
      occupancy[k] = occupancy[k]! + Math.exp(a + b - lp(t, k) - logP);
    }
    const g = gradOffset + t * classes;
    for (let k = 0; k < classes; k++) grad[g + k] = Math.exp(lp(t, k)) - occupancy[k]!;
  }
  return { loss: -logP };
}

/** Greedy (best path) labels of one sample: argmax per frame, repeats collapsed, blanks dropped. */
export function greedyLabels(
  scores: ArrayLike<number>,
  offset: number,
  frames: number,
  classes: number,
  blank = 0,
): number[] {
  const out: number[] = [];
  let prev = -1;
  for (let t = 0; t < frames; t++) {
    const row = offset + t * classes;
    let best = 0;
    for (let k = 1; k < classes; k++) if (scores[row + k]! > scores[row + best]!) best = k;
    if (best !== prev && best !== blank) out.push(best);
    prev = best;
  }
  return out;
}

export interface CtcBatch {
  /** Label sequence per sample (alphabet indices, no blanks). */
  labels: ArrayLike<number>[];
  /** Own frames per sample (padding frames after them get no loss and no gradient). */
  frames: number[];
}

export interface CtcStats {
  /** Sum of per-sample losses over the samples that fit (see `skipped`). */
  lossSum: number;
  /** Samples whose greedy decoding equals the labels exactly. */
  exact: number;
  /** Samples whose labels cannot fit in their frames (no loss, no gradient). */
  skipped: number;
}

/** CtcStats with the greedy labels of every sample. */
export interface CtcScores extends CtcStats {
  decoded: number[][];
}

/**
 * Scores a batch from its log-softmax `lp` ([n, T, C] flat): the loss sum over samples that fit, exact
 * greedy matches, skipped samples and greedy labels. With `grad`, also fills d(loss sum)/d(logits) (zero
 * for skipped samples and padding frames); without it the backward recursion is not run.
 */
function scoreBatch(
  lp: Float32Array,
  n: number,
  T: number,
  C: number,
  batch: CtcBatch,
  blank: number,
  grad?: Float32Array,
): CtcScores {
  let lossSum = 0;
  let exact = 0;
  let skipped = 0;
  const decoded: number[][] = [];
  for (let i = 0; i < n; i++) {
    const frames = Math.min(T, batch.frames[i]!);
    const labels = batch.labels[i]!;
    const g = greedyLabels(lp, i * T * C, frames, C, blank);
    decoded.push(g);
    const r = ctcSample(lp, i * T * C, frames, C, labels, blank, grad, i * T * C);
    if (!Number.isFinite(r.loss)) {
      skipped++;
      grad?.fill(0, i * T * C, (i + 1) * T * C);
      continue;
    }
    lossSum += r.loss;
    if (g.length === labels.length && g.every((v, j) => v === labels[j])) exact++;
  }
  return { lossSum, exact, skipped, decoded };
}

/**
 * Log-softmax over the last axis, read back as numbers. Not `tf.tidy(() => ...dataSync())`: tidy walks its
 * result for tensors, element by element of a typed array.
 */
function logSoftmaxValues(logits: tf.Tensor): Float32Array {
  const lsm = tf.logSoftmax(logits);
  const values = lsm.dataSync() as Float32Array;
  lsm.dispose();
  return values;
}

/** Loss and greedy decoding of a batch of logits without a gradient (validation, test). */
export function ctcScores(logits: tf.Tensor, batch: CtcBatch, blank = 0): CtcScores {
  const n = logits.shape[0]!;
  const C = logits.shape[logits.shape.length - 1]!;
  const T = logits.shape[logits.shape.length - 2]!;
  return scoreBatch(logSoftmaxValues(logits), n, T, C, batch, blank);
}

/**
 * Mean CTC loss over a batch of logits `[n, 1, T, C]` (or `[n, T, C]`), differentiable in tfjs through
 * `tf.customGrad`. `stats` receives the loss sum, the exact-match count and skipped samples.
 */
export function ctcLoss(logits: tf.Tensor, batch: CtcBatch, stats?: CtcStats, blank = 0): tf.Scalar {
  const n = logits.shape[0]!;
  const C = logits.shape[logits.shape.length - 1]!;
  const T = logits.shape[logits.shape.length - 2]!;
  // customGrad passes the save function after the inputs; its typing cannot say so.
  const forward = (z: tf.Tensor, save: tf.GradSaveFunc) => {
    const lp = logSoftmaxValues(z);
    const grad = new Float32Array(n * T * C);
    const scores = scoreBatch(lp, n, T, C, batch, blank, grad);
    if (stats)
      Object.assign(stats, { lossSum: scores.lossSum, exact: scores.exact, skipped: scores.skipped });
    const inv = 1 / Math.max(1, n - scores.skipped);
    for (let i = 0; i < grad.length; i++) grad[i]! *= inv;
    const value = tf.scalar(scores.lossSum * inv);
    // Saved tensors outlive the forward pass's scope; the gradient is only needed when a tape records.
    save([tf.tensor(grad, z.shape)]);
    return { value, gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(dy, saved[0]!) };
  };
  const fn = tf.customGrad(forward as unknown as Parameters<typeof tf.customGrad>[0]);
  return fn(logits) as tf.Scalar;
}
