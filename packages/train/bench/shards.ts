/**
 * What the training-shard benches share: their numeric flags, a replica's init message, and the reader lines
 * they time (a typical shard: real lines near the median width when artifacts/data/lines exists, else random
 * lines of 164 px; the cost depends on the shapes, not the pixels).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_INPUT_NORMALISATION, lineAlphabet } from '@hcr/core';
import { openLineDataset } from '@hcr/data';
import { DEFAULT_AUGMENT } from '../src/augment.js';
import type { InitMessage, SharedLineSplit } from '../src/protocol.js';

const ROOT = resolve(fileURLToPath(new URL('../../../', import.meta.url)));

/** `--flag n` from the bench's command line, else `dflt`. */
export function numberFlag(flag: string, dflt: number): number {
  const args = process.argv.slice(2);
  const i = args.indexOf(flag);
  return i >= 0 ? Number(args[i + 1]) : dflt;
}

/** A replica's init message without its task, model and data: seed 1, AdamW, no augmentation. */
export function benchInit(dropout: number): Omit<InitMessage, 'task' | 'model' | 'classes' | 'splits'> {
  return {
    type: 'init',
    workerIndex: 0,
    modelSeed: 1,
    dropout,
    engine: 'wasm',
    normalisation: DEFAULT_INPUT_NORMALISATION,
    augment: { ...DEFAULT_AUGMENT, enabled: false },
    dataSeed: 1,
    labelSmoothing: 0,
    logitBias: [],
    weightDecay: 0.01,
    beta1: 0.9,
    beta2: 0.999,
    epsilon: 1e-7,
  };
}

export interface ReaderShardLines {
  split: SharedLineSplit;
  classes: number;
  /** Where the lines come from (the shard directory, or 'random lines 164 px wide'). */
  source: string;
  /** The `count` lines of the shard: those whose widths are closest to the median. */
  samples: Uint32Array;
  medianWidth: number;
}

/** `count` training lines of a typical width, and the split they index. */
export async function readerShardLines(count: number): Promise<ReaderShardLines> {
  const { split, classes, source } = await lineSplit(count);
  const idx = Array.from({ length: Math.min(split.count, 4000) }, (_, i) => i);
  const medianWidth = idx.map((i) => split.widths[i]!).sort((a, b) => a - b)[idx.length >> 1]!;
  idx.sort(
    (a, b) => Math.abs(split.widths[a]! - medianWidth) - Math.abs(split.widths[b]! - medianWidth) || a - b,
  );
  return { split, classes, source, samples: Uint32Array.from(idx.slice(0, count)), medianWidth };
}

async function lineSplit(
  count: number,
): Promise<{ split: SharedLineSplit; classes: number; source: string }> {
  const dir = resolve(ROOT, 'artifacts/data/lines');
  if (existsSync(resolve(dir, 'manifest.json'))) {
    const ds = await openLineDataset(dir);
    return { split: await ds.loadSplit('train'), classes: ds.alphabet.size, source: dir };
  }
  const width = 164;
  const pixels = new Uint8Array(count * 32 * width).map((_, i) => (i * 2654435761) >>> 24);
  return {
    split: {
      count,
      height: 32,
      widths: new Uint16Array(count).fill(width),
      pixelOffsets: Float64Array.from({ length: count }, (_, i) => i * 32 * width),
      pixels,
      labelOffsets: Uint32Array.from({ length: count + 1 }, (_, i) => i * 8),
      labels: new Uint8Array(count * 8).map((_, i) => 1 + (i % 30)),
    } as unknown as SharedLineSplit,
    classes: lineAlphabet().size,
    source: 'random lines 164 px wide',
  };
}
