import { describe, expect, it } from 'vitest';
import { resolveTrainConfig } from '../src/config.js';
import { lineEpochOrder } from '../src/train-lines.js';

// 1,000 lines of widths 16..2015 in a scrambled order; batches of 10, windows of 4 batches.
const N = 1000;
const widths = Uint16Array.from({ length: N }, (_, i) => 16 + ((i * 379) % N) * 2);
const batches = (order: Uint32Array) =>
  Array.from({ length: N / 10 }, (_, b) => Array.from(order.subarray(b * 10, b * 10 + 10)));
const meanWidth = (b: number[]) => b.reduce((s, i) => s + widths[i]!, 0) / b.length;

describe('line epoch order', () => {
  it('is a seeded permutation whose batches hold lines of similar width', () => {
    const order = lineEpochOrder(widths, N, 10, 1, 0, { window: 4 });
    expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: N }, (_, i) => i));
    expect(lineEpochOrder(widths, N, 10, 1, 0, { window: 4 })).toEqual(order);
    expect(lineEpochOrder(widths, N, 10, 2, 0, { window: 4 })).not.toEqual(order);
    // within a window of 40 lines sorted by width, a batch spans at most a quarter of the window's range
    for (const b of batches(order)) {
      const w = b.map((i) => widths[i]!);
      expect(Math.max(...w) - Math.min(...w)).toBeLessThan(1000);
    }
    // shuffled: batch widths do not climb steadily through the epoch
    const means = batches(order).map(meanWidth);
    expect(means.some((m, k) => k > 0 && m < means[k - 1]!)).toBe(true);
  });

  it('with the curriculum, the first epoch runs from narrow to wide and later epochs are shuffled', () => {
    const first = batches(lineEpochOrder(widths, N, 10, 1, 0, { window: 4, curriculum: true })).map(
      meanWidth,
    );
    expect(first).toEqual([...first].sort((a, b) => a - b));
    const second = batches(lineEpochOrder(widths, N, 10, 1, 1, { window: 4, curriculum: true })).map(
      meanWidth,
    );
    expect(second).not.toEqual([...second].sort((a, b) => a - b));
    expect(lineEpochOrder(widths, N, 10, 1, 1, { window: 4, curriculum: true })).toEqual(
      lineEpochOrder(widths, N, 10, 1, 1, { window: 4 }),
    );
  });

  it('is on for the reader and off for character models', () => {
    expect(resolveTrainConfig({ model: 'reader' }).curriculum).toBe(true);
    expect(resolveTrainConfig({ model: 'hcrnet' }).curriculum).toBe(false);
    expect(() => resolveTrainConfig({ model: 'reader', curriculum: 'yes' as never })).toThrow(/'curriculum'/);
  });
});
