/**
 * A written line photographed or scanned at an angle: how far it is turned, and the image turned back.
 *
 * The skew is found the classic way (Postl's projection profile): shear the ink by each candidate angle and
 * sum it along the rows; the angle at which the rows are most uneven (ink piled into the fewest rows) is the
 * one that lays the line flat. A form's box and rule lines share the page's angle, so they help.
 */

/** Angles searched, in degrees either way. A line turned further is a layout problem, not a skew. */
export const MAX_SKEW_DEGREES = 15;
const COARSE_STEP = 1;
/** A line or page is turned flat when it leans at least this many degrees... */
const DESKEW_MIN_DEGREES = 2;
/** ...and its ink piles into rows at least this much better flat (a short word's angle is a guess). */
const DESKEW_MIN_GAIN = 1.1;
const FINE_STEP = 0.25;

export interface SkewEstimate {
  /** Degrees, positive when the line falls towards the right (image rows grow downwards). */
  angle: number;
  /** How much more uneven the rows are at that angle than at 0: 1 when the line is already flat. */
  gain: number;
}

/** The skew of the ink (`ink` 0..1, row-major `w x h`; pixels at or above 0.5 count, by their ink). */
export function estimateSkew(ink: Float32Array, w: number, h: number): SkewEstimate {
  const xs: number[] = [];
  const ys: number[] = [];
  const ms: number[] = [];
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const v = ink[y * w + x]!;
      if (v >= 0.5) {
        xs.push(x - w / 2);
        ys.push(y);
        ms.push(v);
      }
    }
  if (xs.length === 0) return { angle: 0, gain: 1 };
  const pad = Math.ceil(Math.tan((MAX_SKEW_DEGREES * Math.PI) / 180) * (w / 2)) + 2;
  const bins = new Float64Array(h + 2 * pad + 2);
  const evenness = (deg: number): number => {
    const slope = Math.tan((deg * Math.PI) / 180);
    bins.fill(0);
    for (let i = 0; i < xs.length; i++) {
      // the row this pixel lands on once the line is turned flat, shared between its two nearest bins
      const r = ys[i]! - xs[i]! * slope + pad;
      const r0 = Math.floor(r);
      const a = r - r0;
      bins[r0]! += ms[i]! * (1 - a);
      bins[r0 + 1]! += ms[i]! * a;
    }
    let s = 0;
    for (let i = 0; i < bins.length; i++) s += bins[i]! * bins[i]!;
    return s;
  };
  const flat = evenness(0);
  let best = 0;
  let bestScore = flat;
  const consider = (deg: number) => {
    const s = evenness(deg);
    if (s > bestScore) {
      bestScore = s;
      best = deg;
    }
  };
  for (let d = -MAX_SKEW_DEGREES; d <= MAX_SKEW_DEGREES; d += COARSE_STEP) if (d !== 0) consider(d);
  const coarse = best;
  for (let d = coarse - COARSE_STEP + FINE_STEP; d < coarse + COARSE_STEP; d += FINE_STEP)
    if (d !== coarse && d !== 0) consider(d);
  return { angle: best, gain: bestScore / flat };
}

/** The angle a line or page of this ink leans and is to be turned back by; 0 when it lies flat enough. */
export function leaningAngle(ink: Float32Array, w: number, h: number): number {
  const { angle, gain } = estimateSkew(ink, w, h);
  return Math.abs(angle) >= DESKEW_MIN_DEGREES && gain >= DESKEW_MIN_GAIN ? angle : 0;
}

/** The canvas that holds a `w x h` image turned by `degrees`. */
export function turnedSize(w: number, h: number, degrees: number): { width: number; height: number } {
  const a = (degrees * Math.PI) / 180;
  const [c, s] = [Math.abs(Math.cos(a)), Math.abs(Math.sin(a))];
  return { width: Math.ceil(w * c + h * s - 1e-9), height: Math.ceil(w * s + h * c - 1e-9) };
}

