import { HcrError } from '@hcr/core';
import { type Band, LETTER_MASS, minLetterArea, selectBand } from './band.js';
import type { Component } from './components.js';
import { histogramPercentile } from './filters.js';
import { validateImage } from './grey.js';
import { inkPlane, MIN_COMPONENT_AREA, turnPlane } from './ink-plane.js';
import { resampleRect } from './resample.js';
import { ruleOptionsFor } from './rules.js';
import { leaningAngle, unrotateBox } from './skew.js';
import {
  type GreyImage,
  LINE_HEIGHT,
  LINE_MARGIN,
  LINE_MAX_WIDTH,
  LINE_MIN_WIDTH,
  type LineImage,
  type LinePreprocessOptions,
} from './types.js';

/** Larger inputs are first shrunk to this height: every step after is then cheap and scale-free. */
export const WORK_HEIGHT = 128;

/**
 * Any grey scan, photo or drawing of one handwritten line, word or field -> the reader's input: ink bright
 * (0 background, 255 ink), `height` rows, the ink band filling all but `margin` rows top and bottom, width
 * scaled by the same factor (aspect kept). Deterministic: the same pixels give the same bytes.
 */
export function preprocessLine(img: GreyImage, opts: LinePreprocessOptions = {}): LineImage {
  const { outH, margin, minWidth, maxWidth } = checkOptions(opts);
  validateImage(img);
  // Ink at the threshold is 0.5 here, for form lines and components; keptPlane is the second pass.
  const rules = (_: number, height: number) =>
    (opts.removeRules ?? true) ? ruleOptionsFor(height) : undefined;
  const source = inkPlane(img, {
    maxHeight: WORK_HEIGHT,
    polarity: opts.polarity,
    polarityByStrokes: opts.polarityByStrokes ?? true,
    rules,
  });
  // Specks alone are no writing, and must not set a skew either (two dust specks make a slope).
  const least = minLetterArea(source.h);
  if (!source.comps.some((c) => c.area >= least)) throw noInk(img, unitRange(img));
  // A line that leans is turned flat before its band is found (a leaning band is tall: small letters).
  const skew = (opts.deskew ?? true) ? leaningAngle(source.ink, source.w, source.h) : 0;
  const working = skew ? turnPlane(source, -skew, rules) : source;
  const band = selectBand(
    working.comps.filter((c) => c.area >= MIN_COMPONENT_AREA),
    working.w,
    working.h,
    { removeLabels: opts.removeLabels ?? true, edgesInside: opts.edgesInside ?? true },
  );
  if (!band) throw noInk(img, unitRange(img));
  const { w, h, f, polarity, diff, t, ink, mask, labels, comps: all } = working;
  const keepId = new Uint8Array(all.length + 1);
  for (const id of band.keep) keepId[id] = 1;
  if (isGrain(all, mask, labels, keepId, band, w, h)) throw noInk(img, unitRange(img));
  const kept = keptPlane(diff, ink, t, labels, keepId, band, w, h);

  const bandW = band.x1 - band.x0 + 1;
  const bandH = band.y1 - band.y0 + 1;
  // A lone hyphen or dot must not be blown up to full height: a line is at least a few strokes high.
  const effH = Math.max(bandH, 4 * strokeWidth(mask, labels, keepId, band, w));
  const s = (outH - 2 * margin) / effH;
  const outW = Math.max(minWidth, Math.round(bandW * s) + 2 * margin);
  if (outW > maxWidth) {
    throw new HcrError(
      'LINE_TOO_WIDE',
      `The written line would be ${outW} pixels wide at height ${outH}, more than the ${maxWidth} allowed.`,
      { hint: 'Crop the image to one field or word (or raise maxWidth).' },
    );
  }
  // The band, centred, scaled by s; whatever lies outside the working image reads as background.
  const cx = (band.x0 + band.x1 + 1) / 2;
  const cyy = (band.y0 + band.y1 + 1) / 2;
  const rect = { x: cx - outW / s / 2, y: cyy - outH / s / 2, width: outW / s, height: outH / s };
  const plane = resampleRect(kept, w, h, rect, outW, outH, 'zero');
  const pixels = new Uint8Array(outW * outH);
  // A Uint8Array store truncates and wraps: round and clamp by hand.
  for (let i = 0; i < pixels.length; i++) {
    const v = plane[i] * 255 + 0.5;
    pixels[i] = v <= 0 ? 0 : Math.min(v, 255);
  }

  // The band in the working plane (turned back onto the unturned one), then in source pixels.
  const inPlane = { x: band.x0, y: band.y0, width: band.x1 + 1 - band.x0, height: band.y1 + 1 - band.y0 };
  const b = skew ? unrotateBox(inPlane, { width: w, height: h }, source.w, source.h, -skew) : inPlane;
  const sx0 = Math.max(0, Math.floor(b.x * f));
  const sy0 = Math.max(0, Math.floor(b.y * f));
  const sx1 = Math.min(img.width, Math.ceil((b.x + b.width) * f));
  const sy1 = Math.min(img.height, Math.ceil((b.y + b.height) * f));
  return {
    width: outW,
    height: outH,
    pixels,
    crop: { x: sx0, y: sy0, width: sx1 - sx0, height: sy1 - sy0 },
    polarity,
    labelRemoved: band.labelRemoved,
    rival: band.rival,
    skew,
  };
}

