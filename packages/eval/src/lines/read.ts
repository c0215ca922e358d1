import { type InputNormalisation, READER_CONTEXT_PAD } from '@hcr/core';
import { pixelLookupTable } from '@hcr/data';
import { LINE_HEIGHT, LINE_MIN_WIDTH, readerFrames } from '@hcr/model';
import type { LineRuntime } from './runtimes.js';
import type { LineItem } from './sources.js';

/** Lines per batch (the serving micro-batch size). */
export const DEFAULT_LINE_BATCH = 32;
/** A batch grows while its widest line is at most this much wider than its narrowest (plus 16 px). */
export const MAX_BATCH_PADDING = 0.25;

/**
 * Width buckets: line indices sorted by width (ties by index) and cut into batches of at most `batchSize`
 * whose widths differ by at most `maxPadding` (relative, plus 16 px), so right-padding wastes little.
 * Deterministic: the same widths always give the same batches.
 */
export function widthBatches(
  widths: readonly number[],
  batchSize: number = DEFAULT_LINE_BATCH,
  maxPadding: number = MAX_BATCH_PADDING,
): number[][] {
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new RangeError(`batch size ${batchSize} < 1`);
  const order = widths.map((_, i) => i).sort((a, b) => widths[a]! - widths[b]! || a - b);
  const batches: number[][] = [];
  let batch: number[] = [];
  for (const i of order) {
    const first = batch.length ? widths[batch[0]!]! : 0;
    if (batch.length && (batch.length >= batchSize || widths[i]! > first * (1 + maxPadding) + 16)) {
      batches.push(batch);
      batch = [];
    }
    batch.push(i);
  }
  if (batch.length) batches.push(batch);
  return batches;
}

/**
 * One padded batch as model input: Float32 [n, 32, W, 1], W = the widest line plus READER_CONTEXT_PAD (at least
 * LINE_MIN_WIDTH), each line normalised with the model's inputNormalisation and right-padded with background
 * (pixel 0): every line has at least READER_CONTEXT_PAD columns of background after it, whatever its batch.
 */
export function batchInput(
  lines: readonly LineItem[],
  lut: Float32Array,
): { x: Float32Array; n: number; width: number } {
  const width = Math.max(LINE_MIN_WIDTH, ...lines.map((l) => l.width + READER_CONTEXT_PAD));
  const n = lines.length;
  const x = new Float32Array(n * LINE_HEIGHT * width).fill(lut[0]!);
  lines.forEach((line, b) => {
    for (let r = 0; r < LINE_HEIGHT; r++) {
      const src = r * line.width;
      const dst = (b * LINE_HEIGHT + r) * width;
      for (let c = 0; c < line.width; c++) x[dst + c] = lut[line.pixels[src + c]!]!;
    }
  });
  return { x, n, width };
}

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
  const batches = widthBatches(
    lines.map((l) => l.width),
    batchSize,
  );
  const t0 = performance.now();
  for (const rows of batches) {
    const { x, n, width } = batchInput(
      rows.map((i) => lines[i]!),
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
