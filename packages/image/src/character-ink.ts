import { HcrError } from '@hcr/core';
import { histogramQuantile, otsuFromHistogram } from './byte-histogram.js';
import { boxBlur3, gaussianBlur } from './character-blur.js';
import { dilateMask, strokeWidthOf, thicken } from './character-masks.js';
import { isDarkOnLight, subtractBackground } from './character-paper.js';

/**
 * Turns a photo or scan of one character (any polarity, uneven light, noise, specks) into a clean
 * ink-bright map on a black background, the form the canonical character normalisation expects.
 * Each step is a function of its own so tests can check it alone.
 */

export interface InkOptions {
  /** Smallest ink-vs-background contrast (0..255) that counts as a character rather than a blank page. */
  minContrast?: number;
  /** Components with less ink than this fraction of the largest one are specks (an i-dot is ~15%). */
  speckFraction?: number;
  /** Stroke width / character size below which strokes are thickened (training data: median 0.15). */
  thinStroke?: number;
  /** Stroke width / character size that thin strokes are thickened to. */
  targetStroke?: number;
  /** Gaussian blur of the final ink, sigma as a fraction of the character size (soft edges like EMNIST's). */
  edgeBlur?: number;
}

export const DEFAULT_INK_OPTIONS = Object.freeze({
  minContrast: 24,
  speckFraction: 0.03,
  thinStroke: 0.12,
  targetStroke: 0.15,
  // Slightly soft edges: MNIST digits have crisp edges, EMNIST letters blurred ones, and trained models pick
  // that up; crisp photo strokes then lean towards digits. 0.015 measured best for hcrnet-quick-1 photos.
  edgeBlur: 0.015,
});

export interface InkReport {
  /** Whether the input had dark ink on light paper (it was inverted). */
  inverted: boolean;
  /** Otsu threshold on the background-flattened image (0..255). */
  threshold: number;
  /** Ink vs background contrast found. */
  contrast: number;
  /** Connected ink components found and dropped as specks. */
  components: number;
  specksRemoved: number;
  /** Estimated stroke width as a fraction of the character's longer side, before thickening. */
  strokeWidth: number;
  /** Radius (working pixels) strokes were thickened by; 0 when they were thick enough. */
  thickenedBy: number;
  /** True when nothing stood out from the background. */
  blank: boolean;
  /** How the kept ink is laid out: what tells one character from noise or several characters. */
  layout: InkLayout;
}

/** The kept ink components (after specks and rulings went), measured for the not-one-character checks. */
export interface InkLayout {
  /** Kept components. */
  pieces: number;
  /** Kept ink pixels / image area. */
  coverage: number;
  /** Ink of the largest kept component / all kept ink (1 for a single stroke). */
  dominance: number;
  /**
   * Columns of character-size pieces (at least half the tallest piece's height and a tenth of the largest
   * piece's ink) that do not overlap horizontally: 2 or more for "42", "HELLO".
   */
  columns: number;
  /** Width / height of the box around the character-size pieces. */
  aspect: number;
}

const EMPTY_LAYOUT: InkLayout = Object.freeze({
  pieces: 0,
  coverage: 0,
  dominance: 0,
  columns: 0,
  aspect: 0,
});

export interface InkResult {
  ink: Float32Array;
  report: InkReport;
}

/**
 * Scratch buffers reused by every call on this thread (the pipeline is synchronous, so calls never
 * overlap): a server prepares thousands of images a second, and fresh intermediates per image were a
 * large share of its garbage. Views of exactly `n` pixels are kept for the last size (a server sees one
 * size, 28x28, again and again); only `ink` and `report` leave extractInk.
 */
const scratch = {
  size: 0,
  n: -1,
  smooth: new Float32Array(0),
  mask: new Uint8Array(0),
  grouped: new Uint8Array(0),
  labels: new Int32Array(0),
  stack: new Int32Array(0),
  /** The labelled pixels in the order they were labelled (what the later passes visit). */
  order: new Int32Array(0),
  ink: new Float32Array(0),
  blurred: new Float32Array(0),
  hist: new Uint32Array(256),
};

