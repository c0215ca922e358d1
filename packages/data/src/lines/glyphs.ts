import { LABEL_SPACE_62 } from '@hcr/core';
import { type DataDirOptions, type LocatedFile, requireRawFile } from '../locate.js';
import type { RawInputEntry } from '../manifest.js';
import { readPart, resolveLetterSource, verifyRawFile } from '../raw-sources.js';
import type { LineSplitName } from './config.js';

/** Where the letters of synthetic lines come from: the offline case-sensitive repack or NIST's official ByClass files. */
export type GlyphLetterSource = 'emnist-byclass-repack' | 'emnist-byclass';

export interface GlyphPartSpec {
  name: 'mnist-train' | 'mnist-test' | 'byclass-train' | 'byclass-test';
  dataset: 'mnist' | GlyphLetterSource;
  role: 'train' | 'test';
  /** EMNIST stores images transposed. */
  transposed: boolean;
  /** Glyph symbols (ByClass numbers) the part contributes; samples with other labels are left out. */
  labels: readonly [number, number];
  /** Labels the raw file may hold (anything else means a damaged or wrong file). */
  rawLabels: readonly [number, number];
}

/**
 * The handwritten characters lines are drawn with: MNIST digits and case-sensitive EMNIST letters, 28x28
 * upright, ink bright. A glyph's symbol is its ByClass number: 0..9 digits, 10..35 A..Z, 36..61 a..z, so
 * upper-case text is drawn with capital glyphs. The letters are the offline repack (`emnist-byclass-repack`)
 * or, on a machine without it, the official ByClass files, whose digits (0..9) are left out: EMNIST's digits
 * are the never-trained generalisation set, and the lines' digits are MNIST's.
 */
export function glyphParts(letters: GlyphLetterSource = 'emnist-byclass-repack'): readonly GlyphPartSpec[] {
  const mnist = (role: 'train' | 'test'): GlyphPartSpec => ({
    name: `mnist-${role}`,
    dataset: 'mnist',
    role,
    transposed: false,
    labels: [0, 9],
    rawLabels: [0, 9],
  });
  const byclass = (role: 'train' | 'test'): GlyphPartSpec => ({
    name: `byclass-${role}`,
    dataset: letters,
    role,
    transposed: true,
    labels: [10, 61],
    rawLabels: letters === 'emnist-byclass' ? [0, 61] : [10, 61],
  });
  return [mnist('train'), mnist('test'), byclass('train'), byclass('test')];
}

/** The parts as drawn from the offline repack (their names are the manifest's `glyphParts`). */
export const GLYPH_PARTS = glyphParts();

export const GLYPH_SIDE = 28;
export const GLYPH_PIXELS = GLYPH_SIDE * GLYPH_SIDE;
export const SYMBOL_COUNT = 62;

/** All glyph images, every part back to back; a glyph's id is its index here (stored per character in shards). */
export interface GlyphBank {
  count: number;
  images: Uint8Array;
  symbols: Uint8Array;
  /** First glyph id of each part of GLYPH_PARTS, plus the total at the end. */
  partStarts: number[];
}

/** Glyph ids a split may draw from, per symbol 0..61. */
export type GlyphPools = Uint32Array[];

export function glyphPart(bank: GlyphBank, id: number): (typeof GLYPH_PARTS)[number]['name'] {
  for (let p = GLYPH_PARTS.length - 1; p >= 0; p--)
    if (id >= bank.partStarts[p]!) return GLYPH_PARTS[p]!.name;
  throw new RangeError(`glyph id ${id}`);
}

/**
 * Finds every raw file first (a missing one fails before any work), then checks each sha256 against the lock.
 * The letters are the official ByClass files when they are present (as for the character data, `letters:
 * 'auto'`), else the offline repack (`letters`, when the caller has resolved them already).
 */
export async function locateGlyphFiles(
  opts: DataDirOptions,
  letters: GlyphLetterSource = glyphLetterSource(opts),
): Promise<{
  parts: readonly GlyphPartSpec[];
  files: [LocatedFile, LocatedFile][];
  rawInputs: RawInputEntry[];
}> {
  const parts = glyphParts(letters);
  const files = parts.map(
    (p) =>
      [
        requireRawFile(p.dataset, `${p.role}-images`, opts),
        requireRawFile(p.dataset, `${p.role}-labels`, opts),
      ] as [LocatedFile, LocatedFile],
  );
  const rawInputs: RawInputEntry[] = [];
  for (const pair of files) for (const f of pair) rawInputs.push(await verifyRawFile(f));
  return { parts, files, rawInputs };
}

