import { READER_CONTEXT_PAD } from '@hcr/core';

/**
 * Batches of prepared lines for the reader, one rule for eval and serving. Lines of one run are
 * right-padded with background to a common width, so a run holds lines of similar widths. Each line gets
 * at least READER_CONTEXT_PAD of background on its right (the reader's receptive field, 46 px to the
 * right of a frame's centre): its own frames never see the padding's edge, so a line reads the same alone
 * or batched with wider ones.
 */
export const WIDTH_STEP = 32;
/** A run may pad its narrowest line by at most this factor of its own padded width. */
export const MAX_PAD_RATIO = 1.25;

/** The padded width of a line `width` pixels wide: plus READER_CONTEXT_PAD, rounded up to WIDTH_STEP. */
export function bucketWidth(width: number): number {
  return Math.ceil((width + READER_CONTEXT_PAD) / WIDTH_STEP) * WIDTH_STEP;
}

export interface WidthGroup {
  /** Indices into the list given to `groupByWidth`. */
  members: number[];
  /** Width every member is padded to. */
  width: number;
}

/**
 * Groups lines into runs: sorted by bucket (ties by index), a run grows while its widest bucket stays
 * within MAX_PAD_RATIO of its narrowest and it holds at most `maxRun` lines. Deterministic: the same
 * widths always give the same runs.
 */
export function groupByWidth(widths: readonly number[], maxRun = Number.POSITIVE_INFINITY): WidthGroup[] {
  if (!(maxRun >= 1)) throw new RangeError(`groupByWidth: maxRun ${maxRun} < 1`);
  const order = widths.map((w, i) => ({ i, b: bucketWidth(w) })).sort((a, b) => a.b - b.b || a.i - b.i);
  const groups: WidthGroup[] = [];
  let cur: WidthGroup | undefined;
  let narrowest = 0;
  for (const { i, b } of order) {
    if (!cur || b > narrowest * MAX_PAD_RATIO || cur.members.length >= maxRun) {
      cur = { members: [], width: b };
      narrowest = b;
      groups.push(cur);
    }
    cur.members.push(i);
    cur.width = b;
  }
  return groups;
}

/** A prepared line: `height` rows of `width` pixels, ink bright (0 background, 255 ink). */
export interface LinePixels {
  width: number;
  pixels: Uint8Array;
}

/**
 * One run as the reader's input, Float32 [n, height, width, 1]: each line's pixels through `lut` (the
 * model's input normalisation, e.g. `pixelLookupTable` of @hcr/core), right-padded with background
 * (pixel 0) to `width`, which must leave every line its READER_CONTEXT_PAD (`groupByWidth` does).
 */
export function packLineBatch(
  lines: readonly LinePixels[],
  width: number,
  height: number,
  lut: Float32Array,
): Float32Array {
  const x = new Float32Array(lines.length * height * width).fill(lut[0]);
  lines.forEach((line, b) => {
    if (line.width + READER_CONTEXT_PAD > width || line.pixels.length !== line.width * height)
      throw new RangeError(
        `packLineBatch: a ${line.width}-px line with ${line.pixels.length} pixels does not fit ${height} rows padded to ${width}`,
      );
    for (let y = 0; y < height; y++) {
      const src = y * line.width;
      const dst = (b * height + y) * width;
      for (let k = 0; k < line.width; k++) x[dst + k] = lut[line.pixels[src + k]];
    }
  });
  return x;
}
