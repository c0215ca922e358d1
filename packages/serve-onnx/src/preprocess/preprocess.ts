import { HcrError } from '@hcr/core';
import { normaliseCharacter } from '@hcr/image';
import { type DecodeLimits, decodeImage, decodeImageNow } from './decode.js';
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
  // The ink is a shared buffer: normaliseCharacter reads it before anything else runs on this thread.
  const { ink, report } = extractInkShared(img.values, img.width, img.height, {
    ...opts,
    knownPolarity: img.kind === 'alpha' ? 'ink-bright' : undefined,
  });
  const source = {
    kind: 'image' as const,
    format: img.format,
    width: img.originalWidth,
    height: img.originalHeight,
  };
  // A blank page is an answer ("no character"), not an error: one blank image must not fail a batch.
  if (report.blank) return { pixels: new Uint8Array(PIXELS), ink: report, noInk: true, source };
  return {
    pixels: normaliseCharacter(ink, img.width, img.height),
    ink: report,
    source,
  };
}

/**
 * A 28x28 array (Uint8 or Float32, any non-negative scale) -> canonical 28x28. Arrays are taken as clean
 * renderings, so only the polarity is detected before the canonical normalisation (no thresholding).
 */
export function preparePixels(values: ArrayLike<number>): PreparedCharacter {
  if (values.length !== PIXELS)
    throw new HcrError('BAD_PIXELS', `Expected ${PIXELS} pixels (28x28), got ${values.length}.`, {
      hint: 'Send 784 numbers, row by row, or send an encoded image (PNG/JPEG/WebP) of any size instead.',
    });
  const f = new Float32Array(PIXELS);
  let max = 0;
  for (let i = 0; i < PIXELS; i++) {
    const v = values[i]!;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
      throw new HcrError('BAD_PIXELS', `Pixel ${i} is ${String(v)}; pixels must be finite numbers >= 0.`, {
        hint: 'Send grey levels 0..255 (or 0..1), ink bright or dark, row by row.',
      });
    f[i] = v;
    if (v > max) max = v;
  }
  let min = max;
  for (let i = 0; i < PIXELS; i++) if (f[i]! < min) min = f[i]!;
  if (max === min)
    return {
      pixels: new Uint8Array(PIXELS),
      noInk: true,
      source: { kind: 'pixels', width: SIDE, height: SIDE },
    };
  // Polarity on a 0..255 scale.
  const scaled = f.map((v) => (v / max) * 255);
  if (isDarkOnLight(scaled, SIDE, SIDE)) for (let i = 0; i < PIXELS; i++) f[i] = max - f[i]!;
  return { pixels: normaliseCharacter(f, SIDE, SIDE), source: { kind: 'pixels', width: SIDE, height: SIDE } };
}
