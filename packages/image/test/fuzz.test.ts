import { createRng, HcrError } from '@hcr/core';
import { describe, expect, it } from 'vitest';
import { preprocessLine } from '../src/index.js';

describe('preprocessLine on arbitrary input', () => {
  it('returns a valid line or an HcrError, never anything else', () => {
    const rng = createRng(12);
    const codes = new Set<string>();
    let lines = 0;
    for (let k = 0; k < 150; k++) {
      const width = 1 + rng.int(300);
      const height = 1 + rng.int(90);
      const kind = rng.int(4);
      const data = new Uint8Array(width * height);
      for (let i = 0; i < data.length; i++) {
        // noise, blocks, stripes, a few dots
        const x = i % width;
        const y = (i - x) / width;
        data[i] =
          kind === 0
            ? rng.int(256)
            : kind === 1
              ? (x >> 3) % 2 && (y >> 2) % 2
                ? 20
                : 230
              : kind === 2
                ? x % 7 < 2
                  ? 40
                  : 210
                : rng.next() < 0.01
                  ? 0
                  : 255;
      }
      try {
        const line = preprocessLine({ width, height, data });
        lines++;
        expect(line.height).toBe(32);
        expect(line.width).toBeGreaterThanOrEqual(16);
        expect(line.pixels.length).toBe(line.width * 32);
        expect(line.crop.x + line.crop.width).toBeLessThanOrEqual(width);
        expect(line.crop.y + line.crop.height).toBeLessThanOrEqual(height);
      } catch (e) {
        expect(e).toBeInstanceOf(HcrError);
        codes.add((e as HcrError).code);
      }
    }
    expect(lines).toBeGreaterThan(30);
    expect([...codes].every((c) => ['NO_INK', 'IMAGE_TOO_SMALL', 'LINE_TOO_WIDE'].includes(c))).toBe(true);
  });

  it('refuses non-finite and 0..1 float pixels with the fix', () => {
    const data = new Float32Array(40 * 20).fill(200);
    data[5] = Number.NaN;
    expect(() => preprocessLine({ width: 40, height: 20, data })).toThrow(/finite/);
    const unit = new Float32Array(40 * 20).fill(0.9);
    unit[3] = 0.1;
    try {
      preprocessLine({ width: 40, height: 20, data: unit });
      expect.unreachable();
    } catch (e) {
      expect((e as HcrError).code).toBe('BAD_IMAGE_DATA');
      expect((e as HcrError).hint).toMatch(/255/);
    }
    // Whole levels 0 and 1 are a (near-black) 0..255 image: no writing there, not a range mistake.
    const dark = new Float32Array(40 * 20).fill(1);
    dark[3] = 0;
    expect(() => preprocessLine({ width: 40, height: 20, data: dark })).toThrow(/No writing/);
  });

  it('says what is wrong with a 0/1 mask, 16-bit or signed levels, and a polarity or height it cannot use', () => {
    const strokes = (on: number, off: number) => {
      const data = new Float32Array(120 * 40).fill(off);
      for (let y = 10; y < 30; y++) for (let x = 20; x < 100; x++) if (x % 12 < 3) data[y * 120 + x] = on;
      return { width: 120, height: 40, data };
    };
    // a binary mask (ink 1 on 0) is a near-black 0..255 image: NO_INK, with the fix in its hint
    expect(() => preprocessLine(strokes(1, 0))).toThrow(
      expect.objectContaining({ code: 'NO_INK', hint: expect.stringMatching(/0\/1 mask.*255/) }),
    );
    expect(preprocessLine(strokes(255, 0)).width).toBeGreaterThan(16);
    // 16-bit levels and a signed range were read as they came
    for (const [on, off] of [
      [40 * 257, 225 * 257],
      [40 - 128, 225 - 128],
    ])
      expect(() => preprocessLine(strokes(on!, off!))).toThrow(
        expect.objectContaining({ code: 'BAD_IMAGE_DATA', hint: expect.stringMatching(/0\.\.255/) }),
      );
    expect(() => preprocessLine(strokes(40, 225), { polarity: 'bogus' as never })).toThrow(
      expect.objectContaining({ code: 'BAD_OPTIONS', message: expect.stringMatching(/polarity "bogus"/) }),
    );
    // the hint names the least height the margin allows (8 to 10 are refused with the default margin of 3)
    expect(() => preprocessLine(strokes(40, 225), { height: 9 })).toThrow(
      expect.objectContaining({ code: 'BAD_OPTIONS', hint: expect.stringMatching(/height of at least 11/) }),
    );
    expect(preprocessLine(strokes(40, 225), { height: 11 }).height).toBe(11);
  });
});
