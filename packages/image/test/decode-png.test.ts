import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeImage, encodeGreyPng } from '../src/decode/index.js';
import { decodeSmallPng } from '../src/decode/small-png.js';

/** A 60x60 colour photo-like image: a gradient with seeded noise, so the PNG encoder uses every filter type. */
function noisyColour(): Buffer {
  let seed = 7;
  const noise = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return (seed / 2 ** 31 - 0.5) * 40;
  };
  const px = Buffer.alloc(60 * 60 * 3);
  for (let i = 0; i < 60 * 60; i++)
    for (let c = 0; c < 3; c++)
      px[i * 3 + c] = Math.max(0, Math.min(255, 80 + (i % 60) * 2 + c * 20 + noise()));
  return px;
}

/** sharp's RGBA decoding of the same file, the reference. */
async function reference(png: Buffer) {
  const { data, info } = await sharp(png).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, rgba: new Uint8Array(data) };
}

describe('small PNG decoder', () => {
  it('decodes grey, grey+alpha, RGB and RGBA PNGs (all filter types) exactly as sharp does', async () => {
    const rgb = sharp(noisyColour(), { raw: { width: 60, height: 60, channels: 3 } });
    const variants = {
      grey: await rgb.clone().greyscale().toColourspace('b-w').png({ adaptiveFiltering: true }).toBuffer(),
      rgb: await rgb.clone().png({ adaptiveFiltering: true }).toBuffer(),
      rgba: await rgb.clone().ensureAlpha(0.5).png({ adaptiveFiltering: true }).toBuffer(),
      greyAlpha: await rgb.clone().greyscale().ensureAlpha(0.7).toColourspace('b-w').png().toBuffer(),
      unfiltered: await rgb.clone().png({ adaptiveFiltering: false, compressionLevel: 1 }).toBuffer(),
    };
    // Colour types 0, 2, 6, 4 and 2 (PNG byte 25), so every channel layout is covered.
    expect(Object.values(variants).map((png) => png[25])).toEqual([0, 2, 6, 4, 2]);
    for (const [name, png] of Object.entries(variants)) {
      const ours = decodeSmallPng(png);
      expect(ours, name).toBeDefined();
      expect(ours, name).toEqual(await reference(png));
    }
  });

  it('declines what it does not handle, so sharp decides: large, 16-bit, palette, interlaced, truncated', async () => {
    const big = await sharp({ create: { width: 200, height: 200, channels: 3, background: '#fff' } })
      .png()
      .toBuffer();
    expect(decodeSmallPng(big)).toBeUndefined();
    const deep = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#fff' } })
      .toColourspace('rgb16')
      .png()
      .toBuffer();
    expect(decodeSmallPng(deep)).toBeUndefined();
    const palette = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#f00' } })
      .png({ palette: true })
      .toBuffer();
    expect(decodeSmallPng(palette)).toBeUndefined();
    const interlaced = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#0f0' } })
      .png({ progressive: true })
      .toBuffer();
    expect(decodeSmallPng(interlaced)).toBeUndefined();
    const ok = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#00f' } })
      .png()
      .toBuffer();
    expect(decodeSmallPng(ok.subarray(0, ok.length - 20))).toBeUndefined();
  });
});

describe('grey images however stored', () => {
  it('encodeGreyPng writes one channel, and grey as grey, RGB or opaque RGBA decodes to the same values', async () => {
    const px = Uint8Array.from({ length: 784 }, (_, i) => (i * 37) % 256);
    const grey = await encodeGreyPng(px);
    expect(grey[25]).toBe(0); // PNG colour type 0: greyscale
    const raw = sharp(Buffer.from(px), { raw: { width: 28, height: 28, channels: 1 } });
    const rgb = await raw.clone().png().toBuffer();
    const rgba = await raw.clone().ensureAlpha(1).png().toBuffer();
    expect([rgb[25], rgba[25]]).toEqual([2, 6]);
    const expected = Float32Array.from(px, (v) => 0.299 * v + 0.587 * v + 0.114 * v);
    for (const png of [grey, rgb, rgba]) expect((await decodeImage(png)).values).toEqual(expected);
  });
});
