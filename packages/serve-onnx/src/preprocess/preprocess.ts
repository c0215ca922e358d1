import { HcrError } from '@hcr/core';
import { normaliseCharacter } from '@hcr/image';
import { type DecodeLimits, decodeImage, decodeImageNow } from '@hcr/image/decode';
import { extractInkShared, type InkOptions, type InkReport, isDarkOnLight } from './ink.js';

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

export interface PreprocessOptions extends DecodeLimits, InkOptions {}

/** Encoded image (PNG/JPEG/WebP, any size and colour) -> canonical 28x28. */
export async function prepareImage(
  bytes: Uint8Array,
  opts: PreprocessOptions = {},
): Promise<PreparedCharacter> {
  // Small PNGs decode at once into a buffer of this thread's, read by extractInk before anything else runs.
  const img = decodeImageNow(bytes, opts, true) ?? (await decodeImage(bytes, opts));
  const source = {
    kind: 'image' as const,
    format: img.format,
    width: img.originalWidth,
    height: img.originalHeight,
  };
  // A clean 28x28 rendering (MNIST's form, or what `prepare` returns) is the model's input already: the
  // photo pipeline would blur and re-threshold it (canonical test images as PNGs: 86.3% right through it,
  // 91.3% taken as they are), so it is taken like a 28x28 array.
  const paper = img.width === SIDE && img.height === SIDE ? cleanPaper(img.values) : undefined;
  if (paper) return { ...preparePixels(img.values, paper), source };
  // The ink is a shared buffer: normaliseCharacter reads it before anything else runs on this thread.
  const { ink, report } = extractInkShared(img.values, img.width, img.height, {
    ...opts,
    knownPolarity: img.kind === 'alpha' ? 'ink-bright' : undefined,
  });
  // A blank page is an answer ("no character"), not an error: one blank image must not fail a batch.
  if (report.blank) return { pixels: new Uint8Array(PIXELS), ink: report, noInk: true, source };
  return {
    pixels: normaliseCharacter(ink, img.width, img.height),
    ink: report,
    source,
  };
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
