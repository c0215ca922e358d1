import { deflateSync } from 'node:zlib';
import { HcrError } from '@hcr/core';
import { cleanPaper, normaliseCharacter } from '@hcr/image';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeImage, encodeGreyPng, prepareImage, preparePixels } from '../src/index.js';
import { pngWithHeader } from './support/png-bomb.js';
import { clean, correlation, type PhotoOptions, photo } from './support/synth.js';

/** Best correlation over +-1 px shifts: centring by centre of mass may round one pixel either way. */
function shapeMatch(a: Uint8Array, b: Uint8Array): number {
  let best = -1;
  for (let dy = -1; dy <= 1; dy++)
    for (let dx = -1; dx <= 1; dx++) {
      const s = new Uint8Array(784);
      for (let y = 0; y < 28; y++)
        for (let x = 0; x < 28; x++) {
          const sx = x - dx;
          const sy = y - dy;
          if (sx >= 0 && sy >= 0 && sx < 28 && sy < 28) s[y * 28 + x] = b[sy * 28 + sx]!;
        }
      best = Math.max(best, correlation(a, s));
    }
  return best;
}

/** What a pipeline without background/threshold/speck handling would give: grey, invert, normalise. */
async function naive(bytes: Buffer): Promise<Uint8Array> {
  const { data, info } = await sharp(bytes)
    .flatten({ background: '#ffffff' })
    .greyscale()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return normaliseCharacter(
    Float32Array.from(data, (v) => 255 - v),
    info.width,
    info.height,
  );
}

const PHOTOS: Record<string, PhotoOptions> = {
  'pencil on grey paper, uneven light, JPEG q50': {
    paper: 170,
    ink: 90,
    pencil: true,
    gradient: 60,
    noise: 10,
    format: 'jpeg',
    quality: 50,
    stroke: 0.04,
  },
  'pen, strong light falloff, blur, specks, JPEG q40': {
    paper: 200,
    ink: 30,
    gradient: 90,
    noise: 8,
    blur: 1.2,
    format: 'jpeg',
    quality: 40,
    stroke: 0.05,
    specks: 12,
  },
  'small 36 px crop, JPEG q60': {
    size: 36,
    fill: 0.8,
    paper: 210,
    ink: 60,
    noise: 6,
    format: 'jpeg',
    quality: 60,
  },
  'chalk on a dark board': { inverted: true, paper: 230, ink: 60, noise: 8, stroke: 0.08 },
  'black strokes on transparency (RGBA PNG)': { cutout: true, ink: 0 },
  'ruled paper, pen, JPEG q60': {
    ruled: 0.1,
    fill: 0.55,
    paper: 215,
    ink: 35,
    noise: 5,
    gradient: 40,
    stroke: 0.06,
    format: 'jpeg',
    quality: 60,
  },
  'WebP, grey paper, gradient': {
    format: 'webp',
    paper: 190,
    ink: 50,
    gradient: 70,
    noise: 12,
    stroke: 0.06,
  },
};

