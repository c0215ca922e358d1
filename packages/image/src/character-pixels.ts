import { HcrError } from '@hcr/core';
import { normaliseCharacter } from './character.js';
import type { InkReport } from './character-ink.js';
import { isDarkOnLight } from './character-paper.js';

/**
 * 28x28 arrays to the model's canonical 28x28 (polarity, then `normaliseCharacter`), and the result type that
 * image files prepared by `prepareImage` (@hcr/image/decode) share.
 */

export const SIDE = 28;
export const PIXELS = SIDE * SIDE;

/** A character ready for the model: 28x28 bytes, ink bright on black, canonically normalised. */
export interface PreparedCharacter {
  pixels: Uint8Array;
  /** What the photo pipeline did (absent for raw 28x28 arrays). */
  ink?: InkReport;
  /** Nothing stands out from the background (a blank page, a uniform array): `pixels` are all 0. */
  noInk?: true;
  source: { kind: 'pixels' | 'image'; format?: string; width: number; height: number };
}

/**
 * The paper of a clean 28x28 rendering, or undefined for a photo: a rendering has at least 90% of its outer
 * ring at one exact extreme, pure black or pure white. Every MNIST and EMNIST test image passes (ink may
 * touch the edge); no photo of a character shrunk to 28x28 does (paper is never one exact level).
 */
export function cleanPaper(values: ArrayLike<number>): 'black' | 'white' | undefined {
  let black = 0;
  let white = 0;
  const count = (i: number) => {
    const v = values[i];
    if (v === 0) black++;
    else if (v === 255) white++;
  };
  for (let x = 0; x < SIDE; x++) {
    count(x);
    count((SIDE - 1) * SIDE + x);
  }
  for (let y = 1; y < SIDE - 1; y++) {
    count(y * SIDE);
    count(y * SIDE + SIDE - 1);
  }
  const ring = 4 * SIDE - 4;
  return black >= 0.9 * ring ? 'black' : white >= 0.9 * ring ? 'white' : undefined;
}

/**
 * A 28x28 array (Uint8 or Float32, any non-negative scale) -> canonical 28x28. Arrays are taken as clean
 * renderings, so only the polarity is detected before the canonical normalisation (no thresholding).
 * `paper`, when known (cleanPaper), is the polarity: white paper means dark ink, inverted.
 */
export function preparePixels(values: ArrayLike<number>, paper?: 'black' | 'white'): PreparedCharacter {
  if (values.length !== PIXELS)
    throw new HcrError('BAD_PIXELS', `Expected ${PIXELS} pixels (28x28), got ${values.length}.`, {
      hint: 'Send 784 numbers, row by row, or send an encoded image (PNG/JPEG/WebP) of any size instead.',
    });
  // Values a float32 copy would change (JSON numbers, doubles: -1e-50 becomes -0) are checked as sent; the
  // other typed arrays, exact in a float32, once copied.
  if (!ArrayBuffer.isView(values) || values instanceof Float64Array)
    for (let i = 0; i < PIXELS; i++) {
      const v = values[i];
      if (typeof v !== 'number' || !(v >= 0 && v < Infinity)) throw badPixel(i, v);
    }
  const f = new Float32Array(PIXELS);
  f.set(values);
  let max = 0;
  let min = Infinity;
  for (let i = 0; i < PIXELS; i++) {
    const v = f[i]!;
    if (!(v >= 0 && v < Infinity)) throw badPixel(i, values[i]);
    if (v > max) max = v;
    if (v < min) min = v;
  }
  if (max === min)
    return {
      pixels: new Uint8Array(PIXELS),
      noInk: true,
      source: { kind: 'pixels', width: SIDE, height: SIDE },
    };
  if (paper ? paper === 'white' : isDarkOnLightArray(f, max))
    for (let i = 0; i < PIXELS; i++) f[i] = max - f[i]!;
  return { pixels: normaliseCharacter(f, SIDE, SIDE), source: { kind: 'pixels', width: SIDE, height: SIDE } };
}

/** Polarity of an array whose brightest value is `max`, judged on a 0..255 copy. */
function isDarkOnLightArray(f: Float32Array, max: number): boolean {
  for (let i = 0; i < PIXELS; i++) scaled[i] = (f[i]! / max) * 255;
  return isDarkOnLight(scaled, SIDE, SIDE);
}

/** The 0..255 copy, reused (read before isDarkOnLightArray returns). */
const scaled = new Float32Array(PIXELS);

function badPixel(i: number, v: unknown): HcrError {
  return new HcrError('BAD_PIXELS', `Pixel ${i} is ${String(v)}; pixels must be finite numbers >= 0.`, {
    hint: 'Send grey levels 0..255 (or 0..1), ink bright or dark, row by row.',
  });
}
