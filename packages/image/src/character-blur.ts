import { clampByte } from './byte-histogram.js';

/** The character photo pipeline's blurs: a 3x3 mean against grain, a Gaussian to soften thickened edges. */

/**
 * 3x3 mean filter (edges clamped). Each row reads its clamped neighbour rows, and only the first and last
 * columns clamp; every pixel adds the same nine values in the same order as a fully clamped loop.
 */
export function boxBlur3(
  src: Float32Array,
  w: number,
  h: number,
  out: Float32Array = new Float32Array(src.length),
  hist?: Uint32Array,
): Float32Array {
  // With `hist`: the byte histogram of the result, counted as it is written (one pass less for callers).
  hist?.fill(0);
  let zeros = 0;
  for (let y = 0; y < h; y++) {
    const a = (y > 0 ? y - 1 : 0) * w;
    const c = y * w;
    const b = (y < h - 1 ? y + 1 : h - 1) * w;
    for (let x = 0; x < w; x++) {
      const l = x > 0 ? x - 1 : 0;
      const r = x < w - 1 ? x + 1 : w - 1;
      const v = Math.fround(
        (0 +
          src[a + l]! +
          src[a + x]! +
          src[a + r]! +
          src[c + l]! +
          src[c + x]! +
          src[c + r]! +
          src[b + l]! +
          src[b + x]! +
          src[b + r]!) /
          9,
      );
      out[c + x] = v;
      if (!hist) continue;
      const byte = clampByte(v);
      if (byte === 0) zeros++;
      else hist[byte]!++;
    }
  }
  if (hist) hist[0]! += zeros;
  return out;
}

/** gaussianBlur's horizontal pass, reused across calls. */
let gaussTmp = new Float32Array(0);

/** The normalised kernel of the last sigma (a server blurs with few distinct sigmas). */
let gaussKernel = { sigma: Number.NaN, r: 0, k: new Float32Array(0) };

function kernelFor(sigma: number): { r: number; k: Float32Array } {
  if (gaussKernel.sigma === sigma) return gaussKernel;
  const r = Math.max(1, Math.ceil(sigma * 3));
  const k = new Float32Array(2 * r + 1);
  let sum = 0;
  for (let i = -r; i <= r; i++) sum += k[i + r] = Math.exp(-(i * i) / (2 * sigma * sigma));
  for (let i = 0; i < k.length; i++) k[i] /= sum;
  gaussKernel = { sigma, r, k };
  return gaussKernel;
}

/** A box of pixels (inclusive bounds; they may lie outside the image). */
export interface PixelBox {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}

/**
 * Separable Gaussian blur (edges clamped). Each pixel adds its taps in the same order as a clamped loop;
 * only taps that fall outside the image are clamped. With `nonZero`, `src` is +0 outside that box: only
 * the pixels the blur can reach from it are computed, the rest are 0 (what the taps would add up to).
 */
export function gaussianBlur(
  src: Float32Array,
  w: number,
  h: number,
  sigma: number,
  out: Float32Array = new Float32Array(src.length),
  nonZero?: PixelBox,
): Float32Array {
  const { r, k } = kernelFor(sigma);
  // The pixels to compute: the box grown by the kernel's reach (the whole image without a box).
  const ox0 = nonZero ? Math.max(0, nonZero.x0 - r) : 0;
  const ox1 = nonZero ? Math.min(w - 1, nonZero.x1 + r) : w - 1;
  const oy0 = nonZero ? Math.max(0, nonZero.y0 - r) : 0;
  const oy1 = nonZero ? Math.min(h - 1, nonZero.y1 + r) : h - 1;
  if (nonZero) out.fill(0);
  if (ox0 > ox1 || oy0 > oy1) return out;
  if (gaussTmp.length < src.length) gaussTmp = new Float32Array(src.length);
  const tmp = gaussTmp;
  const k0 = k[0]!;
  const k1 = k[1]!;
  const k2 = k[2]!;
  // Horizontal, on the rows the vertical pass reads: inner pixels read their taps directly, pixels within
  // r of an edge clamp.
  for (let y = Math.max(0, oy0 - r); y <= Math.min(h - 1, oy1 + r); y++) {
    const row = y * w;
    for (let x = ox0; x <= ox1; x++) {
      let acc = 0;
      if (x >= r && x + r < w) {
        const c = row + x - r;
        if (r === 1) acc = 0 + src[c]! * k0 + src[c + 1]! * k1 + src[c + 2]! * k2;
        else for (let t = 0; t <= 2 * r; t++) acc += src[c + t]! * k[t]!;
      } else for (let i = -r; i <= r; i++) acc += src[row + Math.min(w - 1, Math.max(0, x + i))]! * k[i + r]!;
      tmp[row + x] = acc;
    }
  }
  // Vertical: the rows a pixel reads, clamped once per row.
  if (gaussRows.length < 2 * r + 1) gaussRows = new Int32Array(2 * r + 1);
  const rows = gaussRows;
  for (let y = oy0; y <= oy1; y++) {
    for (let i = -r; i <= r; i++) rows[i + r] = Math.min(h - 1, Math.max(0, y + i)) * w;
    const o = y * w;
    if (r === 1) {
      const ra = rows[0]!;
      const rb = rows[1]!;
      const rc = rows[2]!;
      for (let x = ox0; x <= ox1; x++)
        out[o + x] = 0 + tmp[ra + x]! * k0 + tmp[rb + x]! * k1 + tmp[rc + x]! * k2;
    } else
      for (let x = ox0; x <= ox1; x++) {
        let acc = 0;
        for (let t = 0; t <= 2 * r; t++) acc += tmp[rows[t]! + x]! * k[t]!;
        out[o + x] = acc;
      }
  }
  return out;
}

let gaussRows = new Int32Array(0);