describe('photo preprocessing', () => {
  for (const char of ['7', 'A', '4', 'T']) {
    for (const [name, opts] of Object.entries(PHOTOS)) {
      it(`${char}: ${name} comes out like the clean rendering`, async () => {
        const reference = (await prepareImage(await clean(char))).pixels;
        const bytes = await photo(char, { seed: 3, ...opts });
        const prepared = await prepareImage(bytes);
        expect(prepared.pixels).toHaveLength(784);
        expect(shapeMatch(reference, prepared.pixels)).toBeGreaterThan(0.85);
      });
    }
  }

  it('does much better than grey + invert alone on hard photos (the effect of the pipeline)', async () => {
    const hard = [
      'pencil on grey paper, uneven light, JPEG q50',
      'pen, strong light falloff, blur, specks, JPEG q40',
    ];
    for (const char of ['7', 'A']) {
      const reference = (await prepareImage(await clean(char))).pixels;
      for (const name of hard) {
        const bytes = await photo(char, { seed: 3, ...PHOTOS[name] });
        const ours = shapeMatch(reference, (await prepareImage(bytes)).pixels);
        const plain = shapeMatch(reference, await naive(bytes));
        expect(ours - plain).toBeGreaterThan(0.3);
      }
    }
  });

  it('reports what it did: inversion, specks removed, thin strokes thickened', async () => {
    const pen = await prepareImage(
      await photo('A', { seed: 3, ...PHOTOS['pen, strong light falloff, blur, specks, JPEG q40'] }),
    );
    expect(pen.ink?.inverted).toBe(true);
    expect(pen.ink?.specksRemoved).toBeGreaterThan(0);
    expect(pen.ink?.thickenedBy).toBeGreaterThan(0);
    const board = await prepareImage(await photo('A', { seed: 3, ...PHOTOS['chalk on a dark board'] }));
    expect(board.ink?.inverted).toBe(false);
  });

  it('ends in the canonical normalisation: ink bright, longer side 20 px, centred', async () => {
    const { pixels } = await prepareImage(await photo('7', { seed: 5, paper: 200, ink: 40 }));
    let x0 = 28;
    let x1 = -1;
    let y0 = 28;
    let y1 = -1;
    let max = 0;
    for (let y = 0; y < 28; y++)
      for (let x = 0; x < 28; x++) {
        const v = pixels[y * 28 + x]!;
        max = Math.max(max, v);
        if (v > 0.15 * 255) {
          x0 = Math.min(x0, x);
          x1 = Math.max(x1, x);
          y0 = Math.min(y0, y);
          y1 = Math.max(y1, y);
        }
      }
    expect(max).toBe(255);
    expect(Math.max(x1 - x0 + 1, y1 - y0 + 1)).toBeGreaterThanOrEqual(19);
    expect(Math.max(x1 - x0 + 1, y1 - y0 + 1)).toBeLessThanOrEqual(21);
    expect(pixels[0]).toBe(0);
  });

  it('a blank page is marked noInk (an answer, "no character"), not a guess', async () => {
    const blank = await sharp({ create: { width: 100, height: 80, channels: 3, background: '#d8d8d0' } })
      .jpeg()
      .toBuffer();
    const prepared = await prepareImage(blank);
    expect(prepared.noInk).toBe(true);
    expect(prepared.ink?.blank).toBe(true);
    expect(prepared.pixels.every((v) => v === 0)).toBe(true);
  });

  it('rejects undecodable bytes, other formats and decompression bombs with HcrErrors', async () => {
    await expect(decodeImage(new Uint8Array([1, 2, 3, 4, 5]))).rejects.toMatchObject({
      code: 'IMAGE_UNDECODABLE',
    });
    await expect(decodeImage(new Uint8Array(0))).rejects.toMatchObject({ code: 'IMAGE_UNDECODABLE' });
    const png = await photo('7');
    await expect(decodeImage(png.subarray(0, png.length / 2))).rejects.toBeInstanceOf(HcrError);
    // Formats hcr does not read are named, with what it does read.
    const video = Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from('ftypisom\0\0\0\0isommp41\0\0')]);
    await expect(decodeImage(video)).rejects.toThrow(
      /a video\?\), which hcr does not read: it reads PNG, JPEG, WebP, TIFF, GIF, BMP, AVIF, HEIC or PDF/,
    );
    const bmpHeader = new Uint8Array([0x42, 0x4d, 0x3a, 0, 0, 0, 0, 0, 0, 0, 0x36, 0, 0, 0]);
    await expect(decodeImage(bmpHeader)).rejects.toThrow(/BMP image has no valid header/);
    await expect(decodeImage(new TextEncoder().encode('%PDF-1.7\n'))).rejects.toThrow(
      /The PDF cannot be read/,
    );
    await expect(decodeImage(new Uint8Array([1, 2, 3, 4, 5]))).rejects.toThrow(/no image signature/);
    // A PNG whose header says 20000 x 20000 (400 megapixels) in a few hundred bytes: refused before decoding.
    const bomb = pngWithHeader(20000, 20000, deflateSync(Buffer.alloc(64 * 1024)));
    expect(bomb.length).toBeLessThan(2000);
    await expect(decodeImage(bomb)).rejects.toMatchObject({ code: 'IMAGE_TOO_LARGE' });
  });

  it('reads scans as TIFF (also 1-bit fax) and GIF like the same picture in PNG', async () => {
    const png = await photo('7');
    const fromPng = await decodeImage(png);
    const tiff = await sharp(png).tiff({ compression: 'lzw' }).toBuffer();
    const gif = await sharp(png).gif().toBuffer();
    for (const [bytes, format] of [
      [tiff, 'tiff'],
      [gif, 'gif'],
    ] as const) {
      const img = await decodeImage(bytes);
      expect(img.format).toBe(format);
      expect([img.width, img.height]).toEqual([fromPng.width, fromPng.height]);
      // GIF has a 256-colour palette; the picture is the same.
      expect(correlation(img.values, fromPng.values)).toBeGreaterThan(0.99);
    }
    // A document scanner's 1-bit CCITT G4 page: black ink on white after thresholding.
    const fax = await sharp(png)
      .threshold(128)
      .toColourspace('b-w')
      .tiff({ compression: 'ccittfax4', bitdepth: 1 })
      .toBuffer();
    const page = await decodeImage(fax);
    expect(page.format).toBe('tiff');
    expect(new Set(page.values).size).toBeLessThanOrEqual(256);
    expect(correlation(page.values, fromPng.values)).toBeGreaterThan(0.8);
  });

  it('remembers the size an image arrived at, upright, when it shrinks it to the working size', async () => {
    const wide = await sharp({ create: { width: 3000, height: 200, channels: 3, background: '#fff' } })
      .png()
      .toBuffer();
    const a = await decodeImage(wide, { workingSize: 192 });
    expect([a.width, a.height, a.originalWidth, a.originalHeight]).toEqual([192, 13, 3000, 200]);
    // A phone photo stored sideways (EXIF orientation 6): decoded upright, its size named upright too.
    const sideways = await sharp({ create: { width: 400, height: 100, channels: 3, background: '#fff' } })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const b = await decodeImage(sideways, { workingSize: 192 });
    expect([b.width, b.height, b.originalWidth, b.originalHeight]).toEqual([48, 192, 100, 400]);
  });
});

