import { readFile } from 'node:fs/promises';
import { encode } from 'bmp-ts';
import sharp from 'sharp';
import { describe, expect, it, vi } from 'vitest';
import { decodeImage, prepareLineImage } from '../src/decode/index.js';

/** A 300x60 scan-like picture: a pale gradient page with dark strokes, as RGB. */
function scan(): { rgb: Buffer; width: number; height: number } {
  const width = 300;
  const height = 60;
  const rgb = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      // Three upright strokes and a bar: enough ink for preprocessLine to find a line.
      const ink = (x % 70 < 6 && y > 12 && y < 48) || (y > 28 && y < 33 && x > 20 && x < 260);
      const paper = 230 - Math.round(x / 20);
      const o = 3 * (y * width + x);
      rgb[o] = ink ? 30 : paper;
      rgb[o + 1] = ink ? 35 : paper - 4;
      rgb[o + 2] = ink ? 60 : paper - 10;
    }
  return { rgb, width, height };
}

/** bmp-ts encodes from ABGR bytes. */
function bmp(rgb: Buffer, width: number, height: number, bitPP: 1 | 24 | 32): Buffer {
  const abgr = Buffer.alloc(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    abgr[4 * i + 1] = rgb[3 * i + 2]!;
    abgr[4 * i + 2] = rgb[3 * i + 1]!;
    abgr[4 * i + 3] = rgb[3 * i]!;
  }
  return encode({ data: abgr, width, height, bitPP }).data;
}

/**
 * A palette BMP written by hand (BITMAPINFOHEADER, rows bottom-up and 4-byte aligned): 1-bit black and white
 * (ink where the red channel is under 128), or 8-bit with a 256-grey palette (the red channel's value).
 * `compression` writes that header field alone (a test of the refusal of run-length coded files).
 */
function paletteBmp(rgb: Buffer, width: number, height: number, bits: 1 | 8, compression = 0): Buffer {
  const colours = bits === 1 ? 2 : 256;
  const rowBytes = Math.ceil((width * bits) / 32) * 4;
  const offset = 14 + 40 + 4 * colours;
  const out = Buffer.alloc(offset + rowBytes * height);
  out.write('BM', 0, 'latin1');
  out.writeUInt32LE(out.length, 2);
  out.writeUInt32LE(offset, 10);
  out.writeUInt32LE(40, 14);
  out.writeInt32LE(width, 18);
  out.writeInt32LE(height, 22);
  out.writeUInt16LE(1, 26);
  out.writeUInt16LE(bits, 28);
  out.writeUInt32LE(compression, 30);
  out.writeUInt32LE(rowBytes * height, 34);
  out.writeUInt32LE(colours, 46);
  // Palette entries B, G, R, 0: black to white.
  for (let i = 0; i < colours; i++) {
    const v = bits === 1 ? 255 * i : i;
    out.set([v, v, v, 0], 54 + 4 * i);
  }
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const red = rgb[3 * (y * width + x)]!;
      const row = offset + (height - 1 - y) * rowBytes;
      if (bits === 8) out[row + x] = red;
      else if (red >= 128) out[row + (x >> 3)]! |= 0x80 >> (x & 7);
    }
  return out;
}

/** An ISO media file's first box: `ftyp` with a major brand and compatible brands, then some bytes. */
function ftyp(major: string, ...compatible: string[]): Uint8Array {
  const size = 16 + 4 * compatible.length;
  const head = Buffer.alloc(size);
  head.writeUInt32BE(size, 0);
  head.write(`ftyp${major}`, 4, 'latin1');
  for (const [i, brand] of compatible.entries()) head.write(brand, 16 + 4 * i, 'latin1');
  return Buffer.concat([head, Buffer.alloc(64)]);
}

