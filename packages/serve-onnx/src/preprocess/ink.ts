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

/** Full photo pipeline: polarity, background removal, Otsu, speck removal, stroke width. */
export function extractInk(
  values: Float32Array,
  width: number,
  height: number,
  opts: InkOptions & { knownPolarity?: 'ink-bright' } = {},
): InkResult {
  const o = { ...DEFAULT_INK_OPTIONS, ...opts };
  const smooth = boxBlur3(values, width, height); // JPEG noise and paper grain
  const inverted = opts.knownPolarity ? false : isDarkOnLight(smooth, width, height);
  if (inverted) for (let i = 0; i < smooth.length; i++) smooth[i] = 255 - smooth[i]!;
  const bright = smooth;
  const flat = subtractBackground(bright, width, height);
  const contrast = percentile(flat, 0.999);
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
  if (report.blank) return { ink: new Float32Array(width * height), report };

  const t = Math.max(otsuThreshold(flat), contrast * 0.2);
  report.threshold = t;
  const mask = new Uint8Array(flat.length);
  for (let i = 0; i < flat.length; i++) mask[i] = flat[i]! >= t ? 1 : 0;

  // Group ink on a slightly dilated mask so a pencil stroke broken by paper texture stays one component.
  const join = Math.max(1, Math.round(Math.max(width, height) / 100));
  const grouped = dilateMask(mask, width, height, join);
  const { labels, count } = labelComponents(grouped, width, height);
  const inkArea = new Float64Array(count + 1);
  const touchesBorder = new Uint8Array(count + 1);
  const x0 = new Int32Array(count + 1).fill(width);
  const x1 = new Int32Array(count + 1).fill(-1);
  const y0 = new Int32Array(count + 1).fill(height);
  const y1 = new Int32Array(count + 1).fill(-1);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const l = labels[i]!;
      if (!l) continue;
      if (mask[i]) inkArea[l]++;
      if (x === 0 || y === 0 || x === width - 1 || y === height - 1) touchesBorder[l] = 1;
      if (x < x0[l]!) x0[l] = x;
      if (x > x1[l]!) x1[l] = x;
      if (y < y0[l]!) y0[l] = y;
      if (y > y1[l]!) y1[l] = y;
    }
  // Ruled or grid lines of the paper: long, thin, across (almost) the whole image.
  const ruling = new Uint8Array(count + 1);
  for (let l = 1; l <= count; l++) {
    const bw = x1[l]! - x0[l]! + 1;
    const bh = y1[l]! - y0[l]! + 1;
    ruling[l] =
      (bw >= 0.9 * width && bh <= 0.08 * height) || (bh >= 0.9 * height && bw <= 0.08 * width) ? 1 : 0;
  }
  let largest = 0;
  for (let l = 1; l <= count; l++) if (!ruling[l]) largest = Math.max(largest, inkArea[l]!);
  const keep = new Uint8Array(count + 1);
  for (let l = 1; l <= count; l++) {
    const f = inkArea[l]! / largest;
    // Specks; small smudges cut by the crop edge (shadows, the next character) unless they are big; rulings.
    keep[l] = !ruling[l] && f >= o.speckFraction && !(touchesBorder[l] && f < 0.15) ? 1 : 0;
    if (!keep[l]) report.specksRemoved++;
  }
  report.components = count;
  report.layout = inkLayout(keep, inkArea, { x0, x1, y0, y1 }, width * height);

  // Soft ink: a ramp around the threshold keeps antialiased edges instead of a hard binary cut.
  const ink = new Float32Array(flat.length);
  for (let i = 0; i < flat.length; i++) {
    if (!keep[labels[i]!]) {
      mask[i] = 0;
      continue;
    }
    const r = (flat[i]! - 0.6 * t) / (0.8 * t);
    ink[i] = r <= 0 ? 0 : r >= 1 ? 255 : r * 255;
  }

  const { width: stroke, size } = strokeWidth(mask, width, height);
  report.strokeWidth = size > 0 ? stroke / size : 0;
  if (size > 0 && report.strokeWidth < o.thinStroke) {
    const radius = ((o.targetStroke - report.strokeWidth) * size) / 2;
    thicken(ink, mask, width, height, radius);
    report.thickenedBy = radius;
  }
  if (size > 0 && o.edgeBlur > 0) return { ink: gaussianBlur(ink, width, height, o.edgeBlur * size), report };
  return { ink, report };
}

