import { initEngine } from '@hcr/engine';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CtcStats, ctcLoss, ctcSample, ctcScores, greedyLabels, minFramesFor } from '../src/ctc.js';

function logSoftmax(z: Float64Array | Float32Array, T: number, C: number): Float64Array {
  const out = new Float64Array(T * C);
  for (let t = 0; t < T; t++) {
    let m = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < C; k++) m = Math.max(m, z[t * C + k]!);
    let s = 0;
    for (let k = 0; k < C; k++) s += Math.exp(z[t * C + k]! - m);
    for (let k = 0; k < C; k++) out[t * C + k] = z[t * C + k]! - m - Math.log(s);
  }
  return out;
}

function randomLogits(T: number, C: number, seed: number): Float64Array {
  let s = seed;
  const out = new Float64Array(T * C);
  for (let i = 0; i < out.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32 - 0.5) * 4;
  }
  return out;
}

/** Every path of length T over C symbols, collapsed: the definition of p(labels | x). */
function bruteForceLoss(lp: Float64Array, T: number, C: number, labels: number[]): number {
  let total = 0;
  const path = new Array<number>(T).fill(0);
  const visit = (t: number, logp: number) => {
    if (t === T) {
      const collapsed: number[] = [];
      let prev = -1;
      for (const k of path) {
        if (k !== prev && k !== 0) collapsed.push(k);
        prev = k;
      }
      if (collapsed.length === labels.length && collapsed.every((v, i) => v === labels[i]))
        total += Math.exp(logp);
      return;
    }
    for (let k = 0; k < C; k++) {
      path[t] = k;
      visit(t + 1, logp + lp[t * C + k]!);
    }
  };
  visit(0, 0);
  return -Math.log(total);
}

describe('CTC loss', () => {
  it('equals the sum over every alignment (brute force on small cases)', () => {
    for (const [T, C, labels] of [
      [4, 3, [1, 2]],
      [5, 3, [1, 1]],
      [5, 4, [3]],
      [6, 3, [2, 1, 2]],
    ] as [number, number, number[]][]) {
      const lp = logSoftmax(randomLogits(T, C, T * 31 + C), T, C);
      const { loss } = ctcSample(lp, 0, T, C, labels);
      expect(loss).toBeCloseTo(bruteForceLoss(lp, T, C, labels), 9);
    }
  });

  it('is infinite when the labels cannot fit (a repeat needs a blank between)', () => {
    expect(minFramesFor([1, 1, 2])).toBe(4);
    const lp = logSoftmax(randomLogits(3, 3, 7), 3, 3);
    expect(ctcSample(lp, 0, 3, 3, [1, 1, 2]).loss).toBe(Number.POSITIVE_INFINITY);
  });

  it('has the gradient of a central finite difference with respect to the logits', () => {
    const T = 7;
    const C = 5;
    for (const labels of [[1, 2, 2], [4], [3, 1, 4, 1]]) {
      const z = randomLogits(T, C, labels.length * 97 + 3);
      const grad = new Float32Array(T * C);
      ctcSample(logSoftmax(z, T, C), 0, T, C, labels, 0, grad);
      const h = 1e-5;
      for (let i = 0; i < T * C; i++) {
        const zp = Float64Array.from(z);
        const zm = Float64Array.from(z);
        zp[i]! += h;
        zm[i]! -= h;
        const numeric =
          (ctcSample(logSoftmax(zp, T, C), 0, T, C, labels).loss -
            ctcSample(logSoftmax(zm, T, C), 0, T, C, labels).loss) /
          (2 * h);
        expect(Math.abs(grad[i]! - numeric)).toBeLessThan(1e-5);
      }
    }
  });

  it('greedy decoding collapses repeats and drops blanks', () => {
    // argmax per frame: 1 1 0 1 2 2 0 -> [1, 1, 2]
    const scores = [0, 1, 0, 0, 1, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1, 1, 0, 0].map(Number);
    expect(greedyLabels(scores, 0, 7, 3)).toEqual([1, 1, 2]);
  });
});

describe('ctcLoss in tfjs', () => {
  beforeAll(async () => {
    await initEngine({ engine: 'wasm', purpose: 'train', log: () => {} });
  });

  it('gives tfjs the mean loss and its exact gradient over a padded batch', () => {
    const n = 2;
    const T = 6;
    const C = 4;
    const z = new Float32Array(randomLogits(n * T, C, 11));
    const batch = {
      labels: [
        [1, 2],
        [3, 3, 1],
      ],
      frames: [4, 6],
    };
    const stats: CtcStats = { lossSum: 0, exact: 0, skipped: 0 };
    const zT = tf.tensor4d(z, [n, 1, T, C]);
    const { value, grad: grads } = tf.valueAndGrad((x: tf.Tensor) => ctcLoss(x, batch, stats))(zT);
    const g = grads.dataSync();
    let expectedLoss = 0;
    const expectedGrad = new Float32Array(n * T * C);
    for (let i = 0; i < n; i++) {
      const lp = logSoftmax(z.subarray(i * T * C, (i + 1) * T * C), T, C);
      const r = ctcSample(lp, 0, batch.frames[i]!, C, batch.labels[i]!, 0, expectedGrad, i * T * C);
      expectedLoss += r.loss;
    }
    expect(value.dataSync()[0]).toBeCloseTo(expectedLoss / n, 4);
    expect(stats.lossSum).toBeCloseTo(expectedLoss, 4);
    for (let i = 0; i < g.length; i++) expect(g[i]).toBeCloseTo(expectedGrad[i]! / n, 5);
    // Padding frames of the first sample (t >= 4) get no gradient.
    for (let t = 4; t < T; t++) for (let k = 0; k < C; k++) expect(g[t * C + k]).toBe(0);
    tf.dispose([zT, value, grads]);
  });

  it('scores a batch without a gradient exactly as the loss does (validation)', () => {
    const z = tf.tensor4d(new Float32Array(randomLogits(3 * 6, 4, 23)), [3, 1, 6, 4]);
    const batch = {
      labels: [
        [1, 2],
        [3, 3, 1],
        [2, 2, 2, 2],
      ],
      frames: [6, 5, 6],
    };
    const stats: CtcStats = { lossSum: 0, exact: 0, skipped: 0 };
    tf.dispose(ctcLoss(z, batch, stats));
    const scores = ctcScores(z, batch);
    expect(scores.lossSum).toBeCloseTo(stats.lossSum, 6);
    expect(scores.skipped).toBe(1); // four 2s need seven frames
    expect(scores.exact).toBe(stats.exact);
    const lp = tf.tidy(() => tf.logSoftmax(z).dataSync());
    expect(scores.decoded[1]).toEqual(greedyLabels(lp, 6 * 4, 5, 4));
    z.dispose();
  });

  it('skips samples whose labels cannot fit instead of poisoning the batch with Infinity', () => {
    const z = tf.tensor4d(new Float32Array(randomLogits(2 * 3, 3, 5)), [2, 1, 3, 3]);
    const stats: CtcStats = { lossSum: 0, exact: 0, skipped: 0 };
    const { value, grad: grads } = tf.valueAndGrad((x: tf.Tensor) =>
      ctcLoss(x, { labels: [[1, 1, 2], [2]], frames: [3, 3] }, stats),
    )(z);
    expect(stats.skipped).toBe(1);
    expect(Number.isFinite(value.dataSync()[0])).toBe(true);
    expect(Array.from(grads.dataSync().subarray(0, 9)).every((v) => v === 0)).toBe(true);
    tf.dispose([z, value, grads]);
  });
});
