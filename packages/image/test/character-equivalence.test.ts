import { createRng } from '@hcr/core';
import { describe, expect, it } from 'vitest';
import { decodeImage, devSet } from '../scripts/dev-images.js';
import { type CharacterNormalisationOptions, normaliseCharacter } from '../src/index.js';
import { normaliseCharacterReference } from './support/character-reference.js';

/**
 * The fast normaliseCharacter must give the training shards' bytes: it is compared with the plain
 * implementation it replaced (kept verbatim in support/character-reference.ts) on many varied inputs.
 */

/** @hcr/core's seeded stream, started at state `seed`. */
function rng(seed: number): () => number {
  return createRng(0, seed >>> 0).next;
}

/** Soft strokes and blobs (ink bright on 0), with optional noise: a character, a speck, or nothing. */
function blobImage(r: () => number, width: number, height: number): Float32Array {
  const img = new Float32Array(width * height);
  const strokes = Math.floor(r() * 5);
  for (let s = 0; s < strokes; s++) {
    const [ax, ay, bx, by] = [r() * width, r() * height, r() * width, r() * height];
    const radius = 0.3 + r() * Math.max(1, Math.min(width, height) / 6);
    const level = 40 + r() * 215;
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) {
        // distance to the segment a-b
        const [dx, dy] = [bx - ax, by - ay];
        const len2 = dx * dx + dy * dy || 1;
        const t = Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / len2));
        const d = Math.hypot(x - ax - t * dx, y - ay - t * dy);
        const v = level * Math.max(0, Math.min(1, radius + 0.5 - d));
        if (v > img[y * width + x]!) img[y * width + x] = v;
      }
  }
  const noise = r() < 0.4 ? r() * 30 : 0;
  if (noise > 0) for (let i = 0; i < img.length; i++) img[i] = img[i]! + r() * noise;
  return img;
}

function randomOptions(r: () => number): CharacterNormalisationOptions {
  const pick = r();
  if (pick < 0.6) return {};
  if (pick < 0.7) return { ...{} };
  const size = 8 + Math.floor(r() * 57);
  return {
    size,
    boxSize: 1 + Math.floor(r() * size),
    inkThreshold: r() < 0.2 ? 0 : r() < 0.1 ? 1 : r(),
  };
}

function expectSame(pixels: ArrayLike<number>, w: number, h: number, opts?: CharacterNormalisationOptions) {
  const expected = normaliseCharacterReference(pixels, w, h, opts);
  const got = opts === undefined ? normaliseCharacter(pixels, w, h) : normaliseCharacter(pixels, w, h, opts);
  expect(got).toEqual(expected);
  // ... and into a caller's buffer that holds old values
  const out = new Uint8Array(expected.length).fill(7);
  expect(normaliseCharacter(pixels, w, h, opts ?? {}, out)).toBe(out);
  expect(out).toEqual(expected);
}

describe('normaliseCharacter equals its plain definition byte for byte', () => {
  it('on 2,000 random 28x28 characters (float, bytes and plain arrays)', () => {
    const r = rng(15);
    for (let n = 0; n < 2000; n++) {
      const img = blobImage(r, 28, 28);
      const kind = n % 3;
      const pixels =
        kind === 0 ? img : kind === 1 ? Uint8Array.from(img, (v) => Math.min(255, v)) : Array.from(img);
      expectSame(pixels, 28, 28, n % 5 === 0 ? randomOptions(r) : undefined);
    }
  });

  it('on 1,000 random sizes from 1x1 to 200x200 (enlarging and shrinking), with random options', () => {
    const r = rng(1515);
    for (let n = 0; n < 1000; n++) {
      const big = r() < 0.2;
      const w = 1 + Math.floor(r() * (big ? 200 : 40));
      const h = 1 + Math.floor(r() * (big ? 200 : 40));
      expectSame(blobImage(r, w, h), w, h, n % 2 ? randomOptions(r) : undefined);
    }
  });

  it('on blank, single-pixel, negative, NaN and infinite inputs', () => {
    const r = rng(7);
    expectSame(new Float32Array(784), 28, 28);
    for (let n = 0; n < 300; n++) {
      const w = 1 + Math.floor(r() * 30);
      const h = 1 + Math.floor(r() * 30);
      const img = new Float64Array(w * h);
      for (let k = 0; k < 1 + r() * 4; k++) img[Math.floor(r() * w * h)] = r() < 0.5 ? 1 + r() * 254 : 255;
      if (n % 4 === 1) for (let i = 0; i < img.length; i++) img[i] = img[i]! - 40 * r();
      if (n % 4 === 2) img[Math.floor(r() * w * h)] = Number.NaN;
      if (n % 8 === 3) img[Math.floor(r() * w * h)] = Number.POSITIVE_INFINITY;
      expectSame(img, w, h, n % 3 === 0 ? randomOptions(r) : undefined);
    }
    expect(() => normaliseCharacter(new Float32Array(10), 3, 3)).toThrow(
      expect.objectContaining({ code: 'BAD_IMAGE_DATA' }),
    );
  });

  const names = devSet('handwritten-names-dev');
  it.skipIf(!names)(
    'on real scans (whole handwritten lines and 400 crops of them), ink made bright',
    async () => {
      const r = rng(99);
      for (const item of names!.items.slice(0, 20)) {
        const im = await decodeImage(item.file);
        const grey = new Float32Array(im.width * im.height);
        for (let i = 0; i < grey.length; i++) grey[i] = 255 - im.data[i * 4 + 1]!;
        expectSame(grey, im.width, im.height);
        for (let c = 0; c < 20; c++) {
          const cw = 4 + Math.floor(r() * Math.min(im.width - 4, 120));
          const ch = 4 + Math.floor(r() * Math.min(im.height - 4, 120));
          const x0 = Math.floor(r() * (im.width - cw));
          const y0 = Math.floor(r() * (im.height - ch));
          const crop = new Float32Array(cw * ch);
          for (let y = 0; y < ch; y++)
            for (let x = 0; x < cw; x++) crop[y * cw + x] = grey[(y0 + y) * im.width + x0 + x]!;
          expectSame(crop, cw, ch, c % 4 === 0 ? randomOptions(r) : undefined);
        }
      }
    },
  );
});
