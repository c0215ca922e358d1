import { HcrError } from '@hcr/core';
import { describe, expect, it } from 'vitest';
import { encodeGreyPng, prepareImage } from '../src/decode/index.js';
import { describePreprocessing, extractInk, normaliseCharacter, transposeImages } from '../src/index.js';

/** The HcrError code `f` throws (or rejects with). */
async function code(f: () => unknown): Promise<string> {
  try {
    await f();
  } catch (e) {
    expect(e).toBeInstanceOf(HcrError);
    expect((e as HcrError).hint).toBeTruthy();
    return (e as HcrError).code;
  }
  return 'no error';
}

/** A 28x28 bar, ink bright on 0. */
const bar = () => {
  const px = new Float32Array(28 * 28);
  for (let y = 6; y < 22; y++) for (let x = 12; x < 16; x++) px[y * 28 + x] = 255;
  return px;
};

describe('raw pixels and options are checked where they come in', () => {
  it('extractInk refuses pixels that are not width x height, and sizes that are no whole numbers', async () => {
    expect(await code(() => extractInk(bar().subarray(10), 28, 28))).toBe('BAD_IMAGE_DATA');
    expect(await code(() => extractInk(new Float32Array(2000), 28, 28))).toBe('BAD_IMAGE_DATA');
    expect(await code(() => extractInk(bar(), Number.NaN, 28))).toBe('BAD_IMAGE_SIZE');
    expect(await code(() => extractInk(bar(), -28, -28))).toBe('BAD_IMAGE_SIZE');
    expect(extractInk(bar(), 28, 28).report.blank).toBe(false);
  });

  it('refuses ink options out of range (they made an all-zero character not called blank)', async () => {
    for (const opts of [
      { targetStroke: Number.NaN },
      { speckFraction: 5 },
      { minContrast: -1 },
      { edgeBlur: -1 },
    ]) {
      expect(await code(() => extractInk(bar(), 28, 28, opts)), JSON.stringify(opts)).toBe('BAD_OPTIONS');
    }
    const png = await encodeGreyPng(Uint8Array.from(bar()));
    await expect(prepareImage(png, { speckFraction: 5 })).rejects.toMatchObject({
      code: 'BAD_OPTIONS',
      message: expect.stringMatching(/speckFraction 5/),
    });
    // an option set to undefined is its default
    const plain = await prepareImage(png);
    expect(await prepareImage(png, { targetStroke: undefined })).toEqual(plain);
  });

  it('normaliseCharacter and transposeImages refuse data of the wrong length as BAD_IMAGE_DATA', async () => {
    expect(await code(() => normaliseCharacter(bar().subarray(1), 28, 28))).toBe('BAD_IMAGE_DATA');
    expect(await code(() => normaliseCharacter(bar(), 28, 28, { size: Number.NaN }))).toBe('BAD_OPTIONS');
    expect(await code(() => normaliseCharacter(bar(), 28, 28, { boxSize: 0 }))).toBe('BAD_OPTIONS');
    expect(await code(() => normaliseCharacter(bar(), 28, 28, undefined, new Uint8Array(10)))).toBe(
      'BAD_OPTIONS',
    );
    expect(await code(() => transposeImages(new Uint8Array(784), 2, 28))).toBe('BAD_IMAGE_DATA');
    expect(await code(() => transposeImages(new Uint8Array(784), Number.NaN, 28))).toBe('BAD_IMAGE_DATA');
    expect(transposeImages(new Uint8Array(784 * 2), 2, 28).length).toBe(784 * 2);
  });

  it('encodeGreyPng needs the size of anything but a 28x28 character', async () => {
    expect(await code(() => encodeGreyPng(new Uint8Array(104 * 32)))).toBe('BAD_IMAGE_DATA');
    expect(await code(() => encodeGreyPng(new Uint8Array(100), 10, 20))).toBe('BAD_IMAGE_DATA');
    expect((await encodeGreyPng(new Uint8Array(104 * 32), 104, 32)).length).toBeGreaterThan(0);
  });

  it('describePreprocessing names what its metadata lacks', async () => {
    expect(await code(() => describePreprocessing({} as never))).toBe('BAD_OPTIONS');
    const meta = { inputNormalisation: { mean: 0.1307, std: 0.3081 } };
    expect(describePreprocessing(meta).task).toBe('character');
  });
});
