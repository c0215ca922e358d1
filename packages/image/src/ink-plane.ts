import { type Component, components } from './components.js';
import { toGrey } from './grey.js';
import { detectPolarity, flatten, inkThreshold, type Polarity, softInk } from './ink.js';
import { resampleRect } from './resample.js';
import { type RuleOptions, removeRules } from './rules.js';
import { rotateGrey } from './skew.js';
import type { GreyImage } from './types.js';

/** Pixels at or above this ink level form components. */
const COMPONENT_INK = 0.5;
/** Components smaller than this (working pixels) are noise. */
export const MIN_COMPONENT_AREA = 3;

export interface InkPlaneOptions {
  /** Inputs higher than this are first shrunk to it: every step after is then cheap and scale-free. */
  maxHeight: number;
  /** Force the polarity instead of detecting it. */
  polarity?: Polarity;
  /** Let thin strokes break a tie of the histogram's tails (`detectPolarity` given the size). */
  polarityByStrokes: boolean;
  /** The writing may be a tiny share of the pixels (a page): see `detectPolarity`. */
  sparseInk?: boolean;
  /** Form lines to remove at the working size, or undefined to keep them. */
  rules: (width: number, height: number) => RuleOptions | undefined;
}

/** A scan's ink at working scale: what line preprocessing and line finding both start from. */
export interface InkPlane {
  /** Working size, and source pixels per working pixel. */
  w: number;
  h: number;
  f: number;
  polarity: Polarity;
  /** How much darker than its local background each pixel is (dark-on-light after the polarity). */
  diff: Float32Array;
  /** The ink threshold on `diff`. */
  t: number;
  /** Soft ink 0..1 (0.5 at the threshold), form lines removed. */
  ink: Float32Array;
  /** Ink at or above COMPONENT_INK. */
  mask: Uint8Array;
  /** Component id per pixel (0 = none). */
  labels: Int32Array;
  /** Every 8-connected component of `mask`, id k at index k-1. */
  comps: Component[];
}

/**
 * The first steps of reading a scan: grey at working scale, polarity (light-on-dark is inverted), background
 * flattening, the ink threshold, soft ink with the form lines removed, and its components.
 */
export function inkPlane(img: GreyImage, opts: InkPlaneOptions): InkPlane {
  const { grey, w, h, f } = workingGrey(img, opts.maxHeight);
  const polarity =
    opts.polarity ??
    detectPolarity(grey, opts.polarityByStrokes ? { width: w, height: h } : undefined, {
      sparseInk: opts.sparseInk ?? false,
    });
  if (polarity === 'light-on-dark') for (let i = 0; i < grey.length; i++) grey[i] = 255 - grey[i];
  const diff = flatten(grey, w, h);
  return planeOfDiff(diff, w, h, f, polarity, inkThreshold(diff), opts.rules);
}

/**
 * The plane turned by `degrees` (clockwise on screen) onto a canvas that holds it all, its ink, form lines and
 * components found again. Turned after flattening, where paper is 0 everywhere: the uncovered corners are
 * paper too, with no edge between them and a shaded page. The ink threshold stays the unturned one's.
 */
export function turnPlane(plane: InkPlane, degrees: number, rules: InkPlaneOptions['rules']): InkPlane {
  const turned = rotateGrey(plane.diff, plane.w, plane.h, degrees, 0);
  return planeOfDiff(turned.grey, turned.width, turned.height, plane.f, plane.polarity, plane.t, rules);
}

function planeOfDiff(
  diff: Float32Array,
  w: number,
  h: number,
  f: number,
  polarity: Polarity,
  t: number,
  rulesFor: InkPlaneOptions['rules'],
): InkPlane {
  const ink = softInk(diff, 0.5 * t, 1.5 * t);
  const rules = rulesFor(w, h);
  if (rules) removeRules(ink, w, h, rules);
  const mask = new Uint8Array(w * h);
  for (let i = 0; i < mask.length; i++) mask[i] = ink[i] >= COMPONENT_INK ? 1 : 0;
  const labels = new Int32Array(w * h);
  const comps = components(mask, ink, w, h, labels);
  return { w, h, f, polarity, diff, t, ink, mask, labels, comps };
}

/** Grey levels at working scale: inputs higher than `maxHeight` are shrunk to it; `f` is source px per working px. */
function workingGrey(
  img: GreyImage,
  maxHeight: number,
): { grey: Float32Array; w: number; h: number; f: number } {
  const grey = toGrey(img);
  const { width: w, height: h } = img;
  if (h <= maxHeight) return { grey, w, h, f: 1 };
  const f = h / maxHeight;
  const ww = Math.max(1, Math.round(w / f));
  const full = { x: 0, y: 0, width: w, height: h };
  return { grey: resampleRect(grey, w, h, full, ww, maxHeight, 'clamp'), w: ww, h: maxHeight, f };
}
