import { HcrError } from '@hcr/core';

/**
 * The canonical character normalisation: one procedure for every training image of every source and for
 * every image a user sends to the served model, so training data and served inputs look alike.
 *
 * MNIST and EMNIST were processed differently (MNIST: 20 px box, thin strokes; EMNIST: blur + 24 px frame),
 * and a model trained on the raw mix learns the processing instead of the characters. This removes the
 * difference in geometry and intensity: crop to the ink, scale the longer side to `boxSize` keeping the
 * aspect ratio, centre by centre of mass in a `size` x `size` field (the MNIST procedure), stretch to 0..255.
 *
 * Input: ink bright on a dark (0) background, one byte or float per pixel, row-major.
 */
export interface CharacterNormalisationOptions {
  /** Side of the output field (28). */
  size?: number;
  /** The longer side of the character after scaling (20, as MNIST). */
  boxSize?: number;
  /** Pixels below this fraction of the brightest pixel do not count as ink for the bounding box. */
  inkThreshold?: number;
}

export const CANONICAL_NORMALISATION = Object.freeze({ size: 28, boxSize: 20, inkThreshold: 0.15 });

/** The default `options`: the canonical values are used as they are, without merging an object per call. */
const NO_OPTIONS: CharacterNormalisationOptions = Object.freeze({});

/**
 * A server normalises thousands of characters a second, so this is written for speed; every value is
 * computed with the same floating-point operations in the same order as the plain definition (kept in
 * test/support/character-reference.ts, and the tests compare both byte for byte).
 */
export function normaliseCharacter(
  pixels: ArrayLike<number>,
  width: number,
  height: number,
  options: CharacterNormalisationOptions = NO_OPTIONS,
  out?: Uint8Array,
): Uint8Array {
  const { size, boxSize, inkThreshold } =
    options === NO_OPTIONS ? CANONICAL_NORMALISATION : normalisationOptions(options);
  if (pixels?.length !== width * height)
    throw new HcrError(
      'BAD_IMAGE_DATA',
      `normaliseCharacter was given ${pixels?.length ?? 0} pixels for a ${width}x${height} image (${width * height}).`,
      { hint: 'Pass one value per pixel, row by row, with the width and height of the image.' },
    );
  if (out && out.length !== size * size)
    throw new HcrError(
      'BAD_OPTIONS',
      `normaliseCharacter's output array holds ${out.length} bytes, not ${size}x${size} = ${size * size}.`,
      { hint: 'Pass an output array of size x size bytes, or none.' },
    );
  const result = out ?? new Uint8Array(size * size);
  result.fill(0);

  // The brightest pixel, and each row's (rows without ink are skipped by the bounding box).
  if (rowMax.length < height) rowMax = new Float64Array(height);
  let max = 0;
  for (let y = 0, i = 0; y < height; y++) {
    let m = Number.NEGATIVE_INFINITY;
    for (const end = i + width; i < end; i++) {
      const v = pixels[i]!;
      if (v > m) m = v;
    }
    rowMax[y] = m;
    if (m > max) max = m;
  }
  if (max <= 0) return result; // blank: nothing to centre

  const box = inkBoundingBox(pixels, width, height, max * inkThreshold);
  const scale = boxSize / Math.max(box.w, box.h);
  const ow = Math.max(1, Math.min(size, Math.round(box.w * scale)));
  const oh = Math.max(1, Math.min(size, Math.round(box.h * scale)));
  const scaled = resample(pixels, width, box, ow, oh);

  let smax = 0;
  let mass = 0;
  let mx = 0;
  let my = 0;
  for (let y = 0, i = 0; y < oh; y++) {
    const cy = y + 0.5;
    for (let x = 0; x < ow; x++, i++) {
      const v = scaled[i]!;
      if (v > smax) smax = v;
      mass += v;
      mx += v * (x + 0.5);
      my += v * cy;
    }
  }
  if (mass <= 0) return result;
  const ox = clamp(Math.round(size / 2 - mx / mass), 0, size - ow);
  const oy = clamp(Math.round(size / 2 - my / mass), 0, size - oh);
  const gain = 255 / smax;
  for (let y = 0, i = 0; y < oh; y++) {
    const row = (oy + y) * size + ox;
    for (let x = 0; x < ow; x++, i++) {
      const v = Math.round(scaled[i]! * gain);
      result[row + x] = Math.min(v, 255);
    }
  }
  return result;
}

