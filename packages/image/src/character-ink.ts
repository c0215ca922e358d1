import { otsu } from './filters.js';

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
  const o = { ...DEFAULT_INK_OPTIONS, ...opts };
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

/**
 * 3x3 mean filter (edges clamped). Each row reads its clamped neighbour rows, and only the first and last
 * columns clamp; every pixel adds the same nine values in the same order as a fully clamped loop.
 */
export function boxBlur3(
  src: Float32Array,
  w: number,
  h: number,
  out: Float32Array = new Float32Array(src.length),
  hist?: Uint32Array,
): Float32Array {
  // With `hist`: the byte histogram of the result, counted as it is written (one pass less for callers).
  hist?.fill(0);
  let zeros = 0;
  for (let y = 0; y < h; y++) {
    const a = (y > 0 ? y - 1 : 0) * w;
    const c = y * w;
    const b = (y < h - 1 ? y + 1 : h - 1) * w;
    for (let x = 0; x < w; x++) {
      const l = x > 0 ? x - 1 : 0;
      const r = x < w - 1 ? x + 1 : w - 1;
      const v = Math.fround(
        (0 +
          src[a + l]! +
          src[a + x]! +
          src[a + r]! +
          src[c + l]! +
          src[c + x]! +
          src[c + r]! +
          src[b + l]! +
          src[b + x]! +
          src[b + r]!) /
          9,
      );
      out[c + x] = v;
      if (!hist) continue;
      const byte = clampByte(v);
      if (byte === 0) zeros++;
      else hist[byte]!++;
    }
  }
  if (hist) hist[0]! += zeros;
  return out;
}

let gaussTmp = new Float32Array(0);

/** The q-quantile of the values (0..255 range, 1-level histogram). */
export function percentile(values: Float32Array, q: number): number {
  return histogramQuantile(byteHistogram(values, new Uint32Array(256)), values.length, q);
}

/** Counts of the values rounded and clamped to 0..255 (into `hist`, which is cleared first). */
function byteHistogram(values: Float32Array, hist: Uint32Array): Uint32Array {
  hist.fill(0);
  // Zeros (most of a dark background) counted in a variable: see subtractBackground.
  let zeros = 0;
  for (let i = 0; i < values.length; i++) {
    const b = clampByte(values[i]!);
    if (b === 0) zeros++;
    else hist[b]!++;
  }
  hist[0]! += zeros;
  return hist;
}

/** The q-quantile of `total` values counted in a byte histogram. */
function histogramQuantile(hist: Uint32Array, total: number, q: number): number {
  const target = q * total;
  let acc = 0;
  for (let v = 0; v < 256; v++) {
    acc += hist[v]!;
    if (acc >= target) return v;
  }
  return 255;
}

/** Math.round clamped to 0..255 (for 0 < v < 255, v + 0.5 is exact and truncating it rounds; NaN stays NaN). */
function clampByte(v: number): number {
  return v > 0 ? (v < 255 ? (v + 0.5) | 0 : 255) : v <= 0 ? 0 : Number.NaN;
}

let borderScratch = new Float32Array(0);
const polarityHist = new Uint32Array(256);

/**
 * Paper is what surrounds the character: the median of the border ring. Ink is whichever extreme lies
 * farther from it, so grey paper with dark pencil and white chalk on a blackboard both come out right.
 */
export function isDarkOnLight(
  values: Float32Array,
  w: number,
  h: number,
  /** The byte histogram of `values`, when the caller has it already (boxBlur3 counts one). */
  histogram?: Uint32Array,
): boolean {
  const ring = Math.max(1, Math.round(Math.min(w, h) * 0.03));
  // The ring's values in a typed array, sorted numerically: the same median as sorting a number[].
  if (borderScratch.length < values.length) borderScratch = new Float32Array(values.length);
  let n = 0;
  for (let y = 0; y < h; y++) {
    const band = y < ring || y >= h - ring;
    for (let x = 0; x < w; x++)
      if (band || x < ring || x >= w - ring) borderScratch[n++] = values[y * w + x]!;
  }
  const paper = middleValue(borderScratch, n);
  // Both extremes from one histogram.
  const hist = histogram ?? byteHistogram(values, polarityHist);
  const dark = histogramQuantile(hist, values.length, 0.005);
  const light = histogramQuantile(hist, values.length, 0.995);
  return paper - dark > light - paper;
}

