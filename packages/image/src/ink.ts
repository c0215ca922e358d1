import { boxBlur, histogram, histogramPercentile, maxFilter, minFilter, otsu } from './filters.js';
import { resampleRect } from './resample.js';

export type Polarity = 'dark-on-light' | 'light-on-dark';

/** Tails this close (the nearer within this share of the further) say nothing about the polarity alone. */
const TAIL_TIE = 0.25;
/** The tails are the darkest and brightest this share of the pixels; with `sparseInk`, a quarter at a time while at least MIN_TAIL_SHARE. */
const TAIL_SHARE = 0.02;
const MIN_TAIL_SHARE = 0.00001;
/** `minorityTone`'s window reaches at least this far (px): past a letter's height, so a letter's paper is paper. */
const MIN_TONE_RADIUS = 16;

/**
 * The background is the bulk of the pixels and the ink the far tail: if the bright tail is further from
 * the median than the dark tail, the ink is light on a dark ground. When the two tails are about as far (a
 * white margin along a grey cheque is a bright tail as big as the ink's dark one) and the image's size is
 * given, the polarity is the one whose thin strokes stand out more: ink is lines a few pixels wide, a margin
 * or a lighting gradient is not. `sparseInk` (a page or sheet, where the writing may be a tiny share of the
 * pixels): first the tone that stands out from its neighbourhood further (`minorityTone`).
 */
export function detectPolarity(
  grey: Float32Array,
  size?: { width: number; height: number },
  opts: { sparseInk?: boolean } = {},
): Polarity {
  const byContrast = opts.sparseInk && size ? minorityTone(grey, size.width, size.height) : undefined;
  if (byContrast) return byContrast;
  const hist = histogram(grey);
  const med = histogramPercentile(hist, grey.length, 0.5);
  const { bright, dark } = tails(hist, grey.length, med, TAIL_SHARE);
  if (size && Math.abs(bright - dark) <= TAIL_TIE * Math.max(bright, dark)) {
    const { width, height } = size;
    return strokeContrast(grey, width, height, 'light') > strokeContrast(grey, width, height, 'dark')
      ? 'light-on-dark'
      : 'dark-on-light';
  }
  return bright > dark ? 'light-on-dark' : 'dark-on-light';
}

/**
 * For a page, where writing may be a tiny share of the pixels and lighting gradients make the grey levels' own
 * tails: the tone that stands out from its neighbourhood (the grey minus its mean over a window wider than a
 * letter) further is the ink. The tails are looked for from 2% of the pixels down to 2 in 100,000 (a quarter at a time: a few letters on a photographed sheet), until one
 * stands out by the ink contrast; undefined when neither does or they are about as far (the caller decides).
 */
function minorityTone(grey: Float32Array, width: number, height: number): Polarity | undefined {
  const mean = boxBlur(grey, width, height, Math.max(MIN_TONE_RADIUS, Math.round(height / 16)));
  const residual = new Float32Array(grey.length);
  for (let i = 0; i < grey.length; i++) residual[i] = 128 + grey[i]! - mean[i]!;
  const hist = histogram(residual);
  for (let share = TAIL_SHARE; share >= MIN_TAIL_SHARE; share /= 4) {
    const { bright, dark } = tails(hist, grey.length, 128, share);
    if (Math.max(bright, dark) < MIN_INK_CONTRAST) continue;
    if (Math.abs(bright - dark) <= TAIL_TIE * Math.max(bright, dark)) return undefined;
    return bright > dark ? 'light-on-dark' : 'dark-on-light';
  }
  return undefined;
}

/** How far the brightest and darkest `share` of the pixels lie from the median. */
function tails(hist: Uint32Array, n: number, med: number, share: number) {
  return {
    bright: histogramPercentile(hist, n, 1 - share) - med,
    dark: med - histogramPercentile(hist, n, share),
  };
}