/** The canonical options with those given (one set to undefined is its default), each checked (BAD_OPTIONS). */
function normalisationOptions(
  options: CharacterNormalisationOptions,
): Required<CharacterNormalisationOptions> {
  const o: Required<CharacterNormalisationOptions> = { ...CANONICAL_NORMALISATION };
  if (options.size !== undefined) o.size = options.size;
  if (options.boxSize !== undefined) o.boxSize = options.boxSize;
  if (options.inkThreshold !== undefined) o.inkThreshold = options.inkThreshold;
  const bad = (problem: string) =>
    new HcrError('BAD_OPTIONS', `normaliseCharacter: ${problem}.`, {
      hint: 'Leave the options out for the canonical 28x28 (size 28, boxSize 20, inkThreshold 0.15).',
    });
  if (!(Number.isSafeInteger(o.size) && o.size >= 1))
    throw bad(`size ${o.size} is not a whole number of 1 or more`);
  if (!(o.boxSize > 0 && o.boxSize <= o.size))
    throw bad(`boxSize ${o.boxSize} is not above 0 and at most size ${o.size}`);
  if (!(o.inkThreshold >= 0 && o.inkThreshold <= 1))
    throw bad(`inkThreshold ${o.inkThreshold} is not from 0 to 1`);
  return o;
}

/** Each row's brightest pixel (-Infinity for a row of NaNs), reused across calls. */
let rowMax = new Float64Array(0);

interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

/**
 * The box of the pixels >= threshold. A row whose brightest pixel is below it holds none; in the others
 * the first and last such pixel are found from each end.
 */
function inkBoundingBox(pixels: ArrayLike<number>, width: number, height: number, threshold: number): Box {
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++) {
    if (!(rowMax[y]! >= threshold)) continue;
    const row = y * width;
    let first = 0;
    while (first < width && !(pixels[row + first]! >= threshold)) first++;
    if (first === width) continue;
    let last = width - 1;
    while (!(pixels[row + last]! >= threshold)) last--;
    if (first < x0) x0 = first;
    if (last > x1) x1 = last;
    if (y < y0) y0 = y;
    y1 = y;
  }
  return { x: x0, y: y0, w: x1 - x0 + 1, h: y1 - y0 + 1 };
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : Math.min(v, hi);
}

/**
 * Separable triangle-filter resampling with antialiasing (support widened by the scale when shrinking),
 * the same family as PIL's bilinear resize: good for both the 24->20 px EMNIST case and large photos.
 * Each output adds its taps from 0 in order; 2 and 3 taps (enlarging, the usual case) are written out.
 */
let resampleTmp = new Float32Array(0);
let resampleOut = new Float32Array(0);

function resample(pixels: ArrayLike<number>, stride: number, box: Box, ow: number, oh: number): Float32Array {
  const wx = filterWeights(box.w, ow);
  const wy = filterWeights(box.h, oh);
  // Both passes write into buffers reused across calls (normaliseCharacter is synchronous).
  if (resampleTmp.length < box.h * ow) resampleTmp = new Float32Array(box.h * ow);
  if (resampleOut.length < oh * ow) resampleOut = new Float32Array(oh * ow);
  const tmp = resampleTmp; // horizontal pass: box.h rows of ow
  const { start: xs, offset: xo, weights: xw } = wx;
  for (let y = 0; y < box.h; y++) {
    const row = (box.y + y) * stride + box.x;
    const t = y * ow;
    for (let x = 0; x < ow; x++) {
      const k = xo[x]!;
      const taps = xo[x + 1]! - k;
      const j = row + xs[x]!;
      let acc = 0;
      if (taps === 3)
        acc = 0 + pixels[j]! * xw[k]! + pixels[j + 1]! * xw[k + 1]! + pixels[j + 2]! * xw[k + 2]!;
      else if (taps === 2) acc = 0 + pixels[j]! * xw[k]! + pixels[j + 1]! * xw[k + 1]!;
      else for (let q = 0; q < taps; q++) acc += pixels[j + q]! * xw[k + q]!;
      tmp[t + x] = acc;
    }
  }
  const outImg = resampleOut;
  const { start: ys, offset: yo, weights: yw } = wy;
  for (let y = 0; y < oh; y++) {
    const k = yo[y]!;
    const taps = yo[y + 1]! - k;
    const r0 = ys[y]! * ow;
    const o = y * ow;
    if (taps === 3) {
      const w0 = yw[k]!;
      const w1 = yw[k + 1]!;
      const w2 = yw[k + 2]!;
      const r1 = r0 + ow;
      const r2 = r1 + ow;
      for (let x = 0; x < ow; x++)
        outImg[o + x] = 0 + tmp[r0 + x]! * w0 + tmp[r1 + x]! * w1 + tmp[r2 + x]! * w2;
    } else if (taps === 2) {
      const w0 = yw[k]!;
      const w1 = yw[k + 1]!;
      const r1 = r0 + ow;
      for (let x = 0; x < ow; x++) outImg[o + x] = 0 + tmp[r0 + x]! * w0 + tmp[r1 + x]! * w1;
    } else
      for (let x = 0; x < ow; x++) {
        let acc = 0;
        for (let q = 0; q < taps; q++) acc += tmp[r0 + q * ow + x]! * yw[k + q]!;
        outImg[o + x] = acc;
      }
  }
  return outImg;
}

