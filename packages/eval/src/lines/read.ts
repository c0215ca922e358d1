import type { InputNormalisation } from '@hcr/core';
import { pixelLookupTable } from '@hcr/data';
import { groupByWidth, packLineBatch } from '@hcr/image';
import { LINE_HEIGHT, readerFrames } from '@hcr/model';
import type { LineRuntime } from './runtimes.js';
import type { LineItem } from './sources.js';

/** Lines per batch at most (the serving micro-batch size). */
export const DEFAULT_LINE_BATCH = 32;

export interface ReadOutput {
  /** Per line: its own frames' probabilities, flat [readerFrames(width), symbols]. */
  probs: Float32Array[];
  seconds: number;
  batches: number;
}

/**
 * Every line through one runtime, in width buckets: each line's CTC probabilities over its own frames
 * (`readerFrames(width)`, the first frames of its padded row). Order follows `lines`.
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
    if (out.length !== n * frames * symbols)
      throw new RangeError(
        `${runtime.description} returned ${out.length} values for ${n} lines x ${frames} frames x ${symbols} symbols (width ${width})`,
      );
    rows.forEach((i, b) => {
      const own = readerFrames(lines[i]!.width);
      const start = b * frames * symbols;
      probs[i] = out.slice(start, start + own * symbols);
    });
  }
  return { probs, seconds: (performance.now() - t0) / 1000, batches: batches.length };
}
