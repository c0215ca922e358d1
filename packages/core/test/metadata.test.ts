import { describe, expect, it } from 'vitest';
import { DEFAULT_INPUT_NORMALISATION, type InputNormalisation, pixelLookupTable } from '../src/index.js';

describe('pixelLookupTable', () => {
  it('maps 0..255 to (p / 255 - mean) / std', () => {
    const lut = pixelLookupTable();
    expect(lut).toHaveLength(256);
    expect([lut[0], lut[255]]).toEqual([-1, 1]);
    expect(pixelLookupTable(DEFAULT_INPUT_NORMALISATION)[51]).toBeCloseTo((0.2 - 0.5) / 0.5, 6);
    expect(pixelLookupTable({ mean: 0, std: 1 })[255]).toBe(1);
  });

  it('refuses a std of 0 and values that are no finite numbers (the table was NaN or Infinity)', () => {
    const bad = [
      { mean: 0.5, std: 0 },
      { mean: Number.NaN, std: 1 },
      { mean: 0.5, std: Number.POSITIVE_INFINITY },
      { mean: '0.5', std: 0.5 },
      { mean: 0.5 },
    ] as unknown as InputNormalisation[];
    for (const n of bad) expect(() => pixelLookupTable(n), JSON.stringify(n)).toThrow(/pixelLookupTable/);
  });
});
