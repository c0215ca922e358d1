import type { InputNormalisation } from '@hcr/core';
import { pixelLookupTable } from '@hcr/data/reader';
import { groupByWidth, packLineBatch } from '@hcr/image';
import { LINE_HEIGHT, readerFrames } from '@hcr/model';
import type { LineRuntime } from './runtimes.js';
import type { LineItem } from './sources.js';

/** Lines per batch at most (the serving micro-batch size). */
export const DEFAULT_LINE_BATCH = 32;

export interface ReadOutput {
  /** Per line: its own frames' probabilities, flat [members, readerFrames(width), symbols]. */
  probs: Float32Array[];
  seconds: number;
  batches: number;
}

/**
 * Every line through one runtime, in width buckets: each line's CTC probabilities over its own frames
 * (`readerFrames(width)`, the first frames of its padded row), one block per reader of an ensemble. Order
 * follows `lines`.
 */
export async function readLines(
  runtime: LineRuntime,
  lines: readonly LineItem[],
  {
    normalisation,
    symbols,
    batchSize = DEFAULT_LINE_BATCH,
  }: { normalisation: InputNormalisation; symbols: number; batchSize?: number },
): Promise<ReadOutput> {
  const lut = pixelLookupTable(normalisation);
  const M = runtime.members ?? 1;
  const probs: Float32Array[] = new Array(lines.length);
  const batches = groupByWidth(
    lines.map((l) => l.width),
    batchSize,
  );
  const t0 = performance.now();
  for (const { members: rows, width } of batches) {
    const n = rows.length;
    const x = packLineBatch(
      rows.map((i) => lines[i]!),
      width,
      LINE_HEIGHT,
      lut,
    );
    const out = await runtime.predict(x, n, width);
    const frames = readerFrames(width);
    if (out.length !== n * M * frames * symbols)
      throw new RangeError(
        `${runtime.description} returned ${out.length} values for ${n} lines x ${M} readers x ${frames} frames x ${symbols} symbols (width ${width})`,
      );
    rows.forEach((i, b) => {
      const own = readerFrames(lines[i]!.width) * symbols;
      const line = new Float32Array(M * own);
      for (let m = 0; m < M; m++) {
        const start = (b * M + m) * frames * symbols;
        line.set(out.subarray(start, start + own), m * own);
      }
      probs[i] = line;
    });
  }
  return { probs, seconds: (performance.now() - t0) / 1000, batches: batches.length };
}