/** Layout of the kept components (see InkLayout); boxes are per component label (index 0 unused). */
export function inkLayout(
  keep: Uint8Array,
  inkArea: Float64Array,
  box: { x0: Int32Array; x1: Int32Array; y0: Int32Array; y1: Int32Array },
  area: number,
): InkLayout {
  const kept: number[] = [];
  for (let l = 1; l < keep.length; l++) if (keep[l]) kept.push(l);
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

/** 3x3 mean filter (edges clamped). */
export function boxBlur3(src: Float32Array, w: number, h: number): Float32Array {
  const out = new Float32Array(src.length);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy < 0 ? 0 : y + dy >= h ? h - 1 : y + dy;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx < 0 ? 0 : x + dx >= w ? w - 1 : x + dx;
          s += src[yy * w + xx]!;
        }
      }
      out[y * w + x] = s / 9;
    }
  return out;
}

/** The q-quantile of the values (0..255 range, 1-level histogram). */
export function percentile(values: Float32Array, q: number): number {
  const hist = new Uint32Array(256);
  for (let i = 0; i < values.length; i++) hist[clampByte(values[i]!)]!++;
  const target = q * values.length;
  let acc = 0;
  for (let v = 0; v < 256; v++) {
    acc += hist[v]!;
    if (acc >= target) return v;
  }
  return 255;
}

function clampByte(v: number): number {
  return v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
}

/**
 * Paper is what surrounds the character: the median of the border ring. Ink is whichever extreme lies
 * farther from it, so grey paper with dark pencil and white chalk on a blackboard both come out right.
 */
export function isDarkOnLight(values: Float32Array, w: number, h: number): boolean {
  const ring = Math.max(1, Math.round(Math.min(w, h) * 0.03));
  const border: number[] = [];
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      if (x < ring || y < ring || x >= w - ring || y >= h - ring) border.push(values[y * w + x]!);
  border.sort((a, b) => a - b);
  const paper = border[border.length >> 1]!;
  const dark = percentile(values, 0.005);
  const light = percentile(values, 0.995);
  return paper - dark > light - paper;
}

/**
 * Uneven light: the background level is estimated on a coarse grid (a low percentile per block, robust to
 * strokes covering part of a block), smoothed, interpolated bilinearly and subtracted.
 */
export function subtractBackground(bright: Float32Array, w: number, h: number): Float32Array {
  const block = Math.max(4, Math.round(Math.max(w, h) / 8));
  const gw = Math.ceil(w / block);
  const gh = Math.ceil(h / block);
  const grid = new Float32Array(gw * gh);
  const hist = new Uint32Array(256);
  for (let gy = 0; gy < gh; gy++)
    for (let gx = 0; gx < gw; gx++) {
      hist.fill(0);
      let n = 0;
      for (let y = gy * block; y < Math.min(h, (gy + 1) * block); y++)
        for (let x = gx * block; x < Math.min(w, (gx + 1) * block); x++) {
          hist[clampByte(bright[y * w + x]!)]!++;
          n++;
        }
      let acc = 0;
      let v = 0;
      while (v < 255 && acc + hist[v]! < n * 0.2) acc += hist[v++]!;
      grid[gy * gw + gx] = v;
    }
  // Smooth the grid with a 3x3 minimum-then-mean so a block full of ink does not lift the background.
  const smooth = new Float32Array(grid.length);
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
    }
  const out = new Float32Array(bright.length);
  for (let y = 0; y < h; y++) {
    const fy = Math.min(gh - 1, Math.max(0, (y + 0.5) / block - 0.5));
    const y0 = Math.floor(fy);
    const y1 = Math.min(gh - 1, y0 + 1);
    const ty = fy - y0;
    for (let x = 0; x < w; x++) {
      const fx = Math.min(gw - 1, Math.max(0, (x + 0.5) / block - 0.5));
      const x0 = Math.floor(fx);
      const x1 = Math.min(gw - 1, x0 + 1);
      const tx = fx - x0;
      const bg =
        (1 - ty) * ((1 - tx) * smooth[y0 * gw + x0]! + tx * smooth[y0 * gw + x1]!) +
        ty * ((1 - tx) * smooth[y1 * gw + x0]! + tx * smooth[y1 * gw + x1]!);
      const v = bright[y * w + x]! - bg;
      out[y * w + x] = Math.max(v, 0);
    }
  }
  return out;
}

