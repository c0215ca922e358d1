/** Separable grey filters on Float32 planes, O(1) per pixel whatever the window. */

/**
 * Running max over a centred window of `size` along one axis (van Herk / Gil-Werman).
 * Borders repeat the edge value, so a window never sees outside the image. (One monomorphic max: the min
 * filter negates around it, which is faster than passing the comparison in.) Used for rows; columns go
 * through maxColumns.
 */
function max1d(
  src: Float32Array,
  width: number,
  height: number,
  size: number,
  horizontal: boolean,
): Float32Array {
  const out = new Float32Array(src.length);
  const len = horizontal ? width : height;
  const lines = horizontal ? height : width;
  const step = horizontal ? 1 : width;
  const lineStep = horizontal ? width : 1;
  const r = size >> 1;
  const k = 2 * r + 1;
  const padded = len + 2 * r;
  const total = Math.ceil(padded / k) * k;
  const g = new Float32Array(total);
  const h = new Float32Array(total);
  const line = new Float32Array(total);
  for (let l = 0; l < lines; l++) {
    const base = l * lineStep;
    // Edge values repeated into the padding.
    const first = src[base];
    const last = src[base + (len - 1) * step];
    for (let i = 0; i < r; i++) line[i] = first;
    for (let i = 0; i < len; i++) line[r + i] = src[base + i * step];
    for (let i = r + len; i < total; i++) line[i] = last;
    for (let b = 0; b < total; b += k) {
      g[b] = line[b];
      for (let i = b + 1; i < b + k; i++) g[i] = Math.max(g[i - 1], line[i]);
      h[b + k - 1] = line[b + k - 1];
      for (let i = b + k - 2; i >= b; i--) h[i] = Math.max(h[i + 1], line[i]);
    }
    // Output i covers padded [i, i + k - 1].
    for (let i = 0; i < len; i++) {
      const a = h[i];
      const b = g[i + k - 1];
      out[base + i * step] = Math.max(a, b);
    }
  }
  return out;
}

/**
 * The vertical pass of max1d done a whole row at a time: the same van Herk recurrences, but every inner loop
 * runs along contiguous memory instead of striding down a column.
 */
function maxColumns(src: Float32Array, width: number, height: number, size: number): Float32Array {
  const r = size >> 1;
  const k = 2 * r + 1;
  const total = Math.ceil((height + 2 * r) / k) * k;
  // Padded row index -> source row (edges repeated).
  const rowOf = (i: number) => Math.min(height - 1, Math.max(0, i - r)) * width;
  const g = new Float32Array(total * width);
  const h = new Float32Array(total * width);
  for (let b = 0; b < total; b += k) {
    g.set(src.subarray(rowOf(b), rowOf(b) + width), b * width);
    for (let i = b + 1; i < b + k; i++) {
      const o = i * width;
      const prev = o - width;
      const s0 = rowOf(i);
      for (let x = 0; x < width; x++) g[o + x] = Math.max(g[prev + x], src[s0 + x]);
    }
    const lastRow = (b + k - 1) * width;
    h.set(src.subarray(rowOf(b + k - 1), rowOf(b + k - 1) + width), lastRow);
    for (let i = b + k - 2; i >= b; i--) {
      const o = i * width;
      const next = o + width;
      const s0 = rowOf(i);
      for (let x = 0; x < width; x++) h[o + x] = Math.max(h[next + x], src[s0 + x]);
    }
  }
  // Output row y covers padded rows [y, y + k - 1].
  const out = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    const o = y * width;
    const hh = y * width;
    const gg = (y + k - 1) * width;
    for (let x = 0; x < width; x++) out[o + x] = Math.max(h[hh + x], g[gg + x]);
  }
  return out;
}

export function maxFilter(src: Float32Array, width: number, height: number, size: number): Float32Array {
  return maxColumns(max1d(src, width, height, size, true), width, height, size);
}

export function minFilter(src: Float32Array, width: number, height: number, size: number): Float32Array {
  const neg = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) neg[i] = -src[i];
  const out = maxFilter(neg, width, height, size);
  for (let i = 0; i < out.length; i++) out[i] = -out[i];
  return out;
}

/** Mean over a centred (2r+1)^2 window, edges repeated. */
export function boxBlur(src: Float32Array, width: number, height: number, r: number): Float32Array {
  if (r <= 0) return src.slice();
  return blur1d(blur1d(src, width, height, r, true), width, height, r, false);
}

function blur1d(
  src: Float32Array,
  width: number,
  height: number,
  r: number,
  horizontal: boolean,
): Float32Array {
  const out = new Float32Array(src.length);
  const len = horizontal ? width : height;
  const lines = horizontal ? height : width;
  const step = horizontal ? 1 : width;
  const lineStep = horizontal ? width : 1;
  const k = 2 * r + 1;
  const at = (base: number, j: number) => src[base + Math.min(len - 1, Math.max(0, j)) * step];
  for (let l = 0; l < lines; l++) {
    const base = l * lineStep;
    let sum = 0;
    for (let j = -r; j <= r; j++) sum += at(base, j);
    for (let i = 0; i < len; i++) {
      out[base + i * step] = sum / k;
      sum += at(base, i + r + 1) - at(base, i - r);
    }
  }
  return out;
}

/** 256-bin histogram of values clamped to 0..255 (rounded). */
export function histogram(values: Float32Array): Uint32Array {
  const hist = new Uint32Array(256);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    // Integer index arithmetic: Math.round + clamps here is several times slower in V8.
    hist[v <= 0 ? 0 : v >= 255 ? 255 : (v + 0.5) | 0]++;
  }
  return hist;
}

/** Value below which `q` (0..1) of the `count` samples in a 256-bin histogram fall. */
export function histogramPercentile(hist: Uint32Array, count: number, q: number): number {
  const target = q * count;
  let acc = 0;
  for (let v = 0; v < hist.length; v++) {
    acc += hist[v];
    if (acc >= target && acc > 0) return v;
  }
  return hist.length - 1;
}

/** Otsu's threshold on a histogram: the split that maximises the between-class variance. */
export function otsu(hist: Uint32Array): number {
  let total = 0;
  let sumAll = 0;
  for (let v = 0; v < hist.length; v++) {
    total += hist[v];
    sumAll += v * hist[v];
  }
  let wB = 0;
  let sumB = 0;
  let best = 0;
  let bestT = 0;
  for (let t = 0; t < hist.length; t++) {
    wB += hist[t];
    if (wB === 0) continue;
    const wF = total - wB;
    if (wF === 0) break;
    sumB += t * hist[t];
    const mB = sumB / wB;
    const mF = (sumAll - sumB) / wF;
    const between = wB * wF * (mB - mF) * (mB - mF);
    if (between > best) {
      best = between;
      bestT = t;
    }
  }
  return bestT;
}

/** The middle value of a list (the mean of the two middle ones for an even count). */
export function median(v: number[]): number {
  const s = [...v].sort((p, q) => p - q);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
