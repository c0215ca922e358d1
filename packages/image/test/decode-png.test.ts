import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeImage, decodeImageNow, encodeGreyPng } from '../src/decode/index.js';
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

/** A PNG chunk, its CRC right. */
function chunk(type: string, data: Uint8Array): Buffer {
  const b = Buffer.alloc(12 + data.length);
  b.writeUInt32BE(data.length, 0);
  b.write(type, 4, 'latin1');
  b.set(data, 8);
  b.writeUInt32BE(crc32(b.subarray(4, 8 + data.length)) >>> 0, 8 + data.length);
  return b;
}

/** An 8-bit grey PNG written by hand, with `extra` chunks after its header: dark strokes on white. */
function greyPng(width: number, height: number, extra: Buffer[] = []): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth; colour type 0 (grey), no interlace
  const rows: Buffer[] = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(width + 1, 255);
    row[0] = 0; // no filter
    for (let x = 0; x < width; x++) if (x % 12 < 3 && y > height / 4 && y < (3 * height) / 4) row[x + 1] = 0;
    rows.push(row);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    ...extra,
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

/** EXIF holding only an orientation, as a PNG's eXIf chunk carries it (big-endian TIFF). */
function exifOrientation(orientation: number): Buffer {
  const b = Buffer.alloc(26);
  b.write('MM', 0, 'latin1');
  b.writeUInt16BE(42, 2);
  b.writeUInt32BE(8, 4);
  b.writeUInt16BE(1, 8); // one entry
  b.writeUInt16BE(0x0112, 10); // Orientation
  b.writeUInt16BE(3, 12); // SHORT
  b.writeUInt32BE(1, 14);
  b.writeUInt16BE(orientation, 18);
  return b;
}

describe('small PNGs decode as sharp decodes them', () => {
  const both = async (png: Buffer, limits = {}) => {
    const fast = decodeImageNow(png, limits);
    const img = await decodeImage(png, limits);
    // sharp's own decoding, as decodeImage makes it of a PNG too large for the JS decoder
    return { fast, img };
  };

  it('turns a PNG by its EXIF orientation, as sharp does', async () => {
    for (const orientation of [6, 8]) {
      const png = greyPng(100, 40, [chunk('eXIf', exifOrientation(orientation))]);
      expect((await sharp(png).metadata()).orientation).toBe(orientation);
      const { img } = await both(png, { workingSize: 2048 });
      expect([img.width, img.height, img.originalWidth, img.originalHeight]).toEqual([40, 100, 40, 100]);
    }
  });

  it('reads a grey PNG with a transparent grey (tRNS) as a cut-out, as sharp does', async () => {
    // white transparent: the strokes are the opaque part
    const png = greyPng(100, 40, [chunk('tRNS', new Uint8Array([0, 255]))]);
    const { img } = await both(png);
    expect(img.kind).toBe('alpha');
    expect(Math.max(...img.values)).toBe(255);
  });

  it('shrinks a small PNG larger than the working size, as sharp does', async () => {
    const png = greyPng(120, 100);
    const { fast, img } = await both(png, { workingSize: 50 });
    expect(fast).toBeUndefined();
    expect([img.width, img.height, img.originalWidth, img.originalHeight]).toEqual([50, 42, 120, 100]);
  });

  it('refuses a small PNG whose pixel data or header is damaged (its CRC wrong), as sharp does', async () => {
    const png = greyPng(100, 40);
    const idat = png.indexOf('IDAT', 0, 'latin1');
    const badData = Buffer.from(png);
    badData[idat + 4 + badData.readUInt32BE(idat - 4)]! ^= 0xff; // the IDAT's CRC
    const badHeader = Buffer.from(png);
    badHeader[29]! ^= 0xff; // the IHDR's CRC
    for (const bad of [badData, badHeader]) {
      expect(decodeImageNow(bad)).toBeUndefined();
      await expect(decodeImage(bad)).rejects.toMatchObject({ code: 'IMAGE_UNDECODABLE' });
    }
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