/** Otsu's threshold: the grey level that best separates two classes (maximal between-class variance). */
export function otsuThreshold(values: Float32Array): number {
  const hist = new Float64Array(256);
  for (let i = 0; i < values.length; i++) hist[clampByte(values[i]!)]!++;
  const total = values.length;
  let sumAll = 0;
  for (let v = 0; v < 256; v++) sumAll += v * hist[v]!;
  let wB = 0;
  let sumB = 0;
  let best = 0;
  let bestVar = -1;
  for (let t = 0; t < 256; t++) {
    wB += hist[t]!;
    if (wB === 0) continue;
    const wF = total - wB;
    if (wF === 0) break;
    sumB += t * hist[t]!;
    const mB = sumB / wB;
    const mF = (sumAll - sumB) / wF;
    const between = wB * wF * (mB - mF) * (mB - mF);
    if (between > bestVar) {
      bestVar = between;
      best = t;
    }
  }
  return best + 0.5;
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

export function dilateMask(mask: Uint8Array, w: number, h: number, radius: number): Uint8Array {
  const d = distanceToMask(mask, w, h);
  const out = new Uint8Array(mask.length);
  for (let i = 0; i < d.length; i++) out[i] = d[i]! <= radius ? 1 : 0;
  return out;
}

/** 8-connected component labels (1..count, 0 = background), iterative flood fill. */
export function labelComponents(
  mask: Uint8Array,
  w: number,
  h: number,
): { labels: Int32Array; count: number } {
  const labels = new Int32Array(mask.length);
  const stack = new Int32Array(mask.length);
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
      const y = (i - x) / w;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= h) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if (xx < 0 || xx >= w) continue;
          const j = yy * w + xx;
          if (mask[j] && !labels[j]) {
            labels[j] = count;
            stack[top++] = j;
          }
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
  let area = 0;
  let boundary = 0;
  let x0 = w;
  let y0 = h;
  let x1 = -1;
  let y1 = -1;
  const on = (x: number, y: number) => x >= 0 && y >= 0 && x < w && y < h && mask[y * w + x] === 1;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      if (!on(x, y)) continue;
      area++;
      if (!on(x - 1, y) || !on(x + 1, y) || !on(x, y - 1) || !on(x, y + 1)) boundary++;
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

/** Separable Gaussian blur (edges clamped). */
export function gaussianBlur(src: Float32Array, w: number, h: number, sigma: number): Float32Array {
  const r = Math.max(1, Math.ceil(sigma * 3));
  const k = new Float32Array(2 * r + 1);
  let sum = 0;
  for (let i = -r; i <= r; i++) sum += k[i + r] = Math.exp(-(i * i) / (2 * sigma * sigma));
  for (let i = 0; i < k.length; i++) k[i] /= sum;
  const tmp = new Float32Array(src.length);
  const out = new Float32Array(src.length);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      let acc = 0;
      for (let i = -r; i <= r; i++) acc += src[y * w + Math.min(w - 1, Math.max(0, x + i))]! * k[i + r]!;
      tmp[y * w + x] = acc;
    }
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      let acc = 0;
      for (let i = -r; i <= r; i++) acc += tmp[Math.min(h - 1, Math.max(0, y + i)) * w + x]! * k[i + r]!;
      out[y * w + x] = acc;
    }
  return out;
}