/**
 * The value a numeric sort of a[0..n) would put at n >> 1 (the ring's median), by selection instead of a
 * full sort; `a` is reordered. With a NaN it sorts, as before (selection needs ordered values).
 */
function middleValue(a: Float32Array, n: number): number {
  const k = n >> 1;
  for (let i = 0; i < n; i++) if (Number.isNaN(a[i])) return a.subarray(0, n).sort()[k]!;
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    // Hoare partition around the middle element's value
    const pivot = a[(lo + hi) >> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  // -0 and +0 compare equal, so the selected zero may differ in sign from a sort's: the same number in
  // every comparison and difference that follows.
  return a[k]!;
}

const blockHist = new Uint32Array(256);
let blockValues = new Uint8Array(0);

/** subtractBackground's grids and per-column interpolation tables, reused across calls. */
const background = {
  cells: 0,
  columns: 0,
  grid: new Float32Array(0),
  smooth: new Float32Array(0),
  cx0: new Int32Array(0),
  cx1: new Int32Array(0),
  ctx: new Float64Array(0),
  top: new Float64Array(0),
  bottom: new Float64Array(0),
};

function backgroundScratch(cells: number, columns: number): typeof background {
  if (background.cells < cells) {
    background.cells = cells;
    background.grid = new Float32Array(cells);
    background.smooth = new Float32Array(cells);
  }
  if (background.columns < columns) {
    background.columns = columns;
    background.cx0 = new Int32Array(columns);
    background.cx1 = new Int32Array(columns);
    background.ctx = new Float64Array(columns);
    background.top = new Float64Array(columns);
    background.bottom = new Float64Array(columns);
  }
  return background;
}

/**
 * Uneven light: the background level is estimated on a coarse grid (a low percentile per block, robust to
 * strokes covering part of a block), smoothed, interpolated bilinearly and subtracted. `out` may be
 * `bright` itself (in place); `hist`, when given, receives the byte histogram of the result (saving a pass).
 */
export function subtractBackground(
  bright: Float32Array,
  w: number,
  h: number,
  out: Float32Array = new Float32Array(bright.length),
  hist?: Uint32Array,
): Float32Array {
  if (hist) hist.fill(0);
  const block = Math.max(4, Math.round(Math.max(w, h) / 8));
  const gw = Math.ceil(w / block);
  const gh = Math.ceil(h / block);
  const tables = backgroundScratch(gw * gh, w);
  const grid = tables.grid;
  if (blockValues.length < block * block) blockValues = new Uint8Array(block * block);
  for (let gy = 0; gy < gh; gy++) {
    const ya = gy * block;
    const yb = Math.min(h, ya + block);
    for (let gx = 0; gx < gw; gx++) {
      const xa = gx * block;
      const xb = Math.min(w, xa + block);
      const n = (yb - ya) * (xb - xa);
      // Black paper (a drawing, an inverted scan): enough zeros make the quantile 0 without sorting.
      // A value rounds to byte 0 exactly when it is below 0.5 (NaN neither).
      let zeros = 0;
      for (let y = ya; y < yb; y++)
        for (let i = y * w + xa, e = y * w + xb; i < e; i++) if (bright[i]! < 0.5) zeros++;
      if (zeros >= Math.ceil(n * 0.2)) {
        grid[gy * gw + gx] = 0;
        continue;
      }
      let k = 0;
      for (let y = ya; y < yb; y++)
        for (let i = y * w + xa, e = y * w + xb; i < e; i++) blockValues[k++] = clampByte(bright[i]!);
      grid[gy * gw + gx] = lowQuantile(blockValues, n);
    }
  }
  // Smooth the grid with a 3x3 minimum-then-mean so a block full of ink does not lift the background.
  const smooth = tables.smooth;
  let anyBackground = false;
  for (let gy = 0; gy < gh; gy++)
    for (let gx = 0; gx < gw; gx++) {
      let s = 0;
      let n = 0;
      let min = Infinity;
      for (let dy = -1; dy <= 1; dy++)
        for (let dx = -1; dx <= 1; dx++) {
          const yy = gy + dy;
          const xx = gx + dx;
          if (yy < 0 || xx < 0 || yy >= gh || xx >= gw) continue;
          const v = grid[yy * gw + xx]!;
          s += v;
          n++;
          if (v < min) min = v;
        }
      smooth[gy * gw + gx] = Math.min(grid[gy * gw + gx]!, (s / n + min) / 2);
      if (smooth[gy * gw + gx] !== 0) anyBackground = true;
    }
  // A black background (a canvas drawing, a clean scan once inverted): the interpolated level is 0
  // everywhere, and subtracting it changes nothing.
  // Most pixels come out 0 (background): they are counted in a variable, not by one histogram bin
  // incremented in memory pixel after pixel (each increment would wait for the one before).
  let zeros = 0;
  if (!anyBackground) {
    for (let i = 0; i < bright.length; i++) {
      const v = bright[i]!;
      if (v <= 0) {
        out[i] = 0;
        zeros++;
        continue;
      }
      const o = Math.fround(v);
      out[i] = o;
      if (!hist) continue;
      const b = clampByte(o);
      if (b === 0) zeros++;
      else hist[b]!++;
    }
    if (hist) hist[0]! += zeros;
    return out;
  }
  // Column weights once per call (the same expressions as per pixel, so the same values).
  const { cx0, cx1, ctx } = tables;
  for (let x = 0; x < w; x++) {
    const fx = Math.min(gw - 1, Math.max(0, (x + 0.5) / block - 0.5));
    cx0[x] = Math.floor(fx);
    cx1[x] = Math.min(gw - 1, cx0[x]! + 1);
    ctx[x] = fx - cx0[x]!;
  }
  // Rows between the same two grid rows share their horizontal interpolants (the same doubles).
  const { top, bottom } = tables;
  let rows = -1;
  for (let y = 0; y < h; y++) {
    const fy = Math.min(gh - 1, Math.max(0, (y + 0.5) / block - 0.5));
    const y0 = Math.floor(fy);
    const y1 = Math.min(gh - 1, y0 + 1);
    const ty = fy - y0;
    if (y0 * gh + y1 !== rows) {
      rows = y0 * gh + y1;
      const r0 = y0 * gw;
      const r1 = y1 * gw;
      for (let x = 0; x < w; x++) {
        const tx = ctx[x]!;
        top[x] = (1 - tx) * smooth[r0 + cx0[x]!]! + tx * smooth[r0 + cx1[x]!]!;
        bottom[x] = (1 - tx) * smooth[r1 + cx0[x]!]! + tx * smooth[r1 + cx1[x]!]!;
      }
    }
    for (let x = 0, i = y * w; x < w; x++, i++) {
      const v = bright[i]!;
      if (v <= 0) {
        // black (most of a drawing): the level is >= 0, so the result is 0 whatever it is
        out[i] = 0;
        zeros++;
        continue;
      }
      const bg = (1 - ty) * top[x]! + ty * bottom[x]!;
      const o = Math.fround(Math.max(v - bg, 0));
      out[i] = o;
      if (!hist) continue;
      const b = clampByte(o);
      if (b === 0) zeros++;
      else hist[b]!++;
    }
  }
  if (hist) hist[0]! += zeros;
  return out;
}

/**
 * The smallest byte level v with at least 20% of the n values <= v (the block's background level): the
 * k-th smallest value, k = ceil(0.2 n). Small blocks sort; large ones count.
 */
function lowQuantile(values: Uint8Array, n: number): number {
  const k = Math.ceil(n * 0.2);
  if (n <= 64) {
    // insertion sort of the few values
    for (let i = 1; i < n; i++) {
      const v = values[i]!;
      let j = i - 1;
      while (j >= 0 && values[j]! > v) {
        values[j + 1] = values[j]!;
        j--;
      }
      values[j + 1] = v;
    }
    return values[k - 1]!;
  }
  for (let i = 0; i < n; i++) blockHist[values[i]!]!++;
  let acc = 0;
  let v = 0;
  while (v < 255 && acc + blockHist[v]! < n * 0.2) acc += blockHist[v++]!;
  for (let i = 0; i < n; i++) blockHist[values[i]!] = 0;
  return v;
}

/** Otsu's threshold: the grey level that best separates two classes (maximal between-class variance). */
export function otsuThreshold(values: Float32Array): number {
  return otsuFromHistogram(byteHistogram(values, new Uint32Array(256)));
}

/** Otsu's split as a threshold halfway between the two grey levels it falls between (`otsu` counts the total). */
function otsuFromHistogram(hist: Uint32Array): number {
  return otsu(hist) + 0.5;
}

/** Chamfer (3-4) distance, in pixels, from every pixel to the nearest set pixel of the mask. */
export function distanceToMask(mask: Uint8Array, w: number, h: number): Float32Array {
  const INF = 1e9;
  const d = new Float32Array(mask.length);
  for (let i = 0; i < mask.length; i++) d[i] = mask[i] ? 0 : INF;
  // Forward pass (left, up-left, up, up-right), then backward (right, down-right, down, down-left).
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      let v = d[i]!;
      if (v === 0) continue;
      if (x > 0 && d[i - 1]! + 3 < v) v = d[i - 1]! + 3;
      if (y > 0) {
        const u = i - w;
        if (d[u]! + 3 < v) v = d[u]! + 3;
        if (x > 0 && d[u - 1]! + 4 < v) v = d[u - 1]! + 4;
        if (x < w - 1 && d[u + 1]! + 4 < v) v = d[u + 1]! + 4;
      }
      d[i] = v;
    }
  for (let y = h - 1; y >= 0; y--)
    for (let x = w - 1; x >= 0; x--) {
      const i = y * w + x;
      let v = d[i]!;
      if (v === 0) continue;
      if (x < w - 1 && d[i + 1]! + 3 < v) v = d[i + 1]! + 3;
      if (y < h - 1) {
        const b = i + w;
        if (d[b]! + 3 < v) v = d[b]! + 3;
        if (x < w - 1 && d[b + 1]! + 4 < v) v = d[b + 1]! + 4;
        if (x > 0 && d[b - 1]! + 4 < v) v = d[b - 1]! + 4;
      }
      d[i] = v;
    }
  for (let i = 0; i < d.length; i++) d[i] /= 3;
  return d;
}