/**
 * How much thin structure of one tone the image holds, with a window about three strokes wide (at the working
 * height of 128 rows): for dark strokes the grey closing minus the image, for light ones the image minus the
 * grey opening (the same measure on the inverted image), summed where it exceeds the ink contrast. Wider areas
 * are not filled by the closing (or removed by the opening) and add nothing.
 */
function strokeContrast(grey: Float32Array, width: number, height: number, tone: 'dark' | 'light'): number {
  const k = Math.max(3, Math.round(height / 12)) | 1;
  const dark = tone === 'dark';
  const around = dark
    ? minFilter(maxFilter(grey, width, height, k), width, height, k)
    : maxFilter(minFilter(grey, width, height, k), width, height, k);
  let sum = 0;
  for (let i = 0; i < grey.length; i++) {
    const d = dark ? around[i] - grey[i] : grey[i] - around[i];
    if (d >= MIN_INK_CONTRAST) sum += d;
  }
  return sum;
}

/** Ink must stand out this many grey levels from its local background to count at all. */
export const MIN_INK_CONTRAST = 24;

/**
 * Background flattening. `dark` is dark-on-light grey (invert light-on-dark first). The background is a
 * grey closing wider than any stroke, so uneven lighting and textured cheque grounds cancel; the result is
 * how many grey levels darker than its local background each pixel is (0 = background).
 */
export function flatten(dark: Float32Array, width: number, height: number): Float32Array {
  const bg = background(dark, width, height);
  const diff = new Float32Array(dark.length);
  for (let i = 0; i < diff.length; i++) {
    const d = bg[i] - dark[i];
    diff[i] = Math.max(d, 0);
  }
  return diff;
}

/**
 * The darkness at which a pixel is ink: above the ground's texture (its mean + 3 sigma, Otsu telling ground
 * from ink) and at least half the Otsu split, so faint pencil next to bold print still counts.
 */
export function inkThreshold(diff: Float32Array): number {
  const hist = histogram(diff);
  const t = otsu(hist);
  let n = 0;
  let s = 0;
  let s2 = 0;
  for (let v = 0; v <= t; v++) {
    n += hist[v];
    s += v * hist[v];
    s2 += v * v * hist[v];
  }
  const mean = n > 0 ? s / n : 0;
  const sd = n > 0 ? Math.sqrt(Math.max(0, s2 / n - mean * mean)) : 0;
  return Math.max(MIN_INK_CONTRAST, 0.5 * t, mean + 3 * sd);
}

/** Soft ramp: darkness `lo` -> 0, `hi` -> 1, linear between (keeps the anti-aliasing). */
export function softInk(diff: Float32Array, lo: number, hi: number): Float32Array {
  const ink = new Float32Array(diff.length);
  const scale = 1 / Math.max(1e-3, hi - lo);
  for (let i = 0; i < diff.length; i++) {
    const v = (diff[i] - lo) * scale;
    ink[i] = v <= 0 ? 0 : Math.min(v, 1);
  }
  return ink;
}

/**
 * The paper's grey level under every pixel: a closing (max then min filter) with a window wider than any
 * stroke, smoothed. The background varies slowly, so it is estimated on a copy shrunk so that the window
 * is about 8 pixels, then enlarged back: the same result for a fraction of the work.
 */
export function background(dark: Float32Array, width: number, height: number): Float32Array {
  const win = Math.max(7, Math.min(61, Math.round(height / 2.5)));
  const d = Math.max(1, Math.floor(win / 8));
  const full = { x: 0, y: 0, width, height };
  const sw = Math.max(1, Math.round(width / d));
  const sh = Math.max(1, Math.round(height / d));
  const small = d > 1 ? resampleRect(dark, width, height, full, sw, sh, 'clamp') : dark;
  const k = Math.max(3, Math.round(win / d)) | 1;
  const closed = boxBlur(minFilter(maxFilter(small, sw, sh, k), sw, sh, k), sw, sh, k >> 2);
  return d > 1
    ? resampleRect(closed, sw, sh, { x: 0, y: 0, width: sw, height: sh }, width, height, 'clamp')
    : closed;
}
