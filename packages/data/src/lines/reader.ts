import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { decodeLineLabels, HcrError, knownLineAlphabet, LINE_ALPHABETS, type LineAlphabet } from '@hcr/core';
import { damaged, prepareCommand, readDatasetManifest, rebuildCommand } from '../dataset-dir.js';
import { sha256 } from '../hash.js';
import { lineReaderProblem } from '../manifest-check.js';
import type { LineSplitName } from './config.js';
import { decodeLineShard } from './format.js';
import type { GlyphLetterSource } from './glyphs.js';
import { DEFAULT_LINES_DIR, isImportedLines, LINE_MANIFEST_FILE, type LineManifest } from './manifest.js';

/** A whole split of lines in memory, as the line trainer and the evaluator read it. */
export interface LineSplit {
  count: number;
  height: number;
  widths: Uint16Array;
  /** Start of line i in `pixels` (line i: height x widths[i], row-major, ink bright). */
  pixelOffsets: Float64Array;
  pixels: Uint8Array;
  /** Length count+1: line i's labels are labels[labelOffsets[i]..labelOffsets[i+1]). */
  labelOffsets: Uint32Array;
  /** Alphabet indices (1..size-1, never the blank). */
  labels: Uint8Array;
  /** Kind id per line (manifest.kinds order: name, word, number, date, amount, code, mixed). */
  kinds: Uint8Array;
  /** Glyph id per label character (-1 for spaces and marks): which raw character drew it. */
  glyphIds: Int32Array;
}

export interface LineDataset {
  dir: string;
  manifest: LineManifest;
  /** sha256 of manifest.json: the identity of this line dataset. */
  manifestSha256: string;
  alphabet: LineAlphabet;
  /** Where the lines' letters were drawn from: the offline repack or the official ByClass files (none: imported lines). */
  letterSource?: GlyphLetterSource;
  loadSplit(split: LineSplitName): Promise<LineSplit>;
}

/** The letters' dataset among the raw inputs; the repack (the glyph parts' default) when none is recorded. */
function letterSourceOf(manifest: LineManifest): GlyphLetterSource | undefined {
  if (isImportedLines(manifest)) return undefined;
  const letters = manifest.rawInputs?.find((r) => r.dataset !== 'mnist')?.dataset;
  return letters === 'emnist-byclass' ? 'emnist-byclass' : 'emnist-byclass-repack';
}

/** The alphabet a line dataset names: one of the label spaces' (LINE_ALPHABETS), symbols and all. */
function alphabetFor(manifest: LineManifest, dir: string): LineAlphabet {
  const a = knownLineAlphabet(manifest.alphabet, manifest.symbols);
  if (!a)
    throw new HcrError(
      'LINE_ALPHABET_MISMATCH',
      `Line dataset ${dir} uses alphabet '${manifest.alphabet}' (${manifest.symbols?.length ?? 'no'} symbols); this hcr reads ${LINE_ALPHABETS.map((x) => `'${x.id}'`).join(', ')}.`,
      {
        hint: `Rebuild it with ${rebuildCommand(dir, 'lines')}.`,
      },
    );
  return a;
}

/** Opens a prepared line dataset; every shard is checked against its sha256 when its split is loaded. */
export async function openLineDataset(dir: string = DEFAULT_LINES_DIR): Promise<LineDataset> {
  const abs = resolve(dir);
  // parsed and checked like every dataset's manifest: versions, the list of shards (LINES_CORRUPT naming the fix)
  const read = await readDatasetManifest(abs, 'lines');
  if (!read)
    throw new HcrError('LINES_MISSING', `No line dataset in ${abs} (no ${LINE_MANIFEST_FILE}).`, {
      hint: `Run ${prepareCommand(abs, 'lines')} first (with HCR_DATA_DIR pointing at the raw files, e.g. ../shared/data), or pass the dataset's folder.`,
    });
  if (read.kind !== 'lines')
    throw new HcrError('LINES_MISSING', `${abs} holds a dataset that is not a line dataset.`, {
      hint: 'Point at the output of `hcr data lines prepare` (default artifacts/data/lines).',
    });
  const problem = lineReaderProblem(read.manifest);
  if (problem) throw damaged(abs, join(abs, LINE_MANIFEST_FILE), problem, 'lines');
  const { text } = read;
  const manifest = read.manifest as unknown as LineManifest;
  const alphabet = alphabetFor(manifest, abs);
  const cache = new Map<LineSplitName, Promise<LineSplit>>();
  return {
    dir: abs,
    manifest,
    manifestSha256: sha256(text),
    alphabet,
    letterSource: letterSourceOf(manifest),
    loadSplit(split) {
      if (!['train', 'val', 'test'].includes(split))
        throw new HcrError('LINE_SPLIT', `No line split '${split}'.`, { hint: 'Use train, val or test.' });
      let p = cache.get(split);
      if (!p) {
        p = loadSplitData(abs, manifest, split);
        cache.set(split, p);
        p.catch(() => cache.delete(split));
      }
      return p;
    },
  };
}

