import { HcrError, READER_CONTEXT_PAD } from '@hcr/core';

/**
 * Batches of prepared lines for the reader, one rule for eval and serving. Every line is right-padded with
 * background to its bucket width (`bucketWidth`), and a run holds lines of one bucket only, so what a line is
 * read from never depends on the other lines of its batch. Each line gets at least READER_CONTEXT_PAD of
 * background on its right (the convolutional reader's receptive field, 46 px to the right of a frame's
 * centre); a reader whose frames see the whole line (the `bilstm` context) would read a line padded to a
 * wider run slightly differently, which one bucket per run rules out.
 */
export const WIDTH_STEP = 32;

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
 * Groups lines into runs of one bucket width, each of at most `maxRun` lines, sorted by bucket (ties by
 * index). Deterministic: the same widths always give the same runs.
 */
export function groupByWidth(widths: readonly number[], maxRun = Number.POSITIVE_INFINITY): WidthGroup[] {
  if (!(maxRun >= 1))
    throw new HcrError('BAD_OPTIONS', `groupByWidth: maxRun ${maxRun} is under 1.`, {
      hint: 'Give the most lines a run may hold (1 or more), or leave it out for no limit.',
    });
  const order = widths.map((w, i) => ({ i, b: bucketWidth(w) })).sort((a, b) => a.b - b.b || a.i - b.i);
  const groups: WidthGroup[] = [];
  let cur: WidthGroup | undefined;
  for (const { i, b } of order) {
    if (!cur || b !== cur.width || cur.members.length >= maxRun) {
      cur = { members: [], width: b };
      groups.push(cur);
    }
    cur.members.push(i);
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
  if (!(lut?.length >= 256))
    throw new HcrError(
      'BAD_OPTIONS',
      `packLineBatch: the lookup table has ${lut?.length ?? 0} entries, not one per pixel value 0..255 (256).`,
      { hint: "Pass the model's normalisation table (`pixelLookupTable` of @hcr/core)." },
    );
  const x = new Float32Array(lines.length * height * width).fill(lut[0]);
  lines.forEach((line, b) => {
    if (line.pixels?.length !== line.width * height)
      throw new HcrError(
        'BAD_IMAGE_DATA',
        `packLineBatch: line ${b} is ${line.width} px wide with ${line.pixels?.length ?? 0} pixels, not ${line.width}x${height}.`,
        { hint: 'Pass prepared lines as they come (`width` and `pixels` of one line, `height` rows).' },
      );
    if (line.width + READER_CONTEXT_PAD > width)
      throw new HcrError(
        'BAD_OPTIONS',
        `packLineBatch: line ${b}, ${line.width} px wide, does not fit a run ${width} px wide with its ${READER_CONTEXT_PAD} px of background.`,
        {
          hint: "Pack a run at its group's width (`groupByWidth`), at least bucketWidth of its widest line.",
        },
      );
    for (let y = 0; y < height; y++) {
      const src = y * line.width;
      const dst = (b * height + y) * width;
      for (let k = 0; k < line.width; k++) x[dst + k] = lut[line.pixels[src + k]];
    }
  });
  return x;
}