/**
 * The mask grown by `radius` pixels of chamfer distance. Below 4/3 px (one straight step is 1, a diagonal
 * one 4/3) that is the mask plus its four direct neighbours, computed directly.
 */
export function dilateMask(
  mask: Uint8Array,
  w: number,
  h: number,
  radius: number,
  out: Uint8Array = new Uint8Array(mask.length),
): Uint8Array {
  if (radius >= 1 && radius < Math.fround(4 / 3)) {
    for (let y = 0; y < h; y++)
      for (let x = 0, i = y * w; x < w; x++, i++)
        out[i] =
          mask[i] ||
          (x > 0 && mask[i - 1]) ||
          (x < w - 1 && mask[i + 1]) ||
          (y > 0 && mask[i - w]) ||
          (y < h - 1 && mask[i + w])
            ? 1
            : 0;
    return out;
  }
  const d = distanceToMask(mask, w, h);
  for (let i = 0; i < d.length; i++) out[i] = d[i]! <= radius ? 1 : 0;
  return out;
}

/** 8-connected component labels (1..count, 0 = background, numbered in scan order), flood fill. */
export function labelComponents(
  mask: Uint8Array,
  w: number,
  _h: number,
  labels: Int32Array = new Int32Array(mask.length),
  stack: Int32Array = new Int32Array(mask.length),
): { labels: Int32Array; count: number } {
  labels.fill(0);
  let count = 0;
  for (let start = 0; start < mask.length; start++) {
    if (!mask[start] || labels[start]) continue;
    count++;
    let top = 0;
    stack[top++] = start;
    labels[start] = count;
    while (top > 0) {
      const i = stack[--top]!;
      const x = i % w;
      const left = x > 0;
      const right = x < w - 1;
      // The row above (when inside), this row and the row below (when inside), left to right.
      const last = i + w < mask.length ? i + w : i;
      for (let j = i >= w ? i - w : i; j <= last; j += w) {
        if (left && mask[j - 1] && !labels[j - 1]) {
          labels[j - 1] = count;
          stack[top++] = j - 1;
        }
        if (mask[j] && !labels[j]) {
          labels[j] = count;
          stack[top++] = j;
        }
        if (right && mask[j + 1] && !labels[j + 1]) {
          labels[j + 1] = count;
          stack[top++] = j + 1;
        }
      }
    }
  }
  return { labels, count };
}

