import { lineAlphabet } from '@hcr/core';
import { initEngine } from '@hcr/engine';
import { beforeAll, describe, expect, it } from 'vitest';
import type { SharedLineSplit } from '../src/protocol.js';
import { Replica } from '../src/replica.js';
import { replicaInit } from './replica-init.js';

beforeAll(async () => {
  await initEngine({ engine: 'wasm', purpose: 'train', log: () => {} });
});

/** `widths.length` lines of 32 rows, pseudo-random pixels, 3-symbol labels. */
function lines(widths: number[]): SharedLineSplit {
  const offsets = [0];
  for (const w of widths) offsets.push(offsets.at(-1)! + 32 * w);
  return {
    count: widths.length,
    height: 32,
    widths: Uint16Array.from(widths),
    pixelOffsets: Float64Array.from(offsets.slice(0, -1)),
    pixels: new Uint8Array(offsets.at(-1)!).map((_, i) => (Math.imul(i, 2654435761) >>> 24) & 0xff),
    labelOffsets: Uint32Array.from(widths.map((_, i) => i * 3).concat(widths.length * 3)),
    labels: Uint8Array.from({ length: widths.length * 3 }, (_, i) => 1 + ((i * 7) % 30)),
  } as unknown as SharedLineSplit;
}

describe('LineTask.evaluate (validation and test reads inside training)', () => {
  it('reads each line as it reads it alone, in the order of the lines, however the widths mix', () => {
    // Widths that fall in several buckets, in no order, so batches regroup them.
    const widths = [180, 24, 300, 64, 150, 40, 260, 90, 33, 120, 210, 70];
    const init = replicaInit({
      task: 'line',
      model: 'reader',
      classes: lineAlphabet().size,
      splits: { val: lines(widths) },
      modelSeed: 3,
    });
    const replica = new Replica(init);
    const together = replica.evaluate('val', 2, widths.length, 64);
    const alone = widths.slice(2).map((_, k) => replica.evaluate('val', 2 + k, 3 + k, 64));
    expect(together.decoded).toEqual(alone.map((r) => r.decoded[0]));
    expect(together.lossSum).toBeCloseTo(
      alone.reduce((s, r) => s + r.lossSum, 0),
      3,
    );
    // An untrained reader still reads the lines differently, so a mix-up of their order would show.
    expect(new Set(together.decoded.map((d) => d.join(','))).size).toBeGreaterThan(3);
  });
});
