/**
 * The photo pipeline's helpers take shortcuts for speed (clamping only at the edges, a direct
 * 4-neighbour dilation for radius 1, shared histograms, block quantiles by sorting, scratch buffers). Each
 * must give exactly, bit for bit, what the plain definition gives: these are the plain definitions.
 */
import { createRng } from '@hcr/core';
import { describe, expect, it } from 'vitest';
import { otsuThreshold, percentile } from '../src/byte-histogram.js';
import { boxBlur3, gaussianBlur } from '../src/character-blur.js';
import { extractInk } from '../src/character-ink.js';
import { dilateMask, distanceToMask, labelComponents, strokeWidth } from '../src/character-masks.js';
import { isDarkOnLight, subtractBackground } from '../src/character-paper.js';

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

function plainBoxBlur3(src: Float32Array, w: number, h: number): Float32Array {
  const out = new Float32Array(src.length);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let dy = -1; dy <= 1; dy++)
        for (let dx = -1; dx <= 1; dx++) s += src[clamp(y + dy, 0, h - 1) * w + clamp(x + dx, 0, w - 1)]!;
      out[y * w + x] = s / 9;
    }
  return out;
}

function plainGaussianBlur(src: Float32Array, w: number, h: number, sigma: number): Float32Array {
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
      for (let i = -r; i <= r; i++) acc += src[y * w + clamp(x + i, 0, w - 1)]! * k[i + r]!;
      tmp[y * w + x] = acc;
    }
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      let acc = 0;
      for (let i = -r; i <= r; i++) acc += tmp[clamp(y + i, 0, h - 1) * w + x]! * k[i + r]!;
      out[y * w + x] = acc;
    }
  return out;
}

/** Histogram quantile as first written: a fresh 256-bin histogram per call. */
function plainPercentile(values: Float32Array, q: number): number {
  const hist = new Uint32Array(256);
  for (const v of values) hist[v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v)]!++;
  let acc = 0;
  for (let v = 0; v < 256; v++) {
    acc += hist[v]!;
    if (acc >= q * values.length) return v;
  }
  return 255;
}

/** 8-connected labels by breadth-first search from each unlabelled pixel in scan order. */
function plainLabels(mask: Uint8Array, w: number, h: number): { labels: Int32Array; count: number } {
  const labels = new Int32Array(mask.length);
  let count = 0;
  for (let s = 0; s < mask.length; s++) {
    if (!mask[s] || labels[s]) continue;
    labels[s] = ++count;
    const queue = [s];
    for (let head = 0; head < queue.length; head++) {
      const i = queue[head]!;
      const x = i % w;
      const y = (i - x) / w;
      for (let dy = -1; dy <= 1; dy++)
        for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx;
          const yy = y + dy;
          if (xx < 0 || yy < 0 || xx >= w || yy >= h) continue;
          const j = yy * w + xx;
          if (mask[j] && !labels[j]) {
            labels[j] = count;
            queue.push(j);
          }
        }
    }
  }
  return { labels, count };
}

function randomImage(rng: ReturnType<typeof createRng>, w: number, h: number): Float32Array {
  const v = new Float32Array(w * h);
  const kind = rng.int(4);
  const paper = rng.next() * 255;
  const ink = rng.next() * 255;
  const cx = rng.next() * w;
  const cy = rng.next() * h;
  const r = 1 + (rng.next() * Math.max(w, h)) / 3;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const ring = Math.abs(Math.hypot(x - cx, y - cy) - r) < 1.5;
      const base = ring ? ink : paper;
      v[y * w + x] =
        kind === 0
          ? rng.next() * 255
          : kind === 1
            ? Math.round(base)
            : kind === 2
              ? clamp(base - (60 * x) / w + rng.normal() * 8, 0, 255)
              : ring
                ? 255
                : 0;
    }
  return v;
}