function scratchFor(n: number): typeof scratch {
  if (scratch.n === n) return scratch;
  if (scratch.size < n) {
    scratch.size = n;
    scratch.stack = new Int32Array(n);
  }
  const size = scratch.size;
  scratch.n = n;
  // Fresh arrays of the capacity, as views of n: views cost an allocation each, so they are kept.
  scratch.smooth = new Float32Array(size).subarray(0, n);
  scratch.mask = new Uint8Array(size).subarray(0, n);
  scratch.grouped = new Uint8Array(size).subarray(0, n);
  scratch.labels = new Int32Array(size).subarray(0, n);
  scratch.order = new Int32Array(size).subarray(0, n);
  scratch.ink = new Float32Array(size).subarray(0, n);
  scratch.blurred = new Float32Array(size).subarray(0, n);
  return scratch;
}

/** The range of each ink option (a speckFraction of 5 would drop every stroke as a speck). */
const INK_OPTION_RANGES: Readonly<Record<keyof InkOptions, readonly [number, number]>> = Object.freeze({
  minContrast: [0, 255],
  speckFraction: [0, 1],
  thinStroke: [0, 1],
  targetStroke: [0, 1],
  edgeBlur: [0, 1],
});
const INK_OPTION_NAMES = Object.keys(INK_OPTION_RANGES) as (keyof InkOptions)[];

/** The defaults with the options given (one set to undefined is its default), each in its range (BAD_OPTIONS). */
export function inkOptions(opts: InkOptions): Required<InkOptions> {
  let o: Required<InkOptions> = DEFAULT_INK_OPTIONS;
  for (const name of INK_OPTION_NAMES) {
    const v = opts[name];
    if (v === undefined) continue;
    const [lo, hi] = INK_OPTION_RANGES[name];
    if (!(typeof v === 'number' && v >= lo && v <= hi))
      throw new HcrError('BAD_OPTIONS', `${name} ${String(v)} is not a number from ${lo} to ${hi}.`, {
        hint: `Give ${name} from ${lo} to ${hi}, or leave it out for the default (${DEFAULT_INK_OPTIONS[name]}).`,
      });
    if (o === DEFAULT_INK_OPTIONS) o = { ...DEFAULT_INK_OPTIONS };
    o[name] = v;
  }
  return o;
}

/** A one-channel image's size and its pixels' count (BAD_IMAGE_SIZE, BAD_IMAGE_DATA). */
export function checkPixels(values: ArrayLike<number>, width: number, height: number): void {
  if (!Number.isSafeInteger(width) || !Number.isSafeInteger(height) || width < 1 || height < 1)
    throw new HcrError(
      'BAD_IMAGE_SIZE',
      `The image is ${width}x${height}; width and height must be whole numbers of 1 or more.`,
      { hint: 'Pass the decoded image with its real width and height.' },
    );
  if (values?.length !== width * height)
    throw new HcrError(
      'BAD_IMAGE_DATA',
      `The image has ${values?.length ?? 0} pixels but ${width}x${height} = ${width * height} were expected.`,
      { hint: 'Pass one grey value per pixel, row by row, and the width and height they were decoded at.' },
    );
}

/** Per-component measurements, indexed by label (1..count), grown on demand and reused. */
const parts = {
  capacity: 0,
  inkArea: new Float64Array(0),
  touchesBorder: new Uint8Array(0),
  x0: new Int32Array(0),
  x1: new Int32Array(0),
  y0: new Int32Array(0),
  y1: new Int32Array(0),
  ruling: new Uint8Array(0),
  keep: new Uint8Array(0),
};