describe('BMP, AVIF and HEIC', () => {
  it('reads a 24-bit BMP (bottom-up or top-down) and a 32-bit one to the same pixels as the PNG', async () => {
    const { rgb, width, height } = scan();
    const png = await sharp(rgb, { raw: { width, height, channels: 3 } })
      .png()
      .toBuffer();
    const fromPng = await decodeImage(png, { workingSize: 2048 });
    const bottomUp = bmp(rgb, width, height, 24);
    // The same rows stored top-down: a negative height, the rows in reading order.
    const rowBytes = Math.ceil((width * 3) / 4) * 4;
    const offset = bottomUp.readUInt32LE(10);
    const topDown = Buffer.from(bottomUp);
    topDown.writeInt32LE(-height, 22);
    for (let y = 0; y < height; y++)
      bottomUp.copy(
        topDown,
        offset + y * rowBytes,
        offset + (height - 1 - y) * rowBytes,
        offset + (height - y) * rowBytes,
      );
    for (const [name, bytes] of [
      ['bottom-up', bottomUp],
      ['top-down', topDown],
      ['32-bit', bmp(rgb, width, height, 32)],
    ] as const) {
      const img = await decodeImage(bytes, { workingSize: 2048 });
      expect(img.format, name).toBe('bmp');
      // Opaque grey: a BMP's fourth byte is padding, never a cut-out's alpha.
      expect(img.kind, name).toBe('grey');
      expect([img.width, img.height, img.originalWidth, img.originalHeight], name).toEqual([
        width,
        height,
        width,
        height,
      ]);
      expect(img.values, name).toEqual(fromPng.values);
    }
    // Through the line path too: shrunk to a working size like any other format, and prepared alike.
    const [a, b] = await Promise.all([prepareLineImage(bottomUp), prepareLineImage(png)]);
    expect(a.source.format).toBe('bmp');
    expect([a.width, a.box]).toEqual([b.width, b.box]);
    expect(Buffer.from(a.pixels).equals(Buffer.from(b.pixels))).toBe(true);
    const small = await decodeImage(bottomUp, { workingSize: 100 });
    expect([small.width, small.height, small.originalWidth]).toEqual([100, 20, width]);
  });

  it('reads 1-bit (fax-like) and 8-bit grey palette BMPs to their greys', async () => {
    const { rgb, width, height } = scan();
    const black = await decodeImage(paletteBmp(rgb, width, height, 1), { workingSize: 2048 });
    expect([black.format, black.kind]).toEqual(['bmp', 'grey']);
    // Every pixel black where the scan has ink, white elsewhere.
    expect(black.values).toEqual(
      Float32Array.from({ length: width * height }, (_, i) => (rgb[3 * i]! < 128 ? 0 : 255)),
    );
    // 8-bit: the same greys as a grey PNG of the red channel.
    const red = Buffer.from(Array.from({ length: width * height }, (_, i) => rgb[3 * i]!));
    const greyPng = await sharp(red, { raw: { width, height, channels: 1 } })
      .png()
      .toBuffer();
    const grey = await decodeImage(paletteBmp(rgb, width, height, 8), { workingSize: 2048 });
    expect(grey.values).toEqual((await decodeImage(greyPng, { workingSize: 2048 })).values);
  });

  it('refuses a truncated BMP, one with no header and one too large before decoding, naming the problem', async () => {
    const { rgb, width, height } = scan();
    const whole = bmp(rgb, width, height, 24);
    await expect(decodeImage(whole.subarray(0, 500))).rejects.toMatchObject({
      code: 'IMAGE_UNDECODABLE',
      message: expect.stringMatching(/BMP image cannot be decoded.*truncated/),
    });
    await expect(decodeImage(whole.subarray(0, 20))).rejects.toThrow(/BMP image has no valid header/);
    // Run-length coded palettes are refused by name (bmp-ts misreads them), not read wrong.
    await expect(decodeImage(paletteBmp(rgb, width, height, 8, 1))).rejects.toThrow(
      /run-length coded \(RLE8\), which hcr does not read.*uncompressed BMP, or as PNG/,
    );
    // A header claiming 60000 x 60000 pixels in a few hundred bytes: refused from the header.
    const bomb = Buffer.from(whole.subarray(0, 400));
    bomb.writeInt32LE(60000, 18);
    bomb.writeInt32LE(60000, 22);
    await expect(decodeImage(bomb)).rejects.toMatchObject({
      code: 'IMAGE_TOO_LARGE',
      message: expect.stringMatching(/60000x60000 = 3600\.0 megapixels/),
    });
  });

  it('reads AVIF, and names other ISO media files in its refusal', async () => {
    const { rgb, width, height } = scan();
    const avif = await sharp(rgb, { raw: { width, height, channels: 3 } })
      .avif({ quality: 90 })
      .toBuffer();
    const img = await decodeImage(avif, { workingSize: 2048 });
    expect([img.format, img.width, img.height]).toEqual(['avif', width, height]);
    // Lossy, so about the same greys: ink dark, paper light.
    expect(img.values[30 * width + 2]).toBeLessThan(80);
    expect(img.values[5 * width + 40]).toBeGreaterThan(190);
    await expect(decodeImage(ftyp('isom', 'isom', 'mp41'))).rejects.toThrow(
      /an ISO media file of brand 'isom' \(a video\?\), which hcr does not read: it reads PNG, JPEG, WebP, TIFF, GIF, BMP, AVIF, HEIC or PDF/,
    );
  });

  // support/scan.heic is scan() saved by libheif's encoder (`heif-enc -q 90`, x265), as an iPhone saves photos.
  const heic = () => readFile(new URL('./support/scan.heic', import.meta.url));

  it('reads HEIC (phone photos) to the greys of the same picture in PNG', async () => {
    const { rgb, width, height } = scan();
    const png = await decodeImage(
      await sharp(rgb, { raw: { width, height, channels: 3 } })
        .png()
        .toBuffer(),
      {
        workingSize: 2048,
      },
    );
    const img = await decodeImage(await heic(), { workingSize: 2048 });
    expect([img.format, img.width, img.height, img.kind]).toEqual(['heic', width, height, 'grey']);
    // Lossy HEVC at quality 90: every grey within a few levels of the PNG's.
    let worst = 0;
    for (let i = 0; i < png.values.length; i++)
      worst = Math.max(worst, Math.abs(img.values[i]! - png.values[i]!));
    expect(worst).toBeLessThan(8);
    // Shrunk to the working size like any photo, its original size kept.
    const small = await decodeImage(await heic(), { workingSize: 100 });
    expect([small.width, small.height, small.originalWidth, small.originalHeight]).toEqual([
      100, 20, 300, 60,
    ]);
    const line = await prepareLineImage(await heic());
    expect(line.width).toBeGreaterThan(32);
  });

  it('refuses a HEIC too large before decoding it, and a truncated one, naming the problem', async () => {
    await expect(decodeImage(await heic(), { maxInputPixels: 10_000 })).rejects.toMatchObject({
      code: 'IMAGE_TOO_LARGE',
      message: expect.stringMatching(/300x60 = 18,000 pixels, over the limit of 10,000 pixels/),
    });
    const whole = await heic();
    // libheif also reports corrupt files on console.log: those lines stay out of a server's log, others do not.
    const log = console.log;
    const printed = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    for (const cut of [ftyp('heic', 'mif1', 'heic'), whole.subarray(0, whole.length >> 1)])
      await expect(decodeImage(cut)).rejects.toMatchObject({
        code: 'IMAGE_UNDECODABLE',
        message: expect.stringMatching(/^The HEIC image cannot be (read|decoded) \(.+\): is it truncated\?/),
      });
    expect(printed).not.toHaveBeenCalled();
    // The filter is gone once nothing is being decoded.
    expect(console.log).toBe(printed);
    printed.mockRestore();
    expect(console.log).toBe(log);
  });
});
