import { createRng, LABEL_SPACE_36 } from '@hcr/core';
import { describe, expect, it } from 'vitest';
import { generateNegatives, NEGATIVE_KINDS } from '../src/index.js';

/** Blocky fake glyphs (a filled square per image) are enough to build words from. */
function glyphs(count = 72) {
  const rng = createRng(3);
  const pixels = new Uint8Array(count * 784);
  for (let i = 0; i < count; i++)
    for (let y = 6; y < 22; y++)
      for (let x = 9; x < 19; x++) pixels[i * 784 + y * 28 + x] = 200 + rng.int(55);
  const labels = Uint8Array.from({ length: count }, (_, i) => i % 36);
  return { pixels, labels, count, classNames: LABEL_SPACE_36.classes };
}

describe('negatives', () => {
  it('are the same for the same seed, different for another, every kind present', () => {
    const a = generateNegatives(1, 3, glyphs());
    const b = generateNegatives(1, 3, glyphs());
    const c = generateNegatives(2, 3, glyphs());
    expect(a.map((n) => n.kind)).toEqual(NEGATIVE_KINDS.flatMap((k) => [k, k, k]));
    expect(a.map((n) => Buffer.from(n.grey).toString('base64'))).toEqual(
      b.map((n) => Buffer.from(n.grey).toString('base64')),
    );
    expect(a.map((n) => n.description)).not.toEqual(c.map((n) => n.description));
    for (const n of a) {
      expect(n.grey).toHaveLength(n.width * n.height);
      expect(n.width).toBeGreaterThan(20);
    }
    // words and multi-character crops are wider than high; printed text has dark ink on light paper
    for (const n of a.filter((x) => x.kind === 'word' || x.kind === 'multi-character'))
      expect(n.width).toBeGreaterThan(n.height);
    const printed = a.find((x) => x.kind === 'printed-text')!;
    expect(Math.min(...printed.grey)).toBeLessThan(90);
  });
});
