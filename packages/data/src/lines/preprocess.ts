import type { Scan } from './scan.js';

/** A training line: ink bright, `height` rows, row-major. */
export interface TrainingLine {
  width: number;
  height: number;
  pixels: Uint8Array;
}

/**
 * The one step from a rendered scan to a training line. It must be the preprocessing real scans get
 * (`preprocessLine` of @hcr/image), so the reader sees synthetic and real fields through the same lens.
 * INTERIM until @hcr/image exports preprocessLine: grey -> ink (background level minus pixel), crop to the
 * ink band, scale to 32 rows keeping the aspect ratio.
 */
export function toTrainingLine(scan: Scan, height = 32): TrainingLine {
  const { width: W, height: H, data } = scan;
  const hist = new Uint32Array(256);
  for (const v of data) hist[v]!++;
  const bg = percentileOf(hist, data.length, 0.7);
  const ink = new Float32Array(W * H);
  let max = 1;
  for (let i = 0; i < ink.length; i++) {
    const v = Math.max(0, bg - data[i]!);
    ink[i] = v;
    if (v > max) max = v;
  }
  const thr = max * 0.35;
  let x0 = W;
  let x1 = -1;
  let y0 = H;
  let y1 = -1;
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++)
      if (ink[y * W + x]! >= thr) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
  if (x1 < 0) [x0, x1, y0, y1] = [0, W - 1, 0, H - 1];
  const bandH = y1 - y0 + 1;
  const margin = Math.round(bandH * (3 / 26));
  const cy0 = y0 - margin;
  const ch = bandH + 2 * margin;
  const scale = height / ch;
  const outW = Math.max(16, Math.round((x1 - x0 + 1 + 2 * margin) * scale));
  const cx0 = x0 - margin;
  const pixels = new Uint8Array(outW * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < outW; x++) {
      // box average over the source footprint
      const sy0 = cy0 + y / scale;
      const sx0 = cx0 + x / scale;
      let acc = 0;
      let n = 0;
      for (let sy = Math.floor(sy0); sy < Math.max(Math.floor(sy0) + 1, Math.ceil(sy0 + 1 / scale)); sy++)
        for (let sx = Math.floor(sx0); sx < Math.max(Math.floor(sx0) + 1, Math.ceil(sx0 + 1 / scale)); sx++) {
          if (sy >= 0 && sy < H && sx >= 0 && sx < W) acc += ink[sy * W + sx]!;
          n++;
        }
      pixels[y * outW + x] = Math.min(255, Math.round(((acc / n) * 255) / max));
    }
  return { width: outW, height, pixels };
}

function percentileOf(hist: Uint32Array, n: number, q: number): number {
  let acc = 0;
  for (let v = 0; v < 256; v++) {
    acc += hist[v]!;
    if (acc >= n * q) return v;
  }
  return 255;
}