describe('28x28 pixel arrays', () => {
  it('detects dark-on-light arrays and inverts them', () => {
    const bright = new Float32Array(784);
    for (let y = 6; y < 22; y++) bright[y * 28 + 14] = 255; // a vertical bar
    const dark = bright.map((v) => 255 - v);
    expect(preparePixels(dark).pixels).toEqual(preparePixels(bright).pixels);
  });

  it('accepts any non-negative scale (0..1 floats as well as 0..255)', () => {
    const a = new Float32Array(784);
    for (let x = 6; x < 22; x++) a[14 * 28 + x] = 1;
    expect(preparePixels(a).pixels).toEqual(preparePixels(a.map((v) => v * 255)).pixels);
  });

  it('rejects wrong lengths, NaN, Infinity and negatives, naming the pixel', () => {
    expect(() => preparePixels(new Array(783).fill(0))).toThrow(/Expected 784 pixels/);
    const nan = new Array(784).fill(0);
    nan[17] = Number.NaN;
    expect(() => preparePixels(nan)).toThrow(/Pixel 17 is NaN/);
    const neg = new Array(784).fill(0);
    neg[3] = -1;
    expect(() => preparePixels(neg)).toThrow(/Pixel 3/);
    const tinyNegative = new Float64Array(784);
    tinyNegative[9] = -1e-50; // -0 once copied to float32: still refused as sent
    expect(() => preparePixels(tinyNegative)).toThrow(/Pixel 9 is -1e-50/);
    const inf = new Array(784).fill(0);
    inf[5] = Number.POSITIVE_INFINITY;
    expect(() => preparePixels(inf)).toThrow(HcrError);
  });
});

describe('clean 28x28 renderings sent as images', () => {
  it('are taken as the model input, exactly like the same pixels as an array, on black or white paper', async () => {
    const canonical = (await prepareImage(await clean('7'))).pixels; // what MNIST and `prepare` look like
    for (const px of [canonical, canonical.map((v) => 255 - v)]) {
      const asImage = await prepareImage(await encodeGreyPng(px));
      expect(asImage.pixels).toEqual(preparePixels(px).pixels);
      expect(asImage.ink).toBeUndefined(); // the photo pipeline did not run
      expect(asImage.source).toMatchObject({ kind: 'image', format: 'png', width: 28, height: 28 });
    }
    // A canonical input comes back unchanged (the photo pipeline would blur and re-threshold it).
    expect(Array.from((await prepareImage(await encodeGreyPng(canonical))).pixels)).toEqual(
      Array.from(canonical),
    );
  });

  it('leave 28x28 photos (paper not one exact level) to the photo pipeline', async () => {
    const small = await photo('7', { size: 28, noise: 4, gradient: 30, seed: 3 });
    const prepared = await prepareImage(small);
    expect(prepared.ink).toBeDefined();
    expect(prepared.ink!.inverted).toBe(true);
  });

  it('need 90% of the outer ring at one exact extreme', () => {
    const ringIndex: number[] = [];
    for (let y = 0; y < 28; y++)
      for (let x = 0; x < 28; x++) if (y === 0 || y === 27 || x === 0 || x === 27) ringIndex.push(y * 28 + x);
    expect(ringIndex).toHaveLength(108);
    const image = (offRing: number, paper: number) => {
      const px = new Uint8Array(784).fill(128); // the inside does not matter
      ringIndex.forEach((i, k) => {
        px[i] = k < offRing ? 100 : paper;
      });
      return px;
    };
    expect(cleanPaper(image(10, 0))).toBe('black'); // 98 of 108 = 90.7%
    expect(cleanPaper(image(11, 0))).toBeUndefined(); // 97 of 108 = 89.8%
    expect(cleanPaper(image(10, 255))).toBe('white');
    expect(cleanPaper(image(0, 254))).toBeUndefined(); // near white is paper in a photo, not a rendering
  });
});