const bits = (a: Float32Array | Uint8Array | Int32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe('photo pipeline helpers equal their plain definitions bit for bit', () => {
  const rng = createRng(11);
  const cases = Array.from({ length: 300 }, (_, i) => {
    const w = 1 + rng.int(i < 200 ? 40 : 150);
    const h = 1 + rng.int(i < 200 ? 40 : 150);
    return { w, h, v: randomImage(rng, w, h) };
  });

  it('3x3 mean and Gaussian blurs (edges clamped)', () => {
    for (const { w, h, v } of cases) {
      expect(bits(boxBlur3(v, w, h)).equals(bits(plainBoxBlur3(v, w, h))), `${w}x${h}`).toBe(true);
      // with a histogram counted while writing: the same blur, and the blur's byte histogram
      const hist = new Uint32Array(256).fill(3);
      const blurred = boxBlur3(v, w, h, undefined, hist);
      expect(bits(blurred).equals(bits(plainBoxBlur3(v, w, h)))).toBe(true);
      const counted = new Uint32Array(256);
      for (const x of blurred) counted[x <= 0 ? 0 : x >= 255 ? 255 : Math.round(x)]!++;
      expect(Array.from(hist)).toEqual(Array.from(counted));
      const sigma = 0.1 + rng.next() * 2.5;
      const fast = gaussianBlur(v, w, h, sigma);
      expect(bits(fast).equals(bits(plainGaussianBlur(v, w, h, sigma))), `${w}x${h} ${sigma}`).toBe(true);
    }
  });

  it('a Gaussian blur told where the ink lies computes only what it can reach, the same values', () => {
    for (const { w, h } of cases) {
      // ink inside a random box, +0 elsewhere (as extractInk's ink)
      const box = { x0: rng.int(w), x1: 0, y0: rng.int(h), y1: 0 };
      box.x1 = box.x0 + rng.int(w - box.x0);
      box.y1 = box.y0 + rng.int(h - box.y0);
      const v = new Float32Array(w * h);
      for (let y = box.y0; y <= box.y1; y++)
        for (let x = box.x0; x <= box.x1; x++) v[y * w + x] = rng.next() < 0.3 ? 0 : rng.next() * 255;
      const sigma = 0.1 + rng.next() * 2.5;
      const out = new Float32Array(w * h).fill(9); // stale values must not survive
      const grown = { x0: box.x0 - 2, x1: box.x1 + 1, y0: box.y0 - 1, y1: box.y1 + 3 }; // a looser box too
      for (const b of [box, grown]) {
        const fast = gaussianBlur(v, w, h, sigma, out, b);
        expect(bits(fast).equals(bits(plainGaussianBlur(v, w, h, sigma))), `${w}x${h} ${sigma}`).toBe(true);
      }
    }
  });

  it("polarity: the paper level selected from the border ring is the sorted ring's middle value", () => {
    for (const { w, h, v } of cases) {
      const ring = Math.max(1, Math.round(Math.min(w, h) * 0.03));
      const border: number[] = [];
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++)
          if (y < ring || y >= h - ring || x < ring || x >= w - ring) border.push(v[y * w + x]!);
      const paper = Float32Array.from(border).sort()[border.length >> 1]!;
      const plain = paper - plainPercentile(v, 0.005) > plainPercentile(v, 0.995) - paper;
      expect(isDarkOnLight(v, w, h), `${w}x${h}`).toBe(plain);
    }
  });

  it('percentiles and Otsu from shared histograms', () => {
    for (const { v } of cases) {
      for (const q of [0.005, 0.5, 0.995, 0.999]) expect(percentile(v, q)).toBe(plainPercentile(v, q));
      expect(otsuThreshold(v)).toBeGreaterThan(0);
    }
  });

  it('dilation by radius 1 is the chamfer distance <= 1; labels, stroke width as defined', () => {
    for (const { w, h, v } of cases) {
      const t = otsuThreshold(v);
      const mask = Uint8Array.from(v, (x) => (x >= t ? 1 : 0));
      const d = distanceToMask(mask, w, h);
      for (const radius of [1, 1.25, 2]) {
        const plain = Uint8Array.from(d, (x) => (x <= radius ? 1 : 0));
        expect(bits(dilateMask(mask, w, h, radius)).equals(bits(plain)), `${w}x${h} r=${radius}`).toBe(true);
      }
      const ours = labelComponents(mask, w, h);
      const plain = plainLabels(mask, w, h);
      expect(ours.count).toBe(plain.count);
      expect(bits(ours.labels).equals(bits(plain.labels))).toBe(true);
      let area = 0;
      for (const m of mask) area += m;
      const sw = strokeWidth(mask, w, h);
      expect(area === 0 ? sw.size === 0 : sw.width > 0).toBe(true);
    }
  });

  it('background subtraction in place equals into a new array; extractInk is repeatable', () => {
    for (const { w, h, v } of cases.slice(0, 100)) {
      const fresh = subtractBackground(v, w, h);
      const copy = v.slice();
      const hist = new Uint32Array(256).fill(7);
      expect(bits(subtractBackground(copy, w, h, copy, hist)).equals(bits(fresh))).toBe(true);
      // the histogram made while writing = the result's byte histogram counted afterwards
      const counted = new Uint32Array(256);
      for (const x of fresh) counted[x <= 0 ? 0 : x >= 255 ? 255 : Math.round(x)]!++;
      expect(Array.from(hist)).toEqual(Array.from(counted));
      // scratch buffers shared between calls leave no trace: the same input gives the same result
      const a = extractInk(v, w, h);
      const [w2, h2] = [1 + rng.int(60), 1 + rng.int(60)];
      extractInk(randomImage(rng, w2, h2), w2, h2);
      expect(extractInk(v, w, h)).toEqual(a);
    }
  });
});

describe('ink helpers', () => {
  it('Otsu splits a bimodal histogram between the modes', () => {
    const v = new Float32Array(1000);
    for (let i = 0; i < 1000; i++) v[i] = i < 800 ? 20 + (i % 10) : 200 + (i % 10);
    const t = otsuThreshold(v);
    expect(t).toBeGreaterThan(29);
    expect(t).toBeLessThan(200);
  });

  it('removes a linear light gradient so the threshold does not cut the dark side away', () => {
    const w = 100;
    const h = 100;
    const v = new Float32Array(w * h);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        const paper = 240 - 140 * (x / w); // bright left, dark right
        const ink = (x > 20 && x < 24) || (x > 76 && x < 80) ? 1 : 0; // a bar on each side
        v[y * w + x] = y > 20 && y < 80 && ink ? paper - 60 : paper;
      }
    const { ink, report } = extractInk(v, w, h);
    expect(report.inverted).toBe(true);
    expect(ink[50 * w + 22]).toBeGreaterThan(128); // left bar
    expect(ink[50 * w + 78]).toBeGreaterThan(128); // right bar, on the dark side
    expect(ink[50 * w + 50]).toBe(0); // paper between them
    expect(ink[50 * w + 95]).toBe(0); // darkest paper is still paper
  });
});
