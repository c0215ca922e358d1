import { describe, expect, it } from 'vitest';
import { calibrateProbabilities, uniformCalibration } from '../src/index.js';

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
