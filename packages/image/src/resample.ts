/**
 * Separable resampling with a triangle kernel widened by the shrink factor (bilinear when enlarging, an
 * area-like average when shrinking), so thin strokes keep their anti-aliasing instead of aliasing away.
 */

interface Taps {
  count: Int32Array;
  /** Source index of each tap, already clamped into the source. */
  index: Int32Array;
  weights: Float32Array;
  maxTaps: number;
}

/** Output pixel i samples source coordinate `src0 + (i + 0.5) * scale - 0.5`; outside the source reads 0. */
function taps(outLen: number, srcLen: number, src0: number, scale: number, clamp: boolean): Taps {
  const support = Math.max(1, scale);
  const maxTaps = Math.ceil(support) * 2 + 2;
  const count = new Int32Array(outLen);
  const index = new Int32Array(outLen * maxTaps);
  const weights = new Float32Array(outLen * maxTaps);
  for (let i = 0; i < outLen; i++) {
    const centre = src0 + (i + 0.5) * scale - 0.5;
    const lo = Math.ceil(centre - support);
    const hi = Math.floor(centre + support);
    let sum = 0;
    let c = 0;
    for (let j = lo; j <= hi && c < maxTaps; j++, c++) {
      const w = Math.max(0, 1 - Math.abs(j - centre) / support);
      if (clamp || (j >= 0 && j < srcLen)) weights[i * maxTaps + c] = w;
      index[i * maxTaps + c] = Math.min(srcLen - 1, Math.max(0, j));
      sum += w;
    }
    count[i] = c;
    if (sum > 0) for (let t = 0; t < c; t++) weights[i * maxTaps + t] /= sum;
  }
  return { count, index, weights, maxTaps };
}

/**
 * Resamples the source rectangle (x0, y0, w, h) in fractional source pixels to outW x outH.
 * Outside the source reads as 0 (`zero`: background in an ink-bright plane) or as the nearest edge (`clamp`).
 */
export function resampleRect(
  src: Float32Array,
  srcW: number,
  srcH: number,
  rect: { x: number; y: number; width: number; height: number },
  outW: number,
  outH: number,
  edge: 'zero' | 'clamp' = 'zero',
): Float32Array {
  const clamp = edge === 'clamp';
  const tx = taps(outW, srcW, rect.x, rect.width / outW, clamp);
  const ty = taps(outH, srcH, rect.y, rect.height / outH, clamp);
  // Rows first: only the source rows some output row needs.
  let rowLo = srcH;
  let rowHi = -1;
  for (let k = 0; k < ty.index.length; k++) {
    if (ty.weights[k] === 0) continue;
    rowLo = Math.min(rowLo, ty.index[k]);
    rowHi = Math.max(rowHi, ty.index[k]);
  }
  const out = new Float32Array(outW * outH);
  if (rowHi < rowLo) return out;
  const mid = new Float32Array((rowHi - rowLo + 1) * outW);
  for (let y = rowLo; y <= rowHi; y++) {
    const srow = y * srcW;
    const mrow = (y - rowLo) * outW;
    for (let i = 0; i < outW; i++) {
      let acc = 0;
      const o = i * tx.maxTaps;
      const n = tx.count[i];
      for (let t = 0; t < n; t++) acc += tx.weights[o + t] * src[srow + tx.index[o + t]];
      mid[mrow + i] = acc;
    }
  }
  for (let j = 0; j < outH; j++) {
    const o = j * ty.maxTaps;
    const orow = j * outW;
    for (let t = 0; t < ty.count[j]; t++) {
      const w = ty.weights[o + t];
      if (w === 0) continue;
      const mrow = (ty.index[o + t] - rowLo) * outW;
      for (let i = 0; i < outW; i++) out[orow + i] += w * mid[mrow + i];
    }
  }
  return out;
}
