import { createRng, type Rng } from '@hcr/core';

/**
 * Seeded on-the-fly style augmentation for 28x28 grey characters (ink bright).
 * Geometry (rotation, scale, shear, translation, elastic warp) is one inverse map sampled bilinearly;
 * stroke width (dilation/erosion) and blur are 3x3 filters. MNIST strokes are thin and EMNIST strokes
 * thick: random stroke width is what keeps the network from telling digits from letters by pen.
 * MNIST edges are crisp and EMNIST edges soft (EMNIST was blurred before downsampling): random tone
 * (a soft threshold that sharpens) and random blur make the edge profile noise instead of a
 * digit-or-letter cue. A model trained 15 epochs without them called sharpened letters digits (letters
 * 89.9% -> 12.7%) and blurred MNIST digits letters (99.3% -> 91.0%).
 */
export interface AugmentConfig {
  enabled: boolean;
  /** Max rotation, degrees (uniform in +-). */
  rotate: number;
  /** Max relative scale change (uniform in 1 +- scale, per axis with a shared component). */
  scale: number;
  /** Max shear, degrees. */
  shear: number;
  /** Max translation, pixels. */
  translate: number;
  /** Elastic warp amplitude, pixels (smooth random field on a coarse 4x4 grid). 0 disables. */
  elastic: number;
  /** Probability of a stroke-width change (half dilation, half erosion). */
  strokeProb: number;
  /** Probability of a random tone curve: a soft threshold (sigmoid) that makes edges crisper. */
  toneProb: number;
  /** Probability of a 3x3 blur of random strength. */
  blurProb: number;
}

export const DEFAULT_AUGMENT: AugmentConfig = Object.freeze({
  enabled: true,
  rotate: 12,
  scale: 0.12,
  shear: 10,
  translate: 2,
  elastic: 1.2,
  strokeProb: 0.6,
  toneProb: 0.6,
  blurProb: 0.5,
});

const S = 28;
const N = S * S;
const GRID = 4;

/** The per-sample stream: depends only on (seed, epoch, position in the epoch), never on the worker. */
export function sampleRng(seed: number, epoch: number, position: number): Rng {
  let h = Math.imul(seed ^ 0x85ebca6b, 0xc2b2ae35) ^ Math.imul(epoch + 1, 0x27d4eb2f) ^ position;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return createRng((h ^ (h >>> 16)) >>> 0);
}

/** Scratch buffers, reused across samples (one set per thread). */
export interface AugmentScratch {
  a: Float32Array;
  b: Float32Array;
  grid: Float32Array;
}

export function augmentScratch(): AugmentScratch {
  return {
    a: new Float32Array(N),
    b: new Float32Array(N),
    grid: new Float32Array(2 * (GRID + 1) * (GRID + 1)),
  };
}

function morph(src: Float32Array, dst: Float32Array, dilate: boolean): void {
  // Cross-shaped 3x3 structuring element: a gentler width change than the full square.
  for (let y = 0; y < S; y++) {
    for (let x = 0; x < S; x++) {
      const i = y * S + x;
      let v = src[i]!;
      const up = y > 0 ? src[i - S]! : 0;
      const dn = y < S - 1 ? src[i + S]! : 0;
      const lf = x > 0 ? src[i - 1]! : 0;
      const rt = x < S - 1 ? src[i + 1]! : 0;
      if (dilate) v = Math.max(v, up, dn, lf, rt);
      else v = Math.min(v, up, dn, lf, rt);
      dst[i] = v;
    }
  }
}

/** 3x3 binomial blur (weights 1-2-1 by 1-2-1), renormalised at the borders. */
export function blur3x3(src: Float32Array, dst: Float32Array): void {
  for (let y = 0; y < S; y++) {
    for (let x = 0; x < S; x++) {
      let sum = 0;
      let w = 0;
      for (let dy = -1; dy <= 1; dy++) {
        const yy = y + dy;
        if (yy < 0 || yy >= S) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          if (xx < 0 || xx >= S) continue;
          const k = (2 - Math.abs(dx)) * (2 - Math.abs(dy));
          sum += k * src[yy * S + xx]!;
          w += k;
        }
      }
      dst[y * S + x] = sum / w;
    }
  }
}

/**
 * Augments one sample: `src` (784 uint8 at `srcOffset`) -> `dst` (784 float32 at `dstOffset`),
 * normalised as (v/255 - mean) / std.
 */
