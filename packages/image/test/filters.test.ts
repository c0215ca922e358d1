import { createRng } from '@hcr/core';
import { describe, expect, it } from 'vitest';
import { boxBlur, histogram, maxFilter, minFilter, otsu } from '../src/filters.js';
import { resampleRect } from '../src/resample.js';

function randomPlane(w: number, h: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: w * h }, () => Math.floor(rng.next() * 256));
}

/** Brute force: reduce over the centred size x size window, edges repeated. */
function bruteWindow(
  src: Float32Array,
  w: number,
  h: number,
  size: number,
  pick: (a: number, b: number) => number,
) {
  const r = size >> 1;
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let v = src[y * w + x];
      for (let dy = -r; dy <= r; dy++) {
        for (let dx = -r; dx <= r; dx++) {
          const yy = Math.min(h - 1, Math.max(0, y + dy));
          const xx = Math.min(w - 1, Math.max(0, x + dx));
          v = pick(v, src[yy * w + xx]);
        }
      }
      out[y * w + x] = v;
    }
  }
  return out;
}

describe('filters', () => {
  it('max and min filters equal the brute-force window max and min, odd and even sizes, at the edges too', () => {
    for (const [w, h, size] of [
      [17, 9, 3],
      [23, 14, 7],
      [12, 30, 6],
      [5, 5, 11],
    ]) {
      const src = randomPlane(w, h, w * 100 + size);
      expect(maxFilter(src, w, h, size)).toEqual(bruteWindow(src, w, h, size, Math.max));
      expect(minFilter(src, w, h, size)).toEqual(bruteWindow(src, w, h, size, Math.min));
    }
  });

  it('box blur is the window mean', () => {
    const src = randomPlane(15, 11, 7);
    const got = boxBlur(src, 15, 11, 2);
    const sum = bruteWindow(src, 15, 11, 5, (a, b) => a + b);
    // bruteWindow seeds with the centre value once more: subtract it.
    for (let i = 0; i < got.length; i++) expect(got[i]).toBeCloseTo((sum[i] - src[i]) / 25, 3);
  });

  it('Otsu splits a two-level histogram between the levels', () => {
    const values = Float32Array.from({ length: 1000 }, (_, i) => (i % 10 === 0 ? 200 : 30));
    const t = otsu(histogram(values));
    expect(t).toBeGreaterThanOrEqual(30);
    expect(t).toBeLessThan(200);
  });
});

describe('resampleRect', () => {
  it('is the identity at scale 1 and averages pairs when halving', () => {
    const src = randomPlane(20, 8, 3);
    const same = resampleRect(src, 20, 8, { x: 0, y: 0, width: 20, height: 8 }, 20, 8, 'clamp');
    for (let i = 0; i < src.length; i++) expect(same[i]).toBeCloseTo(src[i], 4);
    // Alternating 0/255 columns shrink to their mean (no aliasing into stripes).
    const stripes = Float32Array.from({ length: 20 * 8 }, (_, i) => (i % 2 ? 255 : 0));
    const halved = resampleRect(stripes, 20, 8, { x: 0, y: 0, width: 20, height: 8 }, 10, 4, 'clamp');
    for (let x = 1; x < 9; x++) expect(halved[x]).toBeCloseTo(127.5, 3);
    // A constant plane stays constant at any scale with clamped edges.
    const flat = new Float32Array(20 * 8).fill(77);
    const half = resampleRect(flat, 20, 8, { x: 0, y: 0, width: 20, height: 8 }, 10, 4, 'clamp');
    for (const v of half) expect(v).toBeCloseTo(77, 4);
    // Outside the source reads 0 with zero edges: a rectangle shifted half out is half dark at the edge.
    const shifted = resampleRect(flat, 20, 8, { x: -10, y: 0, width: 20, height: 8 }, 20, 8, 'zero');
    expect(shifted[0]).toBe(0);
    expect(shifted[19]).toBeCloseTo(77, 4);
  });
});
