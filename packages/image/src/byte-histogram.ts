import { otsu } from './filters.js';

/**
 * Byte histograms of Float32 grey planes (values rounded and clamped to 0..255), and the levels read off them:
 * quantiles and Otsu's threshold. The character photo pipeline counts one histogram as it writes a plane and
 * reads several levels from it.
 */

/** The q-quantile of the values (0..255 range, 1-level histogram). */
export function percentile(values: Float32Array, q: number): number {
  return histogramQuantile(byteHistogram(values, new Uint32Array(256)), values.length, q);
}

/** Counts of the values rounded and clamped to 0..255 (into `hist`, which is cleared first). */
export function byteHistogram(values: Float32Array, hist: Uint32Array): Uint32Array {
  hist.fill(0);
  // Zeros (most of a dark background) counted in a variable: see subtractBackground.
  let zeros = 0;
  for (let i = 0; i < values.length; i++) {
    const b = clampByte(values[i]!);
    if (b === 0) zeros++;
    else hist[b]!++;
  }
  hist[0]! += zeros;
  return hist;
}

/** The q-quantile of `total` values counted in a byte histogram. */
export function histogramQuantile(hist: Uint32Array, total: number, q: number): number {
  const target = q * total;
  let acc = 0;
  for (let v = 0; v < 256; v++) {
    acc += hist[v]!;
    if (acc >= target) return v;
  }
  return 255;
}

/** Math.round clamped to 0..255 (for 0 < v < 255, v + 0.5 is exact and truncating it rounds; NaN stays NaN). */
export function clampByte(v: number): number {
  return v > 0 ? (v < 255 ? (v + 0.5) | 0 : 255) : v <= 0 ? 0 : Number.NaN;
}

/** Otsu's threshold: the grey level that best separates two classes (maximal between-class variance). */
export function otsuThreshold(values: Float32Array): number {
  return otsuFromHistogram(byteHistogram(values, new Uint32Array(256)));
}

/** Otsu's split as a threshold halfway between the two grey levels it falls between (`otsu` counts the total). */
export function otsuFromHistogram(hist: Uint32Array): number {
  return otsu(hist) + 0.5;
}