function partsFor(labels: number): typeof parts {
  if (parts.capacity < labels) {
    const c = Math.max(labels, 2 * parts.capacity, 64);
    parts.capacity = c;
    parts.inkArea = new Float64Array(c);
    parts.touchesBorder = new Uint8Array(c);
    parts.x0 = new Int32Array(c);
    parts.x1 = new Int32Array(c);
    parts.y0 = new Int32Array(c);
    parts.y1 = new Int32Array(c);
    parts.ruling = new Uint8Array(c);
    parts.keep = new Uint8Array(c);
  }
  return parts;
}

/** The byte histogram of the smoothed photo, shared by the blur that counts it and the polarity that reads it. */
const polarityHist = new Uint32Array(256);

/** Full photo pipeline: polarity, background removal, Otsu, speck removal, stroke width. */
export function extractInk(
  values: Float32Array,
  width: number,
  height: number,
  opts: InkOptions & { knownPolarity?: 'ink-bright' } = {},
): InkResult {
  const { ink, report } = extractInkShared(values, width, height, opts);
  return { ink: ink.slice(), report };
}

/**
 * extractInk whose `ink` is a buffer of this thread's, valid until the next call on the thread (for
 * callers that use it at once, like prepareImage: one allocation less per image).
 */
export function extractInkShared(
  values: Float32Array,
  width: number,
  height: number,
  opts: InkOptions & { knownPolarity?: 'ink-bright' } = {},
): InkResult {
  checkPixels(values, width, height);
  const o = inkOptions(opts);
  const n = width * height;
  const s = scratchFor(n);
  // JPEG noise and paper grain; the histogram of the result serves the polarity.
  const smooth = boxBlur3(values, width, height, s.smooth, opts.knownPolarity ? undefined : polarityHist);
  const inverted = opts.knownPolarity ? false : isDarkOnLight(smooth, width, height, polarityHist);
  if (inverted) for (let i = 0; i < n; i++) smooth[i] = 255 - smooth[i]!;
  // In place: the background-flattened image replaces the smoothed one (which is not needed again).
  // One histogram of the flattened image, made as it is written, serves the contrast and Otsu's threshold.
  const hist = s.hist;
  const flat = subtractBackground(smooth, width, height, smooth, hist);
  const contrast = histogramQuantile(hist, n, 0.999);
  const report: InkReport = {
    inverted,
    threshold: 0,
    contrast,
    components: 0,
    specksRemoved: 0,
    strokeWidth: 0,
    thickenedBy: 0,
    blank: contrast < o.minContrast,
    layout: EMPTY_LAYOUT,
  };
  const ink = s.ink.fill(0);
  if (report.blank) return { ink, report };

  const t = Math.max(otsuFromHistogram(hist), contrast * 0.2);
  report.threshold = t;
  const mask = s.mask;
  for (let i = 0; i < n; i++) mask[i] = flat[i]! >= t ? 1 : 0;

  // Group ink on a slightly dilated mask so a pencil stroke broken by paper texture stays one component.
  const join = Math.max(1, Math.round(Math.max(width, height) / 100));
  const grouped = dilateMask(mask, width, height, join, s.grouped);
  // Labels, and each component's ink, box and border contact measured as its pixels are labelled; the
  // later passes visit the labelled pixels only (every ink pixel is one: the mask lies inside `grouped`).
  const { count, pixels } = labelAndMeasure(grouped, mask, width, height, s);
  const { inkArea, touchesBorder, x0, x1, y0, y1, ruling, keep } = partsFor(count + 1);
  // Ruled or grid lines of the paper: long, thin, across (almost) the whole image.
  for (let l = 1; l <= count; l++) {
    const bw = x1[l]! - x0[l]! + 1;
    const bh = y1[l]! - y0[l]! + 1;
    ruling[l] =
      (bw >= 0.9 * width && bh <= 0.08 * height) || (bh >= 0.9 * height && bw <= 0.08 * width) ? 1 : 0;
  }
  let largest = 0;
  for (let l = 1; l <= count; l++) if (!ruling[l]) largest = Math.max(largest, inkArea[l]!);
  keep[0] = 0;
  // The box of the kept components: the ink is 0 outside it (until strokes are thickened).
  let bx0 = width;
  let bx1 = -1;
  let by0 = height;
  let by1 = -1;
  for (let l = 1; l <= count; l++) {
    const f = inkArea[l]! / largest;
    // Specks; small smudges cut by the crop edge (shadows, the next character) unless they are big; rulings.
    keep[l] = !ruling[l] && f >= o.speckFraction && !(touchesBorder[l] && f < 0.15) ? 1 : 0;
    if (!keep[l]) report.specksRemoved++;
    else {
      if (x0[l]! < bx0) bx0 = x0[l]!;
      if (x1[l]! > bx1) bx1 = x1[l]!;
      if (y0[l]! < by0) by0 = y0[l]!;
      if (y1[l]! > by1) by1 = y1[l]!;
    }
  }
  report.components = count;
  report.layout = inkLayout(keep, inkArea, parts, n, count);

  // Soft ink: a ramp around the threshold keeps antialiased edges instead of a hard binary cut.
  const lo = 0.6 * t;
  const span = 0.8 * t;
  const labels = s.labels;
  for (let p = 0; p < pixels; p++) {
    const i = s.order[p]!;
    if (!keep[labels[i]!]) {
      mask[i] = 0;
      continue;
    }
    const r = (flat[i]! - lo) / span;
    ink[i] = r <= 0 ? 0 : r >= 1 ? 255 : r * 255;
  }

  const { width: stroke, size } = strokeWidthOf(mask, width, height, s.order, pixels);
  report.strokeWidth = size > 0 ? stroke / size : 0;
  if (size > 0 && report.strokeWidth < o.thinStroke) {
    const radius = ((o.targetStroke - report.strokeWidth) * size) / 2;
    thicken(ink, mask, width, height, radius);
    report.thickenedBy = radius;
    // thickened ink reaches up to radius + 1 px beyond the mask
    const grow = Math.ceil(radius + 1);
    [bx0, bx1, by0, by1] = [bx0 - grow, bx1 + grow, by0 - grow, by1 + grow];
  }
  if (size > 0 && o.edgeBlur > 0) {
    const box = { x0: bx0, x1: bx1, y0: by0, y1: by1 };
    return { ink: gaussianBlur(ink, width, height, o.edgeBlur * size, s.blurred, box), report };
  }
  return { ink, report };
}

