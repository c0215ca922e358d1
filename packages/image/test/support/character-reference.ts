/**
 * normaliseCharacter as it was before its speed-up (commit 4aa00e0), kept verbatim as the reference the
 * fast version must equal byte for byte: the training shards and every recorded figure depend on it.
 */
// biome-ignore-all lint: a verbatim copy of the old implementation
export interface CharacterNormalisationOptions {
  /** Side of the output field (28). */
  size?: number;
  /** The longer side of the character after scaling (20, as MNIST). */
  boxSize?: number;
  /** Pixels below this fraction of the brightest pixel do not count as ink for the bounding box. */
  inkThreshold?: number;
}

const CANONICAL_NORMALISATION = Object.freeze({ size: 28, boxSize: 20, inkThreshold: 0.15 });

export function normaliseCharacterReference(
  pixels: ArrayLike<number>,
  width: number,
  height: number,
  options: CharacterNormalisationOptions = {},
  out?: Uint8Array,
): Uint8Array {
  const { size, boxSize, inkThreshold } = { ...CANONICAL_NORMALISATION, ...options };
  if (pixels.length !== width * height)
    throw new RangeError(`normaliseCharacter: ${pixels.length} pixels for a ${width}x${height} image`);
  const result = out ?? new Uint8Array(size * size);
  result.fill(0);

  let max = 0;
  for (let i = 0; i < pixels.length; i++) if (pixels[i]! > max) max = pixels[i]!;
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
  for (let y = 0; y < oh; y++)
    for (let x = 0; x < ow; x++) {
      const v = scaled[y * ow + x]!;
      if (v > smax) smax = v;
      mass += v;
      mx += v * (x + 0.5);
      my += v * (y + 0.5);
    }
  if (mass <= 0) return result;
  const ox = clamp(Math.round(size / 2 - mx / mass), 0, size - ow);
  const oy = clamp(Math.round(size / 2 - my / mass), 0, size - oh);
  const gain = 255 / smax;
  for (let y = 0; y < oh; y++)
    for (let x = 0; x < ow; x++) {
      const v = Math.round(scaled[y * ow + x]! * gain);
      result[(oy + y) * size + ox + x] = v > 255 ? 255 : v;
    }
  return result;
}

interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}

function inkBoundingBox(pixels: ArrayLike<number>, width: number, height: number, threshold: number): Box {
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      if (pixels[y * width + x]! >= threshold) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
  return { x: x0, y: y0, w: x1 - x0 + 1, h: y1 - y0 + 1 };
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

/**
 * Separable triangle-filter resampling with antialiasing (support widened by the scale when shrinking),
 * the same family as PIL's bilinear resize: good for both the 24->20 px EMNIST case and large photos.
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
  for (let y = 0; y < box.h; y++) {
    const row = (box.y + y) * stride + box.x;
    for (let x = 0; x < ow; x++) {
      let acc = 0;
      const { start, weights } = wx[x]!;
      for (let k = 0; k < weights.length; k++) acc += pixels[row + start + k]! * weights[k]!;
      tmp[y * ow + x] = acc;
    }
  }
  const outImg = resampleOut;
  for (let y = 0; y < oh; y++) {
    const { start, weights } = wy[y]!;
    for (let x = 0; x < ow; x++) {
      let acc = 0;
      for (let k = 0; k < weights.length; k++) acc += tmp[(start + k) * ow + x]! * weights[k]!;
      outImg[y * ow + x] = acc;
    }
  }
  return outImg;
}

type FilterWeights = { start: number; weights: Float32Array }[];

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
  const result: FilterWeights = [];
  for (let o = 0; o < outSize; o++) {
    const centre = (o + 0.5) * scale;
    const start = Math.max(0, Math.floor(centre - support));
    const end = Math.min(inSize, Math.ceil(centre + support));
    const weights = new Float32Array(Math.max(1, end - start));
    let sum = 0;
    for (let i = start; i < end; i++) {
      const w = Math.max(0, 1 - Math.abs(i + 0.5 - centre) / support);
      weights[i - start] = w;
      sum += w;
    }
    if (sum > 0) for (let k = 0; k < weights.length; k++) weights[k] /= sum;
    else weights[0] = 1;
    result.push({ start: Math.min(start, inSize - 1), weights });
  }
  return result;
}
