import { encode } from 'bmp-ts';
import { describe, expect, it } from 'vitest';
import { decodeImage } from '../src/decode/index.js';

/** A 24-bit BMP of `width` x `height` grey pixels (bmp-ts's encoder, as the decode-formats tests make them). */
function bmp24(width = 40, height = 20): Buffer {
  return encode({ data: Buffer.alloc(width * height * 4, 200), width, height, bitPP: 24 }).data;
}

describe('BMP header fields', () => {
  it('0 bits per pixel is named, not a RangeError from bmp-ts taken for truncation', async () => {
    const bad = Buffer.from(bmp24());
    bad.writeUInt16LE(0, 28);
    const e = await decodeImage(bad).catch((x) => x);
    expect(e).toMatchObject({ code: 'IMAGE_UNDECODABLE' });
    expect(e.message).toContain(
      'The BMP image cannot be decoded: its header gives 0 bits per pixel; a BMP has 1, 4, 8, 16, 24 or 32',
    );
    expect(e.message).not.toMatch(/offset|out of range|truncated/);
    bad.writeUInt16LE(7, 28);
    await expect(decodeImage(bad)).rejects.toThrow(/gives 7 bits per pixel/);
  });

  it('a file too short for its pixels says so, with the sizes', async () => {
    const whole = bmp24(40, 20); // rows of 120 bytes, from byte 54
    await expect(decodeImage(whole.subarray(0, 1000))).rejects.toThrow(
      /cannot be decoded: it is truncated: 40x20 pixels at 24 bits need bytes 54 to 2454, the file has 1000\./,
    );
  });

  it('an OS/2 header, a JPEG inside and a palette past the end are named', async () => {
    const os2 = Buffer.from(bmp24());
    os2.writeUInt32LE(64, 14);
    await expect(decodeImage(os2)).rejects.toThrow(
      /its 64-byte header is an OS\/2 one, which hcr does not read/,
    );
    const jpeg = Buffer.from(bmp24());
    jpeg.writeUInt32LE(4, 30);
    await expect(decodeImage(jpeg)).rejects.toThrow(
      /its compression is JPEG, which hcr does not read in a BMP/,
    );
    const colours = Buffer.from(bmp24());
    colours.writeUInt32LE(1_000_000, 46);
    await expect(decodeImage(colours)).rejects.toThrow(/lists 1000000 palette colours, more than the file/);
  });

  it('a whole BMP still reads', async () => {
    const img = await decodeImage(bmp24(), { workingSize: 2048 });
    expect([img.format, img.width, img.height]).toEqual(['bmp', 40, 20]);
  });
});
