/** Binary masks of a character photo's ink: distances, dilation, connected components, stroke width, thickening. */

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
export function strokeWidthOf(
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