async function loadSplitData(dir: string, manifest: LineManifest, split: LineSplitName): Promise<LineSplit> {
  const shards = [];
  for (const entry of manifest.shards.filter((s) => s.split === split)) {
    let bytes: Uint8Array;
    try {
      bytes = await readFile(join(dir, entry.file));
    } catch (e) {
      throw new HcrError(
        'LINE_SHARD_MISSING',
        `Line shard ${entry.file} listed in the manifest cannot be read: ${(e as Error).message}.`,
        {
          hint: `Rebuild the line dataset with ${rebuildCommand(dir, 'lines')}.`,
        },
      );
    }
    if (bytes.length !== entry.bytes || sha256(bytes) !== entry.sha256)
      throw new HcrError(
        'LINE_SHARD_CORRUPT',
        `Line shard ${join(dir, entry.file)} does not match its sha256 in the manifest.`,
        {
          hint: `It was damaged or changed after it was written: rebuild with ${rebuildCommand(dir, 'lines')}.`,
        },
      );
    const shard = decodeLineShard(bytes, entry.file, dir);
    if (shard.count !== entry.count || shard.height !== manifest.height)
      throw new HcrError(
        'LINE_SHARD_CORRUPT',
        `Line shard ${entry.file} holds ${shard.count} lines of height ${shard.height}; the manifest says ${entry.count} of ${manifest.height}.`,
        {
          hint: `Rebuild the line dataset with ${rebuildCommand(dir, 'lines')}.`,
        },
      );
    shards.push(shard);
  }
  const count = shards.reduce((a, s) => a + s.count, 0);
  const L = shards.reduce((a, s) => a + s.labels.length, 0);
  const P = shards.reduce((a, s) => a + s.pixels.length, 0);
  const out: LineSplit = {
    count,
    height: manifest.height,
    widths: new Uint16Array(count),
    pixelOffsets: new Float64Array(count),
    pixels: new Uint8Array(P),
    labelOffsets: new Uint32Array(count + 1),
    labels: new Uint8Array(L),
    kinds: new Uint8Array(count),
    glyphIds: new Int32Array(L),
  };
  let n = 0;
  let l = 0;
  let p = 0;
  for (const s of shards) {
    out.widths.set(s.widths, n);
    out.kinds.set(s.kinds, n);
    out.labels.set(s.labels, l);
    out.glyphIds.set(s.glyphIds, l);
    out.pixels.set(s.pixels, p);
    for (let i = 0; i < s.count; i++) {
      out.pixelOffsets[n + i] = p;
      p += s.widths[i]! * s.height;
      out.labelOffsets[n + i + 1] = l + s.labelOffsets[i + 1]!;
    }
    n += s.count;
    l += s.labels.length;
  }
  return out;
}

/** The text of line i (canonical: upper case for a case-merged alphabet). */
export function lineText(split: LineSplit, i: number, alphabet: LineAlphabet): string {
  if (!Number.isInteger(i) || i < 0 || i >= split.count)
    throw new RangeError(`line ${i} is outside 0..${split.count - 1}`);
  return decodeLineLabels(
    split.labels.subarray(split.labelOffsets[i]!, split.labelOffsets[i + 1]!),
    alphabet,
  );
}

/** Line i's pixels (a view, height x widths[i]). */
export function linePixels(split: LineSplit, i: number): Uint8Array {
  const start = split.pixelOffsets[i]!;
  return split.pixels.subarray(start, start + split.widths[i]! * split.height);
}
