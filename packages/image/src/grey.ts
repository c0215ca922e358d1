import { HcrError } from '@hcr/core';
import { type GreyImage, MAX_INPUT_ASPECT } from './types.js';

/** Smallest side we can find a line in. */
export const MIN_SIDE = 4;

/** Checks sizes and data length; every problem names the fix. */
export function validateImage(img: GreyImage): void {
  const { width, height } = img;
  const channels = img.channels ?? 1;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width <= 0 || height <= 0) {
    throw new HcrError(
      'BAD_IMAGE_SIZE',
      `The image is ${width}x${height}; width and height must be positive integers.`,
      {
        hint: 'Pass the decoded image with its real width and height.',
      },
    );
  }
  if (channels !== 1 && channels !== 2 && channels !== 3 && channels !== 4) {
    throw new HcrError(
      'BAD_IMAGE_DATA',
      `The image has ${channels} channels; 1 (grey), 2 (grey + alpha), 3 (RGB) or 4 (RGBA) are read.`,
      {
        hint: 'Convert the image to grey, RGB or RGBA first.',
      },
    );
  }
  if (!img.data || img.data.length !== width * height * channels) {
    throw new HcrError(
      'BAD_IMAGE_DATA',
      `The image data has ${img.data?.length ?? 0} values but ${width}x${height}x${channels} = ${width * height * channels} were expected.`,
      { hint: 'Pass raw decoded pixels (not the file bytes) and set `channels` (1 to 4) to match them.' },
    );
  }
  if (img.data instanceof Float32Array) checkFloatRange(img.data);
  checkImageSize(width, height);
}

/**
 * The size rules of a line or field image: at least MIN_SIDE px each way, at most MAX_INPUT_ASPECT times
 * wider than high (LINE_TOO_WIDE) or higher than wide (IMAGE_TOO_ELONGATED). Callers that shrink an image before preprocessing check the size it arrived at, so the
 * error names what the user sent.
 */
export function checkImageSize(width: number, height: number): void {
  if (width < MIN_SIDE || height < MIN_SIDE) {
    throw new HcrError(
      'IMAGE_TOO_SMALL',
      `The image is ${width}x${height}; a line needs at least ${MIN_SIDE}x${MIN_SIDE} pixels.`,
      {
        hint: 'Send the crop of the written field, not a thumbnail.',
      },
    );
  }
  if (width / height > MAX_INPUT_ASPECT) {
    throw new HcrError(
      'LINE_TOO_WIDE',
      `The image is ${width}x${height}, more than ${MAX_INPUT_ASPECT} times wider than high: that is not one written field.`,
      { hint: 'Crop the image to the field or word to read.' },
    );
  }
  // As narrow the other way: a sliver, whose few columns shrunk to a line's working height hold no letter.
  if (height / width > MAX_INPUT_ASPECT) {
    throw new HcrError(
      'IMAGE_TOO_ELONGATED',
      `The image is ${width}x${height}, more than ${MAX_INPUT_ASPECT} times higher than wide: that is not a written field or page.`,
      { hint: 'Send the field or page upright and whole, or crop it to the writing.' },
    );
  }
}

/**
 * Float grey levels may overshoot 0..255 by this much: a bicubic resampling of a sharp edge does (a page turned
 * flat is cut into lines that way). Beyond it they are another scale (16-bit levels, a signed range).
 */
const FLOAT_SLACK = 64;

/** Float pixels must be finite grey levels 0..255; 0..1 floats are the usual mistake. */
function checkFloatRange(data: Float32Array): void {
  let max = 0;
  let fractional = false;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (!Number.isFinite(v)) {
      throw new HcrError(
        'BAD_IMAGE_DATA',
        `The image data holds ${v} at index ${i}; pixels must be finite.`,
        {
          hint: 'Pass grey levels 0..255.',
        },
      );
    }
    if (v > max) max = v;
    if (v !== Math.round(v)) fractional = true;
    if (v < -FLOAT_SLACK || v > 255 + FLOAT_SLACK) {
      throw new HcrError(
        'BAD_IMAGE_DATA',
        `The image data holds ${v} at index ${i}; float pixels are grey levels 0..255.`,
        {
          hint: 'Scale the pixels to 0..255 first (16-bit levels: divide by 257).',
        },
      );
    }
  }
  // Fractions all at or below 1: a 0..1 image (a near-black 0..255 image has whole levels).
  if (fractional && max <= 1) {
    throw new HcrError('BAD_IMAGE_DATA', `The float pixels run from 0 to ${max}, not 0..255.`, {
      hint: 'Multiply 0..1 floats by 255 (the Uint8 range) before preprocessing.',
    });
  }
}

/**
 * Grey levels 0..255 as floats. RGB uses Rec. 601 luma. Alpha is composited on white and on black and the
 * version with more contrast is kept: dark strokes on a transparent canvas and white cut-outs both read.
 */
export function toGrey(img: GreyImage): Float32Array {
  const { width, height, data } = img;
  const channels = img.channels ?? 1;
  const n = width * height;
  const out = new Float32Array(n);
  if (channels === 1) {
    for (let i = 0; i < n; i++) out[i] = data[i];
    return out;
  }
  if (channels === 3) {
    for (let i = 0, j = 0; i < n; i++, j += 3)
      out[i] = 0.299 * data[j] + 0.587 * data[j + 1] + 0.114 * data[j + 2];
    return out;
  }
  const onBlack = new Float32Array(n);
  let opaque = true;
  for (let i = 0, j = 0; i < n; i++, j += channels) {
    const a = data[j + channels - 1] / 255;
    if (a < 1) opaque = false;
    const luma = channels === 2 ? data[j] : 0.299 * data[j] + 0.587 * data[j + 1] + 0.114 * data[j + 2];
    onBlack[i] = luma * a;
    out[i] = luma * a + 255 * (1 - a);
  }
  if (opaque) return out;
  return spread(onBlack) > spread(out) ? onBlack : out;
}

/** Standard deviation: a cheap contrast measure. */
function spread(a: Float32Array): number {
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < a.length; i++) {
    s += a[i];
    s2 += a[i] * a[i];
  }
  const m = s / a.length;
  return Math.sqrt(Math.max(0, s2 / a.length - m * m));
}
