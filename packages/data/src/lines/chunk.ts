import type { LineAlphabet } from '@hcr/core';
import { LINE_KINDS, type LineSplitName } from './config.js';
import type { LineShardData } from './format.js';
import type { LineGenerator } from './render.js';

/**
 * Lines [start, end) of a split, packed like a shard (the unit workers send back), with the scans the
 * preprocessing refused on the way and that were drawn again, by error code (not part of the shard).
 */
export type LineChunk = Omit<LineShardData, 'height'> & { height: number; redrawn: Record<string, number> };

export function renderChunk(
  gen: LineGenerator,
  split: LineSplitName,
  start: number,
  end: number,
  height: number,
): LineChunk {
  const n = end - start;
  const refusedBefore = { ...gen.refused };
  const widths = new Uint16Array(n);
  const labelOffsets = new Uint32Array(n + 1);
  const kinds = new Uint8Array(n);
  const labels: number[] = [];
  const glyphIds: number[] = [];
  const lines: Uint8Array[] = [];
  let pixelBytes = 0;
  for (let k = 0; k < n; k++) {
    const r = gen.render(split, start + k);
    widths[k] = r.line.width;
    kinds[k] = LINE_KINDS.indexOf(r.kind);
    labels.push(...r.labels);
    glyphIds.push(...r.glyphIds);
    labelOffsets[k + 1] = labels.length;
    lines.push(r.line.pixels);
    pixelBytes += r.line.pixels.length;
  }
  const pixels = new Uint8Array(pixelBytes);
  let at = 0;
  for (const l of lines) {
    pixels.set(l, at);
    at += l.length;
  }
  return {
    count: n,
    height,
    widths,
    labelOffsets,
    labels: Uint8Array.from(labels),
    glyphIds: Int32Array.from(glyphIds),
    kinds,
    pixels,
    redrawn: countsSince(refusedBefore, gen.refused),
  };
}

/** What `now` counts beyond `before`, by key (keys that did not grow are left out). */
function countsSince(before: Record<string, number>, now: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [code, n] of Object.entries(now))
    if (n > (before[code] ?? 0)) out[code] = n - (before[code] ?? 0);
  return out;
}

/** Chunks back to back -> one shard's sections (label offsets rebased). */
export function concatChunks(chunks: LineChunk[], height: number): LineShardData {
  const count = chunks.reduce((a, c) => a + c.count, 0);
  const L = chunks.reduce((a, c) => a + c.labels.length, 0);
  const P = chunks.reduce((a, c) => a + c.pixels.length, 0);
  const out: LineShardData = {
    count,
    height,
    widths: new Uint16Array(count),
    labelOffsets: new Uint32Array(count + 1),
    labels: new Uint8Array(L),
    glyphIds: new Int32Array(L),
    kinds: new Uint8Array(count),
    pixels: new Uint8Array(P),
  };
  let n = 0;
  let l = 0;
  let p = 0;
  for (const c of chunks) {
    out.widths.set(c.widths, n);
    out.kinds.set(c.kinds, n);
    for (let i = 1; i <= c.count; i++) out.labelOffsets[n + i] = l + c.labelOffsets[i]!;
    out.labels.set(c.labels, l);
    out.glyphIds.set(c.glyphIds, l);
    out.pixels.set(c.pixels, p);
    n += c.count;
    l += c.labels.length;
    p += c.pixels.length;
  }
  return out;
}

export type { LineAlphabet };
