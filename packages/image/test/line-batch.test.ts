import { READER_CONTEXT_PAD } from '@hcr/core';
import { describe, expect, it } from 'vitest';
import { bucketWidth, groupByWidth, packLineBatch } from '../src/index.js';

describe('line batches (the one batching rule of eval and serving)', () => {
  it('pads every line by the reader context pad (48 px), rounded up to 32 px', () => {
    expect(READER_CONTEXT_PAD).toBe(48);
    expect(bucketWidth(16)).toBe(64);
    expect(bucketWidth(17)).toBe(96);
    expect(bucketWidth(48)).toBe(96);
    expect(bucketWidth(49)).toBe(128);
    expect(bucketWidth(300)).toBe(352);
  });

  it('runs hold one bucket width each (a line is padded the same whatever its batch) and are capped', () => {
    const groups = groupByWidth([300, 30, 310, 1200, 40]);
    expect(groups.map((g) => g.members)).toEqual([[1, 4], [0], [2], [3]]);
    expect(groups.map((g) => g.width)).toEqual([96, 352, 384, 1248]);
    expect(groupByWidth([100, 100, 100], 2).map((g) => g.members.length)).toEqual([2, 1]);
    const widths = [100, 20, 400, 110, 30, 120, 105];
    const runs = groupByWidth(widths, 3);
    expect(runs.flatMap((g) => g.members).sort()).toEqual([0, 1, 2, 3, 4, 5, 6]);
    for (const g of runs) {
      expect(g.members.length).toBeLessThanOrEqual(3);
      for (const i of g.members) expect(bucketWidth(widths[i]!)).toBe(g.width);
    }
    expect(groupByWidth(widths, 3)).toEqual(runs);
    expect(() => groupByWidth(widths, 0)).toThrow(/maxRun/);
  });

  it('packs lines through the lookup table, right-padded with background', () => {
    const lut = Float32Array.from({ length: 256 }, (_, v) => v / 255);
    const h = 4;
    const a = { width: 2, pixels: new Uint8Array(2 * h).fill(255) };
    const b = { width: 3, pixels: new Uint8Array(3 * h).fill(51) };
    const width = bucketWidth(3);
    const x = packLineBatch([a, b], width, h, lut);
    expect(x.length).toBe(2 * h * width);
    expect([x[0], x[1], x[2], x[width]]).toEqual([1, 1, 0, 1]);
    const row = h * width; // line b starts here
    expect([x[row], x[row + 2], x[row + 3]]).toEqual([lut[51], lut[51], 0]);
    // a line that would not keep its context pad, or whose pixels are not `h` rows, is refused
    expect(() => packLineBatch([a], 2 + READER_CONTEXT_PAD - 1, h, lut)).toThrow(
      expect.objectContaining({ code: 'BAD_OPTIONS' }),
    );
    expect(() => packLineBatch([{ width: 2, pixels: new Uint8Array(3) }], width, h, lut)).toThrow(
      expect.objectContaining({ code: 'BAD_IMAGE_DATA' }),
    );
    // a short lookup table gave NaN inputs
    expect(() => packLineBatch([a], width, h, new Float32Array(10))).toThrow(
      expect.objectContaining({ code: 'BAD_OPTIONS', message: expect.stringMatching(/256/) }),
    );
  });
});