/**
 * 8-connected labels of `grouped` (as labelComponents: 1..count in scan order) into `s.labels`, the
 * labelled pixels in labelling order into `s.order`, and per label (in `parts`): the ink of `mask` it
 * holds, its box and whether it touches the image border. Sums and extremes do not depend on the order
 * pixels are visited in, so they equal a scan of the whole image.
 */
function labelAndMeasure(
  grouped: Uint8Array,
  mask: Uint8Array,
  w: number,
  h: number,
  s: typeof scratch,
): { count: number; pixels: number } {
  const { labels, stack, order } = s;
  const n = grouped.length;
  labels.fill(0);
  let count = 0;
  let pixels = 0;
  let m = partsFor(16);
  for (let start = 0; start < n; start++) {
    if (!grouped[start] || labels[start]) continue;
    count++;
    if (count >= m.capacity) m = growParts(count + 1);
    const { inkArea, touchesBorder, x0, x1, y0, y1 } = m;
    let area = 0;
    let border = 0;
    let bx0 = w;
    let bx1 = -1;
    let by0 = h;
    let by1 = -1;
    let top = 0;
    stack[top++] = start;
    labels[start] = count;
    while (top > 0) {
      const i = stack[--top]!;
      order[pixels++] = i;
      const x = i % w;
      const y = (i - x) / w;
      area += mask[i]!;
      if (y === 0 || y === h - 1 || x === 0 || x === w - 1) border = 1;
      if (x < bx0) bx0 = x;
      if (x > bx1) bx1 = x;
      if (y < by0) by0 = y;
      if (y > by1) by1 = y;
      const left = x > 0;
      const right = x < w - 1;
      // The row above (when inside), this row and the row below (when inside), left to right.
      const last = i + w < n ? i + w : i;
      for (let j = i >= w ? i - w : i; j <= last; j += w) {
        if (left && grouped[j - 1] && !labels[j - 1]) {
          labels[j - 1] = count;
          stack[top++] = j - 1;
        }
        if (grouped[j] && !labels[j]) {
          labels[j] = count;
          stack[top++] = j;
        }
        if (right && grouped[j + 1] && !labels[j + 1]) {
          labels[j + 1] = count;
          stack[top++] = j + 1;
        }
      }
    }
    inkArea[count] = area;
    touchesBorder[count] = border;
    x0[count] = bx0;
    x1[count] = bx1;
    y0[count] = by0;
    y1[count] = by1;
  }
  return { count, pixels };
}