/**
 * Stroke width ~ 2 * area / boundary length (a stroke of width s and length L has area sL and about 2L
 * boundary pixels), and the character's size as the longer side of the ink's bounding box.
 */
export function strokeWidth(mask: Uint8Array, w: number, h: number): { width: number; size: number } {
  const pixels = new Int32Array(w * h);
  let count = 0;
  for (let i = 0; i < w * h; i++) if (mask[i] === 1) pixels[count++] = i;
  return strokeWidthOf(mask, w, h, pixels, count);
}

/** strokeWidth counted over the listed pixels only (extractInk lists the labelled ones; the mask is 0 elsewhere). */
function strokeWidthOf(
  mask: Uint8Array,
  w: number,
  h: number,
  pixels: Int32Array,
  count: number,
): { width: number; size: number } {
  let area = 0;
  let boundary = 0;
  let x0 = w;
  let y0 = h;
  let x1 = -1;
  let y1 = -1;
  for (let p = 0; p < count; p++) {
    const i = pixels[p]!;
    if (mask[i] !== 1) continue;
    const x = i % w;
    const y = (i - x) / w;
    area++;
    if (
      x === 0 ||
      mask[i - 1] !== 1 ||
      x === w - 1 ||
      mask[i + 1] !== 1 ||
      y === 0 ||
      mask[i - w] !== 1 ||
      y === h - 1 ||
      mask[i + w] !== 1
    )
      boundary++;
    if (x < x0) x0 = x;
    if (x > x1) x1 = x;
    if (y < y0) y0 = y;
    if (y > y1) y1 = y;
  }
  if (area === 0) return { width: 0, size: 0 };
  return { width: (2 * area) / boundary, size: Math.max(x1 - x0 + 1, y1 - y0 + 1) };
}