/** Catmull-Rom weights of the four taps around a sample at fraction `t` past the second. */
function cubicWeights(t: number, out: Float64Array): void {
  const t2 = t * t;
  const t3 = t2 * t;
  out[0] = 0.5 * (-t3 + 2 * t2 - t);
  out[1] = 0.5 * (3 * t3 - 5 * t2 + 2);
  out[2] = 0.5 * (-3 * t3 + 4 * t2 + t);
  out[3] = 0.5 * (t3 - t2);
}

/**
 * One grey channel turned by `degrees` about its centre (positive turns it clockwise on screen), on a canvas
 * grown to hold every source pixel; the corners it uncovers get `fill`. Bicubic (Catmull-Rom), clamped to
 * the source's range: a bilinear turn blurs a thin pen's strokes, and small writing reads worse for it.
 */
export function rotateGrey(
  grey: Float32Array,
  w: number,
  h: number,
  degrees: number,
  fill: number,
): { grey: Float32Array; width: number; height: number } {
  const a = (degrees * Math.PI) / 180;
  const c = Math.cos(a);
  const s = Math.sin(a);
  const { width, height } = turnedSize(w, h, degrees);
  let lo = fill;
  let hi = fill;
  for (let i = 0; i < grey.length; i++) {
    if (grey[i]! < lo) lo = grey[i]!;
    if (grey[i]! > hi) hi = grey[i]!;
  }
  const at = (xx: number, yy: number) => (xx >= 0 && yy >= 0 && xx < w && yy < h ? grey[yy * w + xx]! : fill);
  const wx = new Float64Array(4);
  const wy = new Float64Array(4);
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      // the source point that lands on this pixel's centre (the inverse turn about both centres)
      const dx = x + 0.5 - width / 2;
      const dy = y + 0.5 - height / 2;
      const sx = c * dx + s * dy + w / 2 - 0.5;
      const sy = -s * dx + c * dy + h / 2 - 0.5;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      if (x0 < -2 || y0 < -2 || x0 > w || y0 > h) {
        out[y * width + x] = fill;
        continue;
      }
      cubicWeights(sx - x0, wx);
      cubicWeights(sy - y0, wy);
      let v = 0;
      for (let j = 0; j < 4; j++) {
        let row = 0;
        for (let i = 0; i < 4; i++) row += wx[i]! * at(x0 - 1 + i, y0 - 1 + j);
        v += wy[j]! * row;
      }
      out[y * width + x] = Math.max(lo, Math.min(hi, v));
    }
  return { grey: out, width, height };
}

/**
 * Where a box of the turned image (`rotateGrey`'s output, `width x height`) lies in the source `w x h`: the
 * bounding box of its four corners turned back, clamped to the source.
 */
export function unrotateBox(
  box: { x: number; y: number; width: number; height: number },
  turned: { width: number; height: number },
  w: number,
  h: number,
  degrees: number,
): { x: number; y: number; width: number; height: number } {
  const a = (degrees * Math.PI) / 180;
  const c = Math.cos(a);
  const s = Math.sin(a);
  const xs: number[] = [];
  const ys: number[] = [];
  for (const [px, py] of [
    [box.x, box.y],
    [box.x + box.width, box.y],
    [box.x, box.y + box.height],
    [box.x + box.width, box.y + box.height],
  ] as const) {
    const dx = px - turned.width / 2;
    const dy = py - turned.height / 2;
    xs.push(c * dx + s * dy + w / 2);
    ys.push(-s * dx + c * dy + h / 2);
  }
  const x0 = Math.max(0, Math.floor(Math.min(...xs)));
  const y0 = Math.max(0, Math.floor(Math.min(...ys)));
  const x1 = Math.min(w, Math.ceil(Math.max(...xs)));
  const y1 = Math.min(h, Math.ceil(Math.max(...ys)));
  return { x: x0, y: y0, width: Math.max(0, x1 - x0), height: Math.max(0, y1 - y0) };
}