/** The letters this machine has: resolved like the character data's `letters: 'auto'` for case-sensitive classes. */
export function glyphLetterSource(opts: DataDirOptions): GlyphLetterSource {
  return resolveLetterSource('auto', opts, LABEL_SPACE_62) === 'emnist-byclass'
    ? 'emnist-byclass'
    : 'emnist-byclass-repack';
}

/** Reads the four parts into one bank; `shared` puts the pixels in a SharedArrayBuffer for worker threads. */
export async function loadGlyphBank(
  files: [LocatedFile, LocatedFile][],
  shared = false,
  specs: readonly GlyphPartSpec[] = GLYPH_PARTS,
): Promise<GlyphBank> {
  const parts = [];
  for (const [i, spec] of specs.entries()) {
    // Glyph symbols stay ByClass numbers; labels outside the part's symbols (official ByClass digits) are left out.
    const [lo, hi] = spec.labels;
    parts.push(
      await readPart(
        {
          source: spec.dataset,
          dataset: spec.dataset,
          images: `${spec.role}-images`,
          labels: `${spec.role}-labels`,
          transposed: spec.transposed,
          toClass: (k) => k,
          rawLabelRange: [...spec.rawLabels],
          keep: (k) => k >= lo && k <= hi,
        },
        files[i]!,
      ),
    );
  }
  const count = parts.reduce((a, p) => a + p.count, 0);
  const buffer = shared ? new SharedArrayBuffer(count * GLYPH_PIXELS) : new ArrayBuffer(count * GLYPH_PIXELS);
  const bank: GlyphBank = {
    count,
    images: new Uint8Array(buffer),
    symbols: new Uint8Array(shared ? new SharedArrayBuffer(count) : new ArrayBuffer(count)),
    partStarts: [],
  };
  let at = 0;
  for (const p of parts) {
    bank.partStarts.push(at);
    bank.images.set(p.images, at * GLYPH_PIXELS);
    bank.symbols.set(p.labels, at);
    at += p.count;
  }
  bank.partStarts.push(at);
  return bank;
}

/** A stable hash of (seed, id) in [0, 1): which training glyphs are held out for val does not depend on order. */
function holdoutDraw(seed: number, id: number): number {
  let h = Math.imul(seed ^ 0x85ebca6b, 0xc2b2ae35) ^ Math.imul(id + 0x27d4eb2f, 0x165667b1);
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  h = Math.imul(h ^ (h >>> 12), 0x297a2d39);
  return ((h ^ (h >>> 15)) >>> 0) / 4294967296;
}

/**
 * Glyph pools per split: test lines draw only test-part glyphs; val lines only the held-out fraction of the
 * training parts; train lines only the rest. Disjoint by construction.
 */
export function glyphPools(
  bank: GlyphBank,
  split: LineSplitName,
  valFraction: number,
  seed: number,
): GlyphPools {
  const lists: number[][] = Array.from({ length: SYMBOL_COUNT }, () => []);
  const [mnTrain, mnTest, bcTrain, bcTest, end] = bank.partStarts as [number, number, number, number, number];
  const ranges: [number, number][] =
    split === 'test'
      ? [
          [mnTest, bcTrain],
          [bcTest, end],
        ]
      : [
          [mnTrain, mnTest],
          [bcTrain, bcTest],
        ];
  for (const [lo, hi] of ranges)
    for (let id = lo; id < hi; id++) {
      if (split !== 'test' && holdoutDraw(seed, id) < valFraction !== (split === 'val')) continue;
      lists[bank.symbols[id]!]!.push(id);
    }
  return lists.map((l) => Uint32Array.from(l));
}

/** The glyph symbol (ByClass number) that draws a character as written: '7' -> 7, 'K' -> 20, 'k' -> 46. */
export function symbolOf(ch: string): number {
  const c = ch.charCodeAt(0);
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 90) return c - 65 + 10;
  if (c >= 97 && c <= 122) return c - 97 + 36;
  return -1;
}
