import { byteHistogram, clampByte, histogramQuantile } from './byte-histogram.js';

/**
 * A character photo's paper: which way round ink and paper are (isDarkOnLight), and uneven light taken away
 * (subtractBackground), so that ink is bright on 0 whatever the paper and the lighting.
 */

let borderScratch = new Float32Array(0);
const ringHist = new Uint32Array(256);

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
  const hist = histogram ?? byteHistogram(values, ringHist);
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