function checkOptions(opts: LinePreprocessOptions) {
  const outH = opts.height ?? LINE_HEIGHT;
  const margin = opts.margin ?? LINE_MARGIN;
  const minWidth = opts.minWidth ?? LINE_MIN_WIDTH;
  const maxWidth = opts.maxWidth ?? LINE_MAX_WIDTH;
  if (
    !Number.isInteger(outH) ||
    outH < 8 ||
    !Number.isInteger(margin) ||
    margin < 0 ||
    2 * margin >= outH - 4
  ) {
    const m = Number.isInteger(margin) && margin >= 0 ? margin : LINE_MARGIN;
    throw new HcrError(
      'BAD_OPTIONS',
      `height ${outH} with margin ${margin} leaves no room for the ink band.`,
      {
        hint: `Use a whole margin of 0 or more and a whole height of at least ${Math.max(8, 2 * m + 5)} with it (8 at least, and 5 rows or more between the two margins); defaults: 32 and 3.`,
      },
    );
  }
  if (opts.polarity !== undefined && opts.polarity !== 'dark-on-light' && opts.polarity !== 'light-on-dark')
    throw new HcrError(
      'BAD_OPTIONS',
      `polarity ${JSON.stringify(opts.polarity)} is neither dark-on-light nor light-on-dark.`,
      {
        hint: "Give polarity as 'dark-on-light' or 'light-on-dark', or leave it out to have it detected.",
      },
    );
  if (!Number.isInteger(minWidth) || minWidth < 1 || !(maxWidth >= minWidth)) {
    throw new HcrError('BAD_OPTIONS', `minWidth ${minWidth} and maxWidth ${maxWidth} allow no line width.`, {
      hint: 'Use an integer minWidth of at least 1 and a maxWidth at least as large (defaults: 16 and 2048).',
    });
  }
  return { outH, margin, minWidth, maxWidth };
}

/**
 * An image of noise, whose grains tile the whole band: many pieces of like weight along the band (more than
 * GRAIN_PIECES of at least LETTER_MASS of the heaviest per band height: the real dev images have 3.6 at most, the
 * line generator's lines 7.3, Gaussian noise 18 and more), or many pieces of any weight whose pixels mostly stand
 * alone (under GRAIN_COHESION of their four neighbours ink on average, where a stroke's pixels have their
 * neighbours along it: the dev images 0.55 at least, the generator's lines 0.39, noise 0.24-0.40; those of the dev
 * images and generated lines under 0.5 have 8 pieces per band height at most, noise 15 and more).
 */
function isGrain(
  comps: Component[],
  mask: Uint8Array,
  labels: Int32Array,
  keepId: Uint8Array,
  band: Band,
  w: number,
  h: number,
): boolean {
  const bandW = band.x1 - band.x0 + 1;
  const bandH = band.y1 - band.y0 + 1;
  // Per band height, but over at least one band height of length: a band narrower than tall (a lone 1, I or
  // the first stroke of an H drawn on the page) is one piece or a few, never "many" like noise's grains.
  const many = (pieces: number) => pieces * bandH > GRAIN_PIECES * Math.max(bandW, bandH);
  if (!many(band.keep.size)) return false;
  const kept = [...band.keep].map((id) => comps[id - 1]!);
  const heaviest = kept.reduce((m, c) => Math.max(m, c.mass), 0);
  if (many(kept.filter((c) => c.mass >= LETTER_MASS * heaviest).length)) return true;
  let pixels = 0;
  let neighbours = 0;
  for (let y = band.y0; y <= band.y1; y++) {
    for (let x = band.x0; x <= band.x1; x++) {
      const p = y * w + x;
      if (!keepId[labels[p]]) continue;
      pixels++;
      if (x > 0 && mask[p - 1]) neighbours++;
      if (x < w - 1 && mask[p + 1]) neighbours++;
      if (y > 0 && mask[p - w]) neighbours++;
      if (y < h - 1 && mask[p + w]) neighbours++;
    }
  }
  return neighbours < GRAIN_COHESION * 4 * pixels;
}