/**
 * Per output pixel: its first input pixel (`start`) and its weights, `weights[offset[o] .. offset[o + 1])`
 * (flat arrays: no object per pixel to look up).
 */
interface FilterWeights {
  start: Int32Array;
  offset: Int32Array;
  weights: Float32Array;
}

/** Weights by (input size, output size): a server normalises thousands of characters of a few sizes. */
const weightCache = new Map<number, FilterWeights>();

function filterWeights(inSize: number, outSize: number): FilterWeights {
  if (outSize >= 65536) return computeFilterWeights(inSize, outSize);
  const key = inSize * 65536 + outSize;
  let w = weightCache.get(key);
  if (!w) {
    if (weightCache.size >= 1024) weightCache.clear();
    w = computeFilterWeights(inSize, outSize);
    weightCache.set(key, w);
  }
  return w;
}

function computeFilterWeights(inSize: number, outSize: number): FilterWeights {
  const scale = inSize / outSize;
  const support = Math.max(1, scale); // triangle radius in input pixels
  const start = new Int32Array(outSize);
  const offset = new Int32Array(outSize + 1);
  const perPixel: Float32Array[] = [];
  for (let o = 0; o < outSize; o++) {
    const centre = (o + 0.5) * scale;
    const first = Math.max(0, Math.floor(centre - support));
    const end = Math.min(inSize, Math.ceil(centre + support));
    const weights = new Float32Array(Math.max(1, end - first));
    let sum = 0;
    for (let i = first; i < end; i++) {
      const w = Math.max(0, 1 - Math.abs(i + 0.5 - centre) / support);
      weights[i - first] = w;
      sum += w;
    }
    if (sum > 0) for (let k = 0; k < weights.length; k++) weights[k] /= sum;
    else weights[0] = 1;
    start[o] = Math.min(first, inSize - 1);
    offset[o + 1] = offset[o]! + weights.length;
    perPixel.push(weights);
  }
  const weights = new Float32Array(offset[outSize]!);
  for (let o = 0; o < outSize; o++) weights.set(perPixel[o]!, offset[o]!);
  return { start, offset, weights };
}

/** EMNIST stores each image transposed relative to MNIST; this returns it upright. */
export function transposeImages(data: Uint8Array, count: number, side: number): Uint8Array {
  if (
    !(Number.isSafeInteger(count) && count >= 0 && Number.isSafeInteger(side) && side >= 1) ||
    data?.length !== count * side * side
  )
    throw new HcrError(
      'BAD_IMAGE_DATA',
      `transposeImages was given ${data?.length ?? 0} bytes for ${count} images of ${side}x${side} (${count * side * side}).`,
      { hint: 'Pass the images as stored, count x side x side bytes, with their count and side.' },
    );
  const out = new Uint8Array(data.length);
  const n = side * side;
  for (let i = 0; i < count; i++) {
    const base = i * n;
    for (let y = 0; y < side; y++)
      for (let x = 0; x < side; x++) out[base + y * side + x] = data[base + x * side + y]!;
  }
  return out;
}
