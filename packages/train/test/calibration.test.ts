import { calibrateProbabilities, checkCalibration, createRng, LABEL_SPACE_36, sourceId } from '@hcr/core';
import { describe, expect, it } from 'vitest';
import { type CalibrationSet, expectedCalibrationError, fitCalibration } from '../src/calibration-fit.js';

const K = 36;
const names = LABEL_SPACE_36.classes;

/**
 * A model whose true class follows softmax(z) but which reports softmax(z * sharpness): under-confident
 * below 1, over-confident above. `source` decides which rows are digits and which letters.
 */
function miscalibrated(n: number, sharpness: number, seed: number): CalibrationSet {
  const rng = createRng(seed);
  const probs = new Float32Array(n * K);
  const labels = new Uint8Array(n);
  const sources = new Uint8Array(n);
  const z = new Float64Array(K);
  for (let i = 0; i < n; i++) {
    const digit = i % 2 === 0;
    const centre = digit ? rng.int(10) : 10 + rng.int(26);
    for (let c = 0; c < K; c++) z[c] = rng.next() * 2;
    z[centre] += 2 + rng.next() * 4;
    z[(centre + 1) % K] += rng.next() * 3; // a close runner-up, sometimes across the digit/letter line
    // true label ~ softmax(z)
    let s = 0;
    for (let c = 0; c < K; c++) s += Math.exp(z[c]!);
    let u = rng.next() * s;
    let label = 0;
    for (; label < K - 1; label++) {
      u -= Math.exp(z[label]!);
      if (u <= 0) break;
    }
    labels[i] = label;
    sources[i] = digit ? sourceId('mnist') : sourceId('emnist-letters-repack');
    let r = 0;
    for (let c = 0; c < K; c++) r += Math.exp(z[c]! * sharpness);
    for (let c = 0; c < K; c++) probs[i * K + c] = Math.exp(z[c]! * sharpness) / r;
  }
  return { probs, labels, sources, classNames: names };
}

function nll(set: CalibrationSet, probs: Float32Array): number {
  let s = 0;
  for (let i = 0; i < set.labels.length; i++) s -= Math.log(Math.max(1e-30, probs[i * K + set.labels[i]!]!));
  return s / set.labels.length;
}

describe('confidence calibration', () => {
  for (const sharpness of [0.5, 2]) {
    it(`lowers NLL and ECE of a model that is ${sharpness < 1 ? 'under' : 'over'}-confident`, () => {
      const fitSet = miscalibrated(8000, sharpness, 1);
      const testSet = miscalibrated(8000, sharpness, 2);
      const cal = fitCalibration(fitSet);
      // the maximum-likelihood single temperature undoes the sharpness
      expect(cal.singleTemperature).toBeCloseTo(sharpness, 1);
      const after = calibrateProbabilities(testSet.probs, names, cal);
      const eceBefore = expectedCalibrationError(testSet);
      const eceAfter = expectedCalibrationError(testSet, cal);
      expect(eceBefore).toBeGreaterThan(0.08);
      expect(eceAfter).toBeLessThan(0.03);
      expect(nll(testSet, after)).toBeLessThan(nll(testSet, testSet.probs) - 0.05);
      expect(Object.values(cal.fit.eceAfter).every((e) => e < 0.03)).toBe(true);
    });
  }

  it('keeps every answer and its ranking; no calibration means temperature 1', () => {
    const set = miscalibrated(500, 0.5, 3);
    const cal = fitCalibration(set);
    const after = calibrateProbabilities(set.probs, names, cal);
    for (let i = 0; i < 500; i++) {
      const row = Array.from(set.probs.subarray(i * K, (i + 1) * K));
      const cRow = Array.from(after.subarray(i * K, (i + 1) * K));
      const order = (r: number[]) =>
        r
          .map((v, c) => [v, c] as const)
          .sort((a, b) => b[0] - a[0])
          .map(([, c]) => c);
      expect(order(cRow).slice(0, 5)).toEqual(order(row).slice(0, 5));
      expect(cRow.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    }
    expect(calibrateProbabilities(set.probs, names, undefined)).toBe(set.probs);
  });

  it('round-trips through metadata JSON and refuses a malformed one', () => {
    const cal = fitCalibration(miscalibrated(500, 2, 4));
    const back = checkCalibration(JSON.parse(JSON.stringify({ calibration: cal })).calibration);
    expect(back).toEqual(cal);
    expect(checkCalibration(undefined)).toBeUndefined();
    expect(() => checkCalibration({ method: 'answer-kind-temperature', temperatures: { digit: 0 } })).toThrow(
      /temperatures/,
    );
  });
});
