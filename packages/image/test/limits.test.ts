import { HcrError } from '@hcr/core';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import {
  decodeImage,
  decodeImageNow,
  prepareImage,
  prepareLineImage,
  prepareTextLines,
} from '../src/decode/index.js';

/** A 300x80 scan of a few dark strokes on pale paper, as JPEG. */
const scan = () => {
  const grey = Buffer.alloc(300 * 80, 225);
  for (let y = 20; y < 60; y++) for (let x = 40; x < 260; x++) if (x % 15 < 3) grey[y * 300 + x] = 30;
  return sharp(grey, { raw: { width: 300, height: 80, channels: 1 } })
    .jpeg()
    .toBuffer();
};

async function failure(p: Promise<unknown>): Promise<HcrError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(HcrError);
    return e as HcrError;
  }
  throw new Error('expected a rejection');
}

describe('decode limits', () => {
  it('refuses a limit that is no whole number of 1 or more as BAD_OPTIONS naming it, not as a bad file', async () => {
    const bytes = await scan();
    for (const [name, value] of [
      ['workingSize', Number.NaN],
      ['workingSize', 0],
      ['workingSize', -5],
      ['workingSize', 1.5],
      ['maxInputPixels', Number.NaN],
      ['maxInputPixels', -1],
      // 0 would turn sharp's guard against decompression bombs off
      ['maxInputPixels', 0],
    ] as const) {
      const limits = { [name]: value };
      for (const [what, call] of [
        ['prepareLineImage', () => prepareLineImage(bytes, limits)],
        ['decodeImage', () => decodeImage(bytes, limits)],
        ['prepareImage', () => prepareImage(bytes, limits)],
      ] as const) {
        const e = await failure(call());
        expect([e.code, e.message], `${what} ${name} ${value}`).toEqual([
          'BAD_OPTIONS',
          expect.stringContaining(`${name} ${value}`),
        ]);
        expect(e.hint).toMatch(name);
      }
    }
    // a line's default is a line's, not a character's
    expect((await failure(prepareLineImage(bytes, { workingSize: 0 }))).hint).toMatch(/2048/);
  });

  it('takes a limit set to undefined as the default, as one left out', async () => {
    const bytes = await scan();
    const line = await prepareLineImage(bytes);
    const same = await prepareLineImage(bytes, { workingSize: undefined, maxInputPixels: undefined });
    expect(same).toEqual(line);
    expect(await decodeImage(bytes, { workingSize: undefined })).toEqual(await decodeImage(bytes));
    const png = await sharp(Buffer.alloc(28 * 28, 200), { raw: { width: 28, height: 28, channels: 1 } })
      .png()
      .toBuffer();
    expect(decodeImageNow(png, { maxInputPixels: undefined })?.width).toBe(28);
  });
});

describe('errors name the image as sent', () => {
  it('says NO_INK of a small blank image at its own size, not the size it was enlarged to', async () => {
    const blank = await sharp(Buffer.alloc(16 * 16, 200), { raw: { width: 16, height: 16, channels: 1 } })
      .png()
      .toBuffer();
    for (const read of [prepareLineImage, prepareTextLines]) {
      const e = await failure(read(blank));
      expect([e.code, e.message]).toEqual(['NO_INK', expect.stringContaining('16x16 image')]);
    }
  });
});

describe('messages', () => {
  it('names SVG after white space, a truncated JPEG once, small limits in pixels, and a page given as text', async () => {
    const svg = new TextEncoder().encode(
      '\ufeff  \n<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"></svg>',
    );
    expect((await failure(decodeImage(svg))).message).toMatch(/text \(HTML or SVG\?\)/);
    const jpeg = await scan();
    for (const cut of [jpeg.subarray(0, 3), jpeg.subarray(0, 100), jpeg.subarray(0, jpeg.length >> 1)]) {
      const { message } = await failure(decodeImage(cut));
      expect(message.match(/premature end of JPEG image/g)?.length ?? 0).toBeLessThanOrEqual(1);
      expect(message).not.toMatch(/:\)|\n/);
    }
    const big = await failure(decodeImage(jpeg, { maxInputPixels: 100 }));
    expect(big.message).toMatch(/300x80 = 24,000 pixels, over the limit of 100 pixels/);
    const page = await failure(decodeImage(jpeg, { page: '1' as never }));
    expect(page).toMatchObject({ code: 'BAD_PAGE', problem: 'The page is "1", not a number.' });
  });
});