/** Thickens strokes by `radius` pixels (a disc), with a one-pixel soft edge. */
export function thicken(ink: Float32Array, mask: Uint8Array, w: number, h: number, radius: number): void {
  const d = distanceToMask(mask, w, h);
  for (let i = 0; i < ink.length; i++) {
    const v = (radius + 1 - d[i]!) * 255;
    if (v > ink[i]!) ink[i] = Math.min(v, 255);
  }
}

/** The normalised kernel of the last sigma (a server blurs with few distinct sigmas). */
let gaussKernel = { sigma: Number.NaN, r: 0, k: new Float32Array(0) };

function kernelFor(sigma: number): { r: number; k: Float32Array } {
  if (gaussKernel.sigma === sigma) return gaussKernel;
  const r = Math.max(1, Math.ceil(sigma * 3));
  const k = new Float32Array(2 * r + 1);
  let sum = 0;
  for (let i = -r; i <= r; i++) sum += k[i + r] = Math.exp(-(i * i) / (2 * sigma * sigma));
  for (let i = 0; i < k.length; i++) k[i] /= sum;
  gaussKernel = { sigma, r, k };
  return gaussKernel;
}

/** A box of pixels (inclusive bounds; they may lie outside the image). */
export interface PixelBox {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
}

/**
 * Separable Gaussian blur (edges clamped). Each pixel adds its taps in the same order as a clamped loop;
 * only taps that fall outside the image are clamped. With `nonZero`, `src` is +0 outside that box: only
 * the pixels the blur can reach from it are computed, the rest are 0 (what the taps would add up to).
 */