export function augmentSample(
  src: Uint8Array,
  srcOffset: number,
  dst: Float32Array,
  dstOffset: number,
  rng: Rng,
  cfg: AugmentConfig,
  mean: number,
  std: number,
  scratch: AugmentScratch,
): void {
  let cur = scratch.a;
  let other = scratch.b;
  for (let i = 0; i < N; i++) cur[i] = src[srcOffset + i]! / 255;

  const u = () => rng.next() * 2 - 1;
  // Share of the ink that erosion and tone together keep: at least 60%, so thin MNIST strokes survive.
  let kept = 1;
  if (rng.next() < cfg.strokeProb) {
    const dilate = rng.next() < 0.5;
    let mix = 0.5 + 0.5 * rng.next();
    morph(cur, other, dilate);
    if (!dilate) {
      // Erosion must thin thick (EMNIST) strokes, never erase thin (MNIST) ones: keep >= 60% of the ink.
      let before = 0;
      let after = 0;
      for (let i = 0; i < N; i++) {
        before += cur[i]!;
        after += other[i]!;
      }
      const lost = before - after;
      if (lost > 0.4 * before) mix = Math.min(mix, (0.4 * before) / lost);
      if (before > 0) kept = 1 - (mix * Math.max(0, lost)) / before;
    }
    for (let i = 0; i < N; i++) other[i] = mix * other[i]! + (1 - mix) * cur[i]!;
    [cur, other] = [other, cur];
  }

  // Inverse map: output pixel (relative to the centre) -> source position.
  const rot = (u() * cfg.rotate * Math.PI) / 180;
  const shear = (u() * cfg.shear * Math.PI) / 180;
  const common = 1 + u() * cfg.scale;
  const sx = common * (1 + u() * cfg.scale * 0.3);
  const sy = common * (1 + u() * cfg.scale * 0.3);
  const tx = u() * cfg.translate;
  const ty = u() * cfg.translate;
  // Forward A = R * Sh * Sc; inverse computed explicitly (2x2).
  const cos = Math.cos(rot);
  const sin = Math.sin(rot);
  const sh = Math.tan(shear);
  const a11 = cos * sx;
  const a12 = (cos * sh - sin) * sy;
  const a21 = sin * sx;
  const a22 = (sin * sh + cos) * sy;
  const det = a11 * a22 - a12 * a21;
  const i11 = a22 / det;
  const i12 = -a12 / det;
  const i21 = -a21 / det;
  const i22 = a11 / det;
  const grid = scratch.grid;
  const elastic = cfg.elastic > 0;
  if (elastic) for (let k = 0; k < grid.length; k++) grid[k] = u() * cfg.elastic;
  const c = (S - 1) / 2;
  const cell = (S - 1) / GRID;
  for (let y = 0; y < S; y++) {
    for (let x = 0; x < S; x++) {
      let ox = x - c - tx;
      let oy = y - c - ty;
      if (elastic) {
        const gx = x / cell;
        const gy = y / cell;
        const x0 = gx < GRID - 1 ? Math.floor(gx) : GRID - 1;
        const y0 = gy < GRID - 1 ? Math.floor(gy) : GRID - 1;
        const fx = gx - x0;
        const fy = gy - y0;
        const k00 = 2 * (y0 * (GRID + 1) + x0);
        const k10 = k00 + 2 * (GRID + 1);
        const w00 = (1 - fy) * (1 - fx);
        const w01 = (1 - fy) * fx;
        const w10 = fy * (1 - fx);
        const w11 = fy * fx;
        ox += w00 * grid[k00]! + w01 * grid[k00 + 2]! + w10 * grid[k10]! + w11 * grid[k10 + 2]!;
        oy += w00 * grid[k00 + 1]! + w01 * grid[k00 + 3]! + w10 * grid[k10 + 1]! + w11 * grid[k10 + 3]!;
      }
      const px = i11 * ox + i12 * oy + c;
      const py = i21 * ox + i22 * oy + c;
      const x0 = Math.floor(px);
      const y0 = Math.floor(py);
      const fx = px - x0;
      const fy = py - y0;
      let v = 0;
      if (x0 >= -1 && x0 < S && y0 >= -1 && y0 < S) {
        const p00 = x0 >= 0 && y0 >= 0 ? cur[y0 * S + x0]! : 0;
        const p01 = x0 + 1 < S && y0 >= 0 ? cur[y0 * S + x0 + 1]! : 0;
        const p10 = x0 >= 0 && y0 + 1 < S ? cur[(y0 + 1) * S + x0]! : 0;
        const p11 = x0 + 1 < S && y0 + 1 < S ? cur[(y0 + 1) * S + x0 + 1]! : 0;
        v = (1 - fy) * ((1 - fx) * p00 + fx * p01) + fy * ((1 - fx) * p10 + fx * p11);
      }
      other[y * S + x] = v;
    }
  }
  [cur, other] = [other, cur];

  let restretch = false;
  if (rng.next() < cfg.toneProb) {
    // Soft threshold with random steepness and midpoint, mapped so that 0 stays 0 and 1 stays 1.
    const k = 5 + 15 * rng.next();
    const t = 0.25 + 0.25 * rng.next();
    const lo = 1 / (1 + Math.exp(k * t));
    const hi = 1 / (1 + Math.exp(-k * (1 - t)));
    let before = 0;
    let after = 0;
    for (let i = 0; i < N; i++) {
      const v = (1 / (1 + Math.exp(-k * (cur[i]! - t))) - lo) / (hi - lo);
      before += cur[i]!;
      after += v;
      other[i] = v;
    }
    // Erosion and tone share one budget: together they never remove more than 40% of the ink.
    const lost = before - after;
    const allowed = Math.max(0, 1 - 0.6 / kept) * before;
    const mix = lost > allowed ? allowed / lost : 1;
    for (let i = 0; i < N; i++) other[i] = mix * other[i]! + (1 - mix) * cur[i]!;
    [cur, other] = [other, cur];
  }
  if (rng.next() < cfg.blurProb) {
    const mix = 0.4 + 0.6 * rng.next();
    blur3x3(cur, other);
    for (let i = 0; i < N; i++) other[i] = mix * other[i]! + (1 - mix) * cur[i]!;
    [cur, other] = [other, cur];
    restretch = true;
  }
  if (restretch) {
    // The canonical normalisation stretches every served character to full contrast; so do we.
    let max = 0;
    for (let i = 0; i < N; i++) if (cur[i]! > max) max = cur[i]!;
    if (max > 0) for (let i = 0; i < N; i++) cur[i] = cur[i]! / max;
  }
  const inv = 1 / std;
  for (let i = 0; i < N; i++) dst[dstOffset + i] = (cur[i]! - mean) * inv;
}
