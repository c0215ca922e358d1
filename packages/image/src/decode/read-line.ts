import { checkImageSize } from '../grey.js';
import { preprocessLine } from '../preprocess.js';
import { LINE_MAX_WIDTH } from '../types.js';
import { DEFAULT_DECODE_LIMITS, decodeImage } from './decode.js';

/** A line ready for the reader: `height` (32) rows of `width` bytes, ink bright on 0. */
export interface PreparedLine {
  width: number;
  height: number;
  pixels: Uint8Array;
  /** The image as received (after EXIF rotation and the working-size shrink). */
  source: { format: string; width: number; height: number };
}

export interface LineLimits {
  /** Largest width x height accepted before decoding (decompression bombs stop here). */
  maxInputPixels: number;
  /**
   * The decoded image is shrunk so its longer side is at most this. A line needs far more than the
   * 192 px a character gets: its ink band ends up 32 px high, and the band can be a third of a form crop.
   */
  workingSize: number;
  /** Widest normalised line (pixels at the reader's height of 32): about 100 characters. */
  maxWidth: number;
}

export const DEFAULT_LINE_LIMITS: LineLimits = Object.freeze({
  maxInputPixels: DEFAULT_DECODE_LIMITS.maxInputPixels,
  workingSize: 2048,
  maxWidth: LINE_MAX_WIDTH,
});

/**
 * Encoded image (PNG/JPEG/WebP) -> a 32-px high line, with `preprocessLine` from @hcr/image (the same
 * code that prepares training and evaluation lines; it refuses 1x1 thumbnails, 20000x40 strips, blank
 * and uniform images and too-wide lines with errors naming the fix). Decoding is the character path's
 * `decodeImage` (signature sniffing, pixel limit before decoding, EXIF rotation) at a line's working size.
 */
export async function prepareLineImage(
  bytes: Uint8Array,
  limits: Partial<LineLimits> = {},
): Promise<PreparedLine> {
  const lim = { ...DEFAULT_LINE_LIMITS, ...limits };
  const img = await decodeImage(bytes, { maxInputPixels: lim.maxInputPixels, workingSize: lim.workingSize });
  // The size rules on the size the user sent (a 20000x40 strip arrives here shrunk to 2048x4).
  checkImageSize(img.originalWidth, img.originalHeight);
  const line = preprocessLine(
    { width: img.width, height: img.height, data: img.values, channels: 1 },
    // A cut-out's values are its opacity: ink bright.
    { maxWidth: lim.maxWidth, ...(img.kind === 'alpha' ? { polarity: 'light-on-dark' as const } : {}) },
  );
  return {
    width: line.width,
    height: line.height,
    pixels: line.pixels,
    source: { format: img.format, width: img.width, height: img.height },
  };
}
