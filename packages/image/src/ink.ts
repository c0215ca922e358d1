import { boxBlur, histogramPercentile, maxFilter, minFilter, otsu } from './filters.js';

export type Polarity = 'dark-on-light' | 'light-on-dark';

/**
 * The background is the bulk of the pixels and the ink the far tail: if the bright tail is further from
 * the median than the dark tail, the ink is light on a dark ground.
 */
export function detectPolarity(grey: Float32Array): Polarity {
  const hist = new Uint32Array(256);
  for (let i = 0; i < grey.length; i++) hist[Math.min(255, Math.max(0, Math.round(grey[i])))]++;
  const lo = histogramPercentile(hist, grey.length, 0.02);
  const med = histogramPercentile(hist, grey.length, 0.5);
  const hi = histogramPercentile(hist, grey.length, 0.98);
  return hi - med > med - lo ? 'light-on-dark' : 'dark-on-light';
}

export interface InkMap {
  /** 0..1, 1 = full ink, row-major. */
  ink: Float32Array;
  /** Ink contrast (grey levels above the local background) that maps to full ink. */
  strokeLevel: number;
}

/** Ink must stand out this many grey levels from its local background to count at all. */
export const MIN_INK_CONTRAST = 24;

/**
 * Background flattening and soft contrast stretch. `dark` is dark-on-light grey (invert light-on-dark first).
 * The background is a grey closing (max then min filter) wider than any stroke, so uneven lighting and
 * textured cheque grounds cancel; the ink is how much darker than that a pixel is, stretched so that stroke
 * cores reach 1 and the ground texture stays 0, with the ramp in between kept (anti-aliasing).
 */
export function inkMap(dark: Float32Array, width: number, height: number): InkMap {
  const win = Math.max(7, Math.min(61, Math.round(height / 2.5))) | 1;
  const bg = boxBlur(
    minFilter(maxFilter(dark, width, height, win), width, height, win),
    width,
    height,
    win >> 2,
  );
  const n = width * height;
  const diff = new Float32Array(n);
  const hist = new Uint32Array(256);
  for (let i = 0; i < n; i++) {
    const d = Math.max(0, bg[i] - dark[i]);
    diff[i] = d;
    hist[Math.min(255, Math.round(d))]++;
  }
  // Otsu splits ground texture from ink; the ink class' upper half is the stroke core.
  const t = Math.max(otsu(hist), MIN_INK_CONTRAST / 2);
  let above = 0;
  for (let v = t + 1; v < 256; v++) above += hist[v];
  let core = 0;
  if (above > 0) {
    let acc = 0;
    for (let v = t + 1; v < 256; v++) {
      acc += hist[v];
      if (acc >= above * 0.6) {
        core = v;
        break;
      }
    }
  }
  const ink = new Float32Array(n);
  if (core < MIN_INK_CONTRAST) return { ink, strokeLevel: core };
  const lo = Math.max(t * 0.6, MIN_INK_CONTRAST / 2);
  const hi = Math.max(core, lo + 8);
  const scale = 1 / (hi - lo);
  for (let i = 0; i < n; i++) {
    const v = (diff[i] - lo) * scale;
    ink[i] = v <= 0 ? 0 : Math.min(v, 1);
  }
  return { ink, strokeLevel: core };
}
