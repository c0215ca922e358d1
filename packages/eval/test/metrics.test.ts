import { describe, expect, it } from 'vitest';
import {
  argmaxRow,
  calibration,
  classScores,
  confusionMatrix,
  errorsBetween,
  inTopK,
  macroF1,
  rowNormalise,
  topConfusionPairs,
} from '../src/metrics.js';
import { asProbabilities } from '../src/runtimes/predictor.js';

describe('argmax and top-k', () => {
  const rows = { probs: Float32Array.from([0.1, 0.6, 0.3, 0.5, 0.2, 0.3]), k: 3 };

  it('takes the largest probability, or the largest among allowed classes', () => {
    expect(argmaxRow(rows, 0)).toBe(1);
    expect(argmaxRow(rows, 1)).toBe(0);
    expect(argmaxRow(rows, 0, [0, 2])).toBe(2);
    expect(argmaxRow(rows, 1, [1, 2])).toBe(2);
  });

  it('counts a label as top-k when fewer than k classes beat it', () => {
    expect(inTopK(rows, 0, 1, 1)).toBe(true);
    expect(inTopK(rows, 0, 2, 1)).toBe(false);
    expect(inTopK(rows, 0, 2, 2)).toBe(true);
    expect(inTopK(rows, 0, 0, 2)).toBe(false);
  });
});

describe('confusion matrix and per-class scores', () => {
  // true:      0 0 0 1 1 2
  // predicted: 0 0 1 1 2 2
  const labels = [0, 0, 0, 1, 1, 2];
  const predicted = [0, 0, 1, 1, 2, 2];
  const m = confusionMatrix(labels, predicted, 3);

  it('puts true classes on rows and predictions on columns', () => {
    expect(m).toEqual([
      [2, 1, 0],
      [0, 1, 1],
      [0, 0, 1],
    ]);
    expect(confusionMatrix(labels, predicted, 3, [0, 5])).toEqual([
      [1, 0, 0],
      [0, 0, 0],
      [0, 0, 1],
    ]);
  });

  it('computes precision, recall and F1 like scikit-learn', () => {
    const s = classScores(m);
    expect(s[0]).toMatchObject({ precision: 1, recall: 2 / 3, support: 3, predicted: 2 });
    expect(s[0]!.f1).toBeCloseTo(0.8, 12);
    expect(s[1]).toMatchObject({ precision: 0.5, recall: 0.5, f1: 0.5, support: 2 });
    expect(s[2]).toMatchObject({ precision: 0.5, recall: 1, support: 1 });
    expect(s[2]!.f1).toBeCloseTo(2 / 3, 12);
    expect(macroF1(s)).toBeCloseTo((0.8 + 0.5 + 2 / 3) / 3, 12);
  });

  it('gives a never-predicted class precision 0 and leaves unsupported classes out of macro-F1', () => {
    const s = classScores([
      [1, 0, 1],
      [0, 0, 0],
      [0, 0, 0],
    ]);
    expect(s[1]).toMatchObject({ precision: 0, recall: 0, f1: 0, support: 0 });
    expect(s[2]).toMatchObject({ precision: 0, recall: 0, support: 0, predicted: 1 });
    expect(macroF1(s)).toBeCloseTo(s[0]!.f1, 12);
  });

  it('ranks unordered confusion pairs and counts errors between chosen pairs', () => {
    const c = [
      [5, 3, 0],
      [2, 5, 1],
      [0, 0, 5],
    ];
    expect(topConfusionPairs(c, 5)).toEqual([
      { a: 0, b: 1, aAsB: 3, bAsA: 2, total: 5 },
      { a: 1, b: 2, aAsB: 1, bAsA: 0, total: 1 },
    ]);
    expect(errorsBetween(c, (a, b) => a + b === 1)).toEqual({ errors: 5, totalErrors: 6 });
    expect(rowNormalise(c)[0]).toEqual([5 / 8, 3 / 8, 0]);
  });
});

describe('calibration', () => {
  it("weights each bin's |accuracy - confidence| by its share of the samples", () => {
    // two samples at 0.6 confidence, one right one wrong -> accuracy 0.5 vs 0.6: gap 0.1 over half the data;
    // the two at confidence 1 (last bin, right) add nothing
    const conf = [0.6, 0.6, 1, 1];
    const correct = [1, 0, 1, 1];
    const { ece, bins } = calibration(conf, correct, 4);
    expect(ece).toBeCloseTo(0.5 * 0.1, 6);
    expect(bins[3]).toMatchObject({ count: 2, accuracy: 1, confidence: 1 });
    expect(bins[2]).toMatchObject({ count: 2, accuracy: 0.5 });
    expect(bins[2]!.confidence).toBeCloseTo(0.6, 12);
    expect(calibration([0.9, 0.9], [1, 1], 10).ece).toBeCloseTo(0.1, 12);
  });
});

describe('asProbabilities', () => {
  it('keeps softmax rows and turns logits into softmax rows', () => {
    const p = Float32Array.from([0.2, 0.8, 0.5, 0.5]);
    expect(asProbabilities(p, 2)).toBe(p);
    const q = asProbabilities(Float32Array.from([0, Math.log(3), 2, 2]), 2);
    expect(q[0]).toBeCloseTo(0.25, 6);
    expect(q[1]).toBeCloseTo(0.75, 6);
    expect(q[2]).toBeCloseTo(0.5, 6);
  });
});
