import { sourceId } from '@hcr/core';
import type { SplitData } from '@hcr/data';
import { describe, expect, it } from 'vitest';
import { share } from '../src/train.js';

/** A training split laid out like the shards: 900 MNIST digits first, then 100 letters. */
function split(): SplitData {
  const count = 1000;
  const mnist = sourceId('mnist');
  const letters = sourceId('emnist-letters-repack');
  return {
    split: 'train',
    count,
    imageShape: [28, 28, 1],
    // Each image's first two pixels spell its index, so a kept sample can be traced back.
    pixels: new Uint8Array(count * 784).map((_, p) =>
      p % 784 === 0 ? Math.floor(p / 784) & 255 : p % 784 === 1 ? Math.floor(p / 784) >> 8 : 0,
    ),
    labels: Uint8Array.from({ length: count }, (_, i) => (i < 900 ? i % 10 : 10 + (i % 26))),
    sources: Uint8Array.from({ length: count }, (_, i) => (i < 900 ? mnist : letters)),
  };
}

describe('--limit-train N', () => {
  it('trains on a seeded sample across the whole split, not its first N (all MNIST digits)', () => {
    const data = split();
    const a = share(data, 200, 1);
    expect(a.count).toBe(200);
    const letters = a.sources.filter((s) => s !== sourceId('mnist')).length;
    expect(letters).toBeGreaterThan(10); // ~20 of 200 (10%), as in the split; the first 200 have none
    // Each kept sample keeps its image, label and source together, in split order.
    const index = (k: number) => a.pixels[k * 784]! + 256 * a.pixels[k * 784 + 1]!;
    for (let k = 0; k < a.count; k++) {
      expect(a.labels[k]).toBe(data.labels[index(k)]);
      expect(a.sources[k]).toBe(data.sources[index(k)]);
      if (k) expect(index(k)).toBeGreaterThan(index(k - 1));
    }
    // The same seed picks the same samples; another seed others.
    expect(share(data, 200, 1).labels).toEqual(a.labels);
    expect(share(data, 200, 2).pixels).not.toEqual(a.pixels);
  });

  it('keeps the whole split, as it is, without a limit or with one at least its size', () => {
    const data = split();
    for (const limit of [0, 1000, 5000]) {
      const all = share(data, limit, 1);
      expect(all.count).toBe(1000);
      expect(all.labels).toEqual(data.labels);
      expect(Buffer.from(all.pixels).equals(Buffer.from(data.pixels))).toBe(true);
    }
  });
});
