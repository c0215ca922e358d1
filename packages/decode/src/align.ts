import type { FrameScores } from './frames.js';

/**
 * log p(labels | frames): the CTC forward algorithm over the blank-interleaved label sequence, i.e. the sum
 * over every alignment that collapses to `labels`. Runs on probabilities rescaled every frame (the log of
 * the scale is accumulated): log-space accuracy without a log per addition.
 */
export function textLogProb(s: FrameScores, labels: ArrayLike<number>): number {
  const T = s.frames;
  const C = s.size;
  const L = labels.length;
  if (T === 0) return L === 0 ? 0 : Number.NEGATIVE_INFINITY;
  const S = 2 * L + 1;
  const p = s.p;
  let prev = new Float64Array(S);
  let cur = new Float64Array(S);
  prev[0] = p[0];
  if (L > 0) prev[1] = p[labels[0]];
  let logScale = 0;
  for (let t = 0; ; t++) {
    let z = 0;
    for (let j = 0; j < S; j++) z += prev[j];
    if (z <= 0) return Number.NEGATIVE_INFINITY;
    logScale += Math.log(z);
    const inv = 1 / z;
    for (let j = 0; j < S; j++) prev[j] *= inv;
    if (t === T - 1) break;
    const row = (t + 1) * C;
    // Only states that can still reach the end and were reachable from the start matter.
    const lo = Math.max(0, S - 2 * (T - t - 1) - 2);
    const hi = Math.min(S, 2 * (t + 2));
    cur.fill(0);
    for (let j = lo; j < hi; j++) {
      const k = j & 1 ? labels[j >> 1] : 0;
      let a = prev[j];
      if (j > 0) a += prev[j - 1];
      // Skipping the blank between two labels is allowed only when they differ.
      if (j > 1 && j & 1 && labels[(j >> 1) - 1] !== k) a += prev[j - 2];
      cur[j] = a * p[row + k];
    }
    [prev, cur] = [cur, prev];
  }
  const end = L === 0 ? prev[0] : prev[S - 1] + prev[S - 2];
  return end > 0 ? Math.log(end) + logScale : Number.NEGATIVE_INFINITY;
}

export interface LabelSpan {
  start: number;
  end: number;
  /** Highest probability of the label over its frames. */
  maxProb: number;
}

/** The single most likely alignment of `labels` (Viterbi, rescaled per frame), as one frame span per label. */
export function bestAlignment(s: FrameScores, labels: ArrayLike<number>): LabelSpan[] {
  const T = s.frames;
  const C = s.size;
  const L = labels.length;
  if (L === 0 || T === 0) return [];
  const S = 2 * L + 1;
  const p = s.p;
  const back = new Int8Array(T * S); // how far back (0, 1, 2) the best predecessor state is
  let prev = new Float64Array(S);
  let cur = new Float64Array(S);
  prev[0] = p[0];
  prev[1] = p[labels[0]];
  for (let t = 1; t < T; t++) {
    const row = t * C;
    let max = 0;
    for (let j = 0; j < S; j++) {
      const k = j & 1 ? labels[j >> 1] : 0;
      let best = prev[j];
      let step = 0;
      if (j > 0 && prev[j - 1] > best) {
        best = prev[j - 1];
        step = 1;
      }
      if (j > 1 && j & 1 && labels[(j >> 1) - 1] !== k && prev[j - 2] > best) {
        best = prev[j - 2];
        step = 2;
      }
      cur[j] = best * p[row + k];
      if (cur[j] > max) max = cur[j];
      back[t * S + j] = step;
    }
    if (max > 0) for (let j = 0; j < S; j++) cur[j] /= max;
    [prev, cur] = [cur, prev];
  }
  let j = prev[S - 1] >= prev[S - 2] ? S - 1 : S - 2;
  const spans: LabelSpan[] = Array.from({ length: L }, () => ({ start: T, end: 0, maxProb: 0 }));
  for (let t = T - 1; t >= 0; t--) {
    if (j & 1) {
      const span = spans[j >> 1];
      span.start = t;
      if (span.end === 0) span.end = t + 1;
      span.maxProb = Math.max(span.maxProb, p[t * C + labels[j >> 1]]);
    }
    if (t > 0) j -= back[t * S + j];
  }
  return spans;
}