/** partsFor that keeps the measurements made so far (labels found while labelling). */
function growParts(labels: number): typeof parts {
  const old = { ...parts };
  const m = partsFor(labels);
  if (m.inkArea !== old.inkArea) {
    m.inkArea.set(old.inkArea);
    m.touchesBorder.set(old.touchesBorder);
    m.x0.set(old.x0);
    m.x1.set(old.x1);
    m.y0.set(old.y0);
    m.y1.set(old.y1);
  }
  return m;
}

/** Layout of the kept components (see InkLayout); boxes are per component label (index 0 unused). */
export function inkLayout(
  keep: Uint8Array,
  inkArea: Float64Array,
  box: { x0: Int32Array; x1: Int32Array; y0: Int32Array; y1: Int32Array },
  area: number,
  count = keep.length - 1,
): InkLayout {
  const kept: number[] = [];
  for (let l = 1; l <= count; l++) if (keep[l]) kept.push(l);
  if (kept.length === 0) return EMPTY_LAYOUT;
  let total = 0;
  let largest = 0;
  let tallest = 0;
  for (const l of kept) {
    total += inkArea[l]!;
    largest = Math.max(largest, inkArea[l]!);
    tallest = Math.max(tallest, box.y1[l]! - box.y0[l]! + 1);
  }
  const sized = kept
    .filter((l) => box.y1[l]! - box.y0[l]! + 1 >= 0.5 * tallest && inkArea[l]! >= 0.1 * largest)
    .sort((a, b) => box.x0[a]! - box.x0[b]!);
  // merge pieces whose x-ranges overlap by more than 30% of the narrower one into one column
  let columns = 0;
  let end = Number.NEGATIVE_INFINITY;
  let endWidth = 1;
  let bx0 = Number.POSITIVE_INFINITY;
  let bx1 = Number.NEGATIVE_INFINITY;
  let by0 = Number.POSITIVE_INFINITY;
  let by1 = Number.NEGATIVE_INFINITY;
  for (const l of sized) {
    const w = box.x1[l]! - box.x0[l]! + 1;
    const overlap = end - box.x0[l]! + 1;
    if (overlap <= 0.3 * Math.min(w, endWidth)) {
      columns++;
      endWidth = w;
    } else endWidth = Math.max(endWidth, w);
    end = Math.max(end, box.x1[l]!);
    bx0 = Math.min(bx0, box.x0[l]!);
    bx1 = Math.max(bx1, box.x1[l]!);
    by0 = Math.min(by0, box.y0[l]!);
    by1 = Math.max(by1, box.y1[l]!);
  }
  return {
    pieces: kept.length,
    coverage: total / area,
    dominance: largest / total,
    columns,
    aspect: (bx1 - bx0 + 1) / (by1 - by0 + 1),
  };
}
