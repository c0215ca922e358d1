import { READER_CONTEXT_PAD } from '@hcr/core';

/**
 * Width buckets: lines of one onnxruntime run are right-padded with background to a common width, so a
 * run should hold lines of similar widths. Each line gets at least READER_CONTEXT_PAD of background on its
 * right (the reader's receptive field, 46 px to the right of a frame's centre), so its own
 * frames never see the next line's edge: a line reads the same alone or batched with wider ones.
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
 * Groups lines into runs: sorted by bucket, a run grows while its widest bucket stays within
 * MAX_PAD_RATIO of its narrowest and it holds at most `maxRun` lines.
 */
export function groupByWidth(widths: readonly number[], maxRun = Number.POSITIVE_INFINITY): WidthGroup[] {
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
