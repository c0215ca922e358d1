import { HcrError } from '@hcr/core';
import sharp, { type Metadata, type OutputInfo } from 'sharp';

/** Image formats accepted from users (content types and sharp's format names). */
export const IMAGE_CONTENT_TYPES = ['image/png', 'image/jpeg', 'image/webp'] as const;
const FORMATS = new Set(['png', 'jpeg', 'webp']);

export interface DecodeLimits {
  /** Largest width x height accepted before decoding (decompression bombs stop here). */
  maxInputPixels?: number;
  /** The decoded image is shrunk so its longer side is at most this (speed; characters need no more). */
  workingSize?: number;
}

export const DEFAULT_DECODE_LIMITS = Object.freeze({ maxInputPixels: 25_000_000, workingSize: 192 });

/** A decoded image in one channel: either grey levels (any polarity) or, for cut-outs, the alpha mask. */
export interface DecodedImage {
  /** 0..255 per pixel, row-major. */
  values: Float32Array;
  width: number;
  height: number;
  /** 'alpha': the image was a cut-out on transparency, values are opacity (ink bright). */
  kind: 'grey' | 'alpha';
  format: string;
  originalWidth: number;
  originalHeight: number;
}

function badImage(problem: string, cause?: unknown): HcrError {
  return new HcrError('IMAGE_UNDECODABLE', problem, {
    hint: 'Send a complete PNG, JPEG or WebP file of the character (content-type image/png, image/jpeg or image/webp).',
    cause,
  });
}

/**
 * Decodes PNG/JPEG/WebP with sharp: checks the header before decoding (format, pixel count), applies the
 * EXIF orientation (phone photos), shrinks to the working size, and turns colour + alpha into one channel.
 */
export async function decodeImage(bytes: Uint8Array, limits: DecodeLimits = {}): Promise<DecodedImage> {
  const { maxInputPixels, workingSize } = { ...DEFAULT_DECODE_LIMITS, ...limits };
  if (bytes.byteLength === 0) throw badImage('The image is empty (0 bytes).');
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { failOn: 'error', limitInputPixels: false }).metadata();
  } catch (e) {
    throw badImage(`The image cannot be decoded (${(e as Error).message}).`, e);
  }
  if (!meta.format || !FORMATS.has(meta.format))
    throw badImage(`The image is ${meta.format ?? 'of an unknown format'}, not PNG, JPEG or WebP.`);
  const w = meta.width ?? 0;
  const h = meta.height ?? 0;
  if (w < 1 || h < 1) throw badImage('The image has no pixels.');
  if (w * h > maxInputPixels)
    throw new HcrError(
      'IMAGE_TOO_LARGE',
      `The image is ${w}x${h} = ${((w * h) / 1e6).toFixed(1)} megapixels, over the limit of ${(maxInputPixels / 1e6).toFixed(1)}.`,
      {
        hint: 'Crop the photo to the character or scale it down (a character needs well under 1 megapixel).',
      },
    );
  let raw: { data: Buffer; info: OutputInfo };
  try {
    raw = await sharp(bytes, { failOn: 'error', limitInputPixels: maxInputPixels, animated: false })
      .rotate()
      .resize(workingSize, workingSize, { fit: 'inside', withoutEnlargement: true, kernel: 'lanczos3' })
      .ensureAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
  } catch (e) {
    throw badImage(`The image cannot be decoded (${(e as Error).message}).`, e);
  }
  const { width, height, channels } = raw.info;
  const n = width * height;
  const data = raw.data;
  let transparent = 0;
  let opaque = 0;
  for (let i = 0; i < n; i++) {
    const a = data[i * channels + 3]!;
    if (a < 128) transparent++;
    else opaque++;
  }
  // A cut-out (strokes on transparency, e.g. a canvas export): the alpha channel is the character,
  // whatever the stroke colour. Otherwise composite on white paper and take the luminance.
  const cutout = transparent >= 0.05 * n && opaque > 0;
  const values = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const o = i * channels;
    const a = data[o + 3]! / 255;
    if (cutout) values[i] = data[o + 3]!;
    else {
      const lum = 0.299 * data[o]! + 0.587 * data[o + 1]! + 0.114 * data[o + 2]!;
      values[i] = lum * a + 255 * (1 - a);
    }
  }
  return {
    values,
    width,
    height,
    kind: cutout ? 'alpha' : 'grey',
    format: meta.format,
    originalWidth: w,
    originalHeight: h,
  };
}