export function gaussianBlur(
  src: Float32Array,
  w: number,
  h: number,
  sigma: number,
  out: Float32Array = new Float32Array(src.length),
  nonZero?: PixelBox,
): Float32Array {
  const { r, k } = kernelFor(sigma);
  // The pixels to compute: the box grown by the kernel's reach (the whole image without a box).
  const ox0 = nonZero ? Math.max(0, nonZero.x0 - r) : 0;
  const ox1 = nonZero ? Math.min(w - 1, nonZero.x1 + r) : w - 1;
  const oy0 = nonZero ? Math.max(0, nonZero.y0 - r) : 0;
  const oy1 = nonZero ? Math.min(h - 1, nonZero.y1 + r) : h - 1;
  if (nonZero) out.fill(0);
  if (ox0 > ox1 || oy0 > oy1) return out;
  if (gaussTmp.length < src.length) gaussTmp = new Float32Array(src.length);
  const tmp = gaussTmp;
  const k0 = k[0]!;
  const k1 = k[1]!;
  const k2 = k[2]!;
  // Horizontal, on the rows the vertical pass reads: inner pixels read their taps directly, pixels within
  // r of an edge clamp.
  for (let y = Math.max(0, oy0 - r); y <= Math.min(h - 1, oy1 + r); y++) {
    const row = y * w;
    for (let x = ox0; x <= ox1; x++) {
      let acc = 0;
      if (x >= r && x + r < w) {
        const c = row + x - r;
        if (r === 1) acc = 0 + src[c]! * k0 + src[c + 1]! * k1 + src[c + 2]! * k2;
        else for (let t = 0; t <= 2 * r; t++) acc += src[c + t]! * k[t]!;
      } else for (let i = -r; i <= r; i++) acc += src[row + Math.min(w - 1, Math.max(0, x + i))]! * k[i + r]!;
      tmp[row + x] = acc;
    }
  }
  // Vertical: the rows a pixel reads, clamped once per row.
  if (gaussRows.length < 2 * r + 1) gaussRows = new Int32Array(2 * r + 1);
  const rows = gaussRows;
  for (let y = oy0; y <= oy1; y++) {
    for (let i = -r; i <= r; i++) rows[i + r] = Math.min(h - 1, Math.max(0, y + i)) * w;
    const o = y * w;
    if (r === 1) {
      const ra = rows[0]!;
      const rb = rows[1]!;
      const rc = rows[2]!;
      for (let x = ox0; x <= ox1; x++)
        out[o + x] = 0 + tmp[ra + x]! * k0 + tmp[rb + x]! * k1 + tmp[rc + x]! * k2;
    } else
      for (let x = ox0; x <= ox1; x++) {
        let acc = 0;
        for (let t = 0; t <= 2 * r; t++) acc += tmp[rows[t]! + x]! * k[t]!;
        out[o + x] = acc;
      }
  }
  return out;
}

let gaussRows = new Int32Array(0);
