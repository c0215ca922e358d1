import type { FrameScores } from './frames.js';
import { logAdd } from './logmath.js';

const NEG = Number.NEGATIVE_INFINITY;

/**
 * log p(labels | frames): the CTC forward algorithm over the blank-interleaved label sequence, i.e. the sum
 * over every alignment that collapses to `labels`.
 */
export function textLogProb(s: FrameScores, labels: ArrayLike<number>): number {
  const T = s.frames;
  const C = s.size;
  const L = labels.length;
  if (T === 0) return L === 0 ? 0 : NEG;
  const S = 2 * L + 1;
  let prev = new Float64Array(S).fill(NEG);
  let cur = new Float64Array(S);
  const lp = s.logp;
  prev[0] = lp[0];
  if (L > 0) prev[1] = lp[labels[0]];
  for (let t = 1; t < T; t++) {
    const row = t * C;
    for (let j = 0; j < S; j++) {
      const k = j & 1 ? labels[j >> 1] : 0;
      let a = prev[j];
      if (j > 0) a = logAdd(a, prev[j - 1]);
      // Skipping the blank between two labels is allowed only when they differ.
      if (j > 1 && j & 1 && labels[(j >> 1) - 1] !== k) a = logAdd(a, prev[j - 2]);
      cur[j] = a === NEG ? NEG : a + lp[row + k];
    }
    [prev, cur] = [cur, prev];
  }
  return L === 0 ? prev[0] : logAdd(prev[S - 1], prev[S - 2]);
}

export interface LabelSpan {
  start: number;
  end: number;
  /** Highest probability of the label over its frames. */
  maxProb: number;
}

/** The single most likely alignment of `labels` (Viterbi), as one frame span per label. */
export function bestAlignment(s: FrameScores, labels: ArrayLike<number>): LabelSpan[] {
  const T = s.frames;
  const C = s.size;
  const L = labels.length;
  if (L === 0 || T === 0) return [];
  const S = 2 * L + 1;
  const lp = s.logp;
  const back = new Int8Array(T * S); // how far back (0, 1, 2) the best predecessor state is
  let prev = new Float64Array(S).fill(NEG);
  let cur = new Float64Array(S);
  prev[0] = lp[0];
  prev[1] = lp[labels[0]];
  for (let t = 1; t < T; t++) {
    const row = t * C;
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
      cur[j] = best === NEG ? NEG : best + lp[row + k];
      back[t * S + j] = step;
    }
    [prev, cur] = [cur, prev];
  }
  let j = prev[S - 1] >= prev[S - 2] ? S - 1 : S - 2;
  const spans: LabelSpan[] = Array.from({ length: L }, () => ({ start: T, end: 0, maxProb: 0 }));
  for (let t = T - 1; t >= 0; t--) {
    if (j & 1) {
      const span = spans[j >> 1];
      span.start = t;
      if (span.end === 0) span.end = t + 1;
      span.maxProb = Math.max(span.maxProb, Math.exp(lp[t * C + labels[j >> 1]]));
    }
    if (t > 0) j -= back[t * S + j];
  }
  return spans;
}
