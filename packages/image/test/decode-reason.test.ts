import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeImage, prepareLineImage } from '../src/decode/index.js';

/** A 720x200 line of writing as a PNG (past the small-PNG path: sharp decodes it). */
async function linePng(): Promise<Buffer> {
  const svg = '<svg width="720" height="200"><text x="10" y="140" font-size="120">HELLO</text></svg>';
  return sharp({ create: { width: 720, height: 200, channels: 3, background: '#fff' } })
    .composite([{ input: Buffer.from(svg), top: 0, left: 0 }])
    .png()
    .toBuffer();
}

describe("the decoder's reason", () => {
  it('a truncated PNG read among others at once names libpng\'s reason, never "Unknown error"', async () => {
    // libvips keeps one error buffer for the process: a pipeline ending beside a failing one emptied it, and sharp
    // said "Unknown error" (a `hcr data lines import` worker pool prepares several images at once)
    const png = new Uint8Array(await linePng());
    const cut = png.subarray(0, png.length >> 1);
    const failed: string[] = [];
    // a few rounds of three whole files to each cut one: the message went missing in about one failure of four
    for (let round = 0; round < 4; round++) {
      const results = await Promise.all(
        Array.from({ length: 32 }, (_, i) =>
          prepareLineImage(i % 4 ? png : cut).then(
            () => 'read',
            (e: Error) => e.message,
          ),
        ),
      );
      failed.push(...results.filter((r) => r !== 'read'));
    }
    expect(failed).toHaveLength(32);
    for (const message of failed) {
      expect(message).not.toContain('Unknown error');
      expect(message).toMatch(
        /^The image cannot be decoded \((vipspng: libpng read error|the PNG ends before its IEND chunk: it is truncated)\)\. Pass a complete PNG/,
      );
    }
  });

  it('alone, a truncated PNG names libpng', async () => {
    const png = await linePng();
    await expect(decodeImage(png.subarray(0, png.length >> 1))).rejects.toThrow(
      'The image cannot be decoded (vipspng: libpng read error).',
    );
  });
});
