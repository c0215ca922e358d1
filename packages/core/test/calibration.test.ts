import { describe, expect, it } from 'vitest';
import {
  calibrateProbabilities,
  checkCalibration,
  HcrError,
  reliability,
  temperRow,
  uniformCalibration,
} from '../src/index.js';

describe('calibrateProbabilities: arguments', () => {
  it('refuses no class names (it looped for ever) and rows that are not whole', () => {
    const cal = uniformCalibration(2);
    expect(() => calibrateProbabilities(new Float32Array(5), ['0', '1'], cal)).toThrow(
      /not whole rows of the 2/,
    );
    // before the check, no class names looped for ever (asked second, so the old code fails above instead)
    expect(() => calibrateProbabilities(new Float32Array(4), [], cal)).toThrow(RangeError);
    // whole rows are tempered as before; no calibration returns the rows as they are
    const p = Float32Array.from([0.25, 0.75, 0.5, 0.5]);
    expect(Array.from(calibrateProbabilities(p, ['0', '1'], cal))).toEqual([
      expect.closeTo(1 / (1 + Math.sqrt(3)), 6),
      expect.closeTo(Math.sqrt(3) / (1 + Math.sqrt(3)), 6),
      0.5,
      0.5,
    ]);
    expect(calibrateProbabilities(new Float32Array(5), [], undefined)).toHaveLength(5);
  });
});

describe('temperatures', () => {
  it('refuses a temperature that is not a finite number > 0 (0 and NaN gave NaNs, a negative one a reversed ranking)', () => {
    const out = new Float32Array(3);
    for (const t of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => temperRow([0.2, 0.3, 0.5], t, out), String(t)).toThrow(
        /temperature must be a finite number > 0/,
      );
      expect(() => uniformCalibration(t), String(t)).toThrow(/temperature must be a finite number > 0/);
    }
    // a calibration with a bad temperature (not read through checkCalibration) is refused, not applied
    const bad = { temperatures: { ...uniformCalibration(1).temperatures, letter: -1 } };
    expect(() => calibrateProbabilities(Float32Array.from([0.2, 0.8]), ['A', 'B'], bad)).toThrow(RangeError);
    temperRow([0.2, 0.3, 0.5], 1, out);
    expect(Array.from(out)).toEqual([expect.closeTo(0.2, 6), expect.closeTo(0.3, 6), expect.closeTo(0.5, 6)]);
  });
});

describe('reliability: arguments', () => {
  it('refuses a bin count that is no whole number >= 1 and flags that do not match the confidences', () => {
    for (const bins of [0, -1, 2.5, Number.NaN])
      expect(() => reliability([0.5], [1], bins), String(bins)).toThrow(/bins must be a whole number >= 1/);
    expect(() => reliability([0.5, 0.9], [1], 2)).toThrow(/2 confidences but 1 correct flags/);
    const r = reliability([0.25, 0.75, 1], [0, 1, 1], 2);
    expect(r.bins.map((b) => b.count)).toEqual([1, 2]);
    expect(r.ece).toBeCloseTo((1 / 3) * 0.25 + (2 / 3) * (1 - 0.875), 10);
  });
});

describe('checkCalibration', () => {
  /** As `hcr calibrate` writes it (train's fitCalibration), read back from JSON. */
  const written = {
    method: 'answer-kind-temperature',
    temperatures: { digit: 0.7, digitOverLetter: 0.4, letter: 0.8, letterOverDigit: 0.8 },
    singleTemperature: 0.6,
    fittedOn: 'val (6573 images: mnist 3000, emnist-letters-repack 3573)',
    objective: 'largest ECE (15 bins) among the sources + 0.1 x their mean NLL',
    fit: { eceBefore: { mnist: 0.203, 'emnist-letters-repack': 0.069 }, eceAfter: { mnist: 0.017 } },
    createdAt: '2026-12-01T10:00:00.000Z',
  };

  it('returns a whole calibration as it is, undefined for none', () => {
    const json = JSON.parse(JSON.stringify(written));
    expect(checkCalibration(json)).toBe(json);
    // as the tests' hand-made ones: no sources fitted, no date
    expect(
      checkCalibration({ ...written, fit: { eceBefore: {}, eceAfter: {} }, createdAt: '' }),
    ).toBeDefined();
    expect(checkCalibration(undefined)).toBeUndefined();
    expect(checkCalibration(null)).toBeUndefined();
  });

  it('refuses one lacking a field its readers use (only method and temperatures were checked), naming the field', () => {
    const cases: [unknown, string][] = [
      ['0.5', 'The calibration is "0.5", not an object'],
      [
        { ...written, method: 'temperature' },
        `The calibration's method is "temperature", not "answer-kind-temperature".`,
      ],
      [
        { ...written, temperatures: { ...written.temperatures, letter: 0 } },
        `temperatures.letter is 0, not a finite number > 0`,
      ],
      [
        { method: written.method, temperatures: written.temperatures },
        `singleTemperature is missing, not a finite number > 0`,
      ],
      [{ ...written, singleTemperature: '0.6' }, `singleTemperature is "0.6", not a finite number > 0`],
      [{ ...written, fittedOn: undefined }, `The calibration's fittedOn is missing, not a string.`],
      [{ ...written, objective: 3 }, `objective is 3, not a string`],
      [{ ...written, createdAt: null }, `createdAt is null, not a string`],
      [{ ...written, fit: [] }, `The calibration's fit is [], not an object {"eceBefore", "eceAfter"}.`],
      [
        { ...written, fit: { eceAfter: {} } },
        `The calibration's fit.eceBefore is missing, not an object of ECEs by source.`,
      ],
      [
        { ...written, fit: { eceBefore: {}, eceAfter: { mnist: 'x' } } },
        `fit.eceAfter.mnist is "x", not a finite number`,
      ],
    ];
    for (const [value, problem] of cases) {
      let error: unknown;
      try {
        checkCalibration(value);
      } catch (e) {
        error = e;
      }
      expect(error, problem).toBeInstanceOf(HcrError);
      expect(error, problem).toMatchObject({
        code: 'CALIBRATION_INVALID',
        problem: expect.stringContaining(problem),
        hint: expect.stringContaining('hcr calibrate <run>'),
      });
    }
  });
});