/** See `isGrain`. */
const GRAIN_PIECES = 10;
const GRAIN_COHESION = 0.45;

/**
 * The kept writing as ink 0..1: the chosen components and their one-pixel anti-aliased fringe (a 3x3
 * dilation, done separably); everything else is background. Second pass of the contrast: the writing's own
 * stroke cores reach 1, so bold print elsewhere does not make it faint.
 */
function keptPlane(
  diff: Float32Array,
  ink: Float32Array,
  t: number,
  labels: Int32Array,
  keepId: Uint8Array,
  band: Box,
  w: number,
  h: number,
): Float32Array {
  const core = strokeCore(diff, labels, keepId, band, w);
  const ramp = 1 / Math.max(16, core - 0.5 * t);
  const near = new Uint8Array(w * h);
  for (let y = band.y0; y <= band.y1; y++) {
    for (let x = band.x0; x <= band.x1; x++) {
      const p = y * w + x;
      if (!keepId[labels[p]]) continue;
      near[p] = 1;
      if (x > 0) near[p - 1] = 1;
      if (x < w - 1) near[p + 1] = 1;
    }
  }
  const kept = new Float32Array(w * h);
  for (let y = Math.max(0, band.y0 - 1); y <= Math.min(h - 1, band.y1 + 1); y++) {
    for (let x = Math.max(0, band.x0 - 1); x <= Math.min(w - 1, band.x1 + 1); x++) {
      const p = y * w + x;
      if (ink[p] === 0) continue;
      if (near[p] || (y > 0 && near[p - w]) || (y < h - 1 && near[p + w]))
        kept[p] = Math.min(1, (diff[p] - 0.5 * t) * ramp);
    }
  }
  return kept;
}

/** An inclusive box in working pixels. */
interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** Darkness of the stroke cores of the kept components (60th percentile of their pixels). */
function strokeCore(
  diff: Float32Array,
  labels: Int32Array,
  keepId: Uint8Array,
  band: Box,
  w: number,
): number {
  const hist = new Uint32Array(256);
  let n = 0;
  for (let y = band.y0; y <= band.y1; y++) {
    for (let x = band.x0; x <= band.x1; x++) {
      const p = y * w + x;
      if (!keepId[labels[p]]) continue;
      const v = diff[p];
      hist[v >= 255 ? 255 : (v + 0.5) | 0]++;
      n++;
    }
  }
  return histogramPercentile(hist, n, 0.6);
}

/** Median length of horizontal ink runs in the kept components: the pen width. */
function strokeWidth(mask: Uint8Array, labels: Int32Array, keepId: Uint8Array, band: Box, w: number): number {
  const counts = new Uint32Array(64);
  let total = 0;
  for (let y = band.y0; y <= band.y1; y++) {
    let run = 0;
    for (let x = band.x0; x <= band.x1 + 1; x++) {
      const p = y * w + x;
      const on = x <= band.x1 && mask[p] && keepId[labels[p]];
      if (on) run++;
      else if (run > 0) {
        counts[Math.min(63, run)]++;
        total++;
        run = 0;
      }
    }
  }
  let acc = 0;
  for (let r = 0; r < 64; r++) {
    acc += counts[r];
    if (acc * 2 >= total) return r;
  }
  return 1;
}

/**
 * NO_INK for an image with no writing in it (what preprocessLine throws), naming its size; `unit`: its values all
 * lie within 0..1 (a 0/1 mask or a 0..1 image given as if 0..255, where it is all but black), said in the hint.
 */
export function noInk(img: { width: number; height: number }, unit = false): HcrError {
  return new HcrError(
    'NO_INK',
    `No writing found in the ${img.width}x${img.height} image (it is blank or uniform, or holds only specks or noise).`,
    {
      hint: unit
        ? 'Its values all lie within 0..1, a near-black 0..255 image: a 0/1 mask or a 0..1 image must be multiplied by 255 first.'
        : 'Send an image with the written field in it, dark on light or light on dark.',
    },
  );
}

/** Whether every value of the image lies within 0..1 and some is 1 (a mask or 0..1 image given as 0..255). */
function unitRange(img: GreyImage): boolean {
  let one = false;
  for (let i = 0; i < img.data.length; i++) {
    const v = img.data[i]!;
    if (v > 1 || v < 0) return false;
    if (v === 1) one = true;
  }
  return one;
}
