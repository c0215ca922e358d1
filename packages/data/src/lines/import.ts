import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  canonicalLineText,
  encodeLineText,
  foldAccents,
  HcrError,
  isLineText,
  type LineAlphabet,
  writeDirAtomic,
} from '@hcr/core';
import { checkDatasetOutput, datasetWriteTarget } from '../dataset-dir.js';
import { sha256 } from '../hash.js';
import { LINE_KINDS, LINE_SPLITS, type LineKind, type LineSplitName } from './config.js';
import { encodeLineShard, LINE_SHARD_VERSION, type LineShardData } from './format.js';
import {
  type ImportedLineManifest,
  LINE_MANIFEST_FILE,
  type LineImportInfo,
  type LineShardEntry,
  type LineSplitCounts,
  lineManifestText,
} from './manifest.js';

/** One real line, already prepared as the reader sees it (@hcr/image's `prepareLineImage`), with its transcription. */
export interface ImportLine {
  /** Its path in labels.tsv: fixes its split, and names it in messages. */
  id: string;
  text: string;
  width: number;
  /** height x width, row-major, ink bright. */
  pixels: Uint8Array;
}

export interface ImportLinesOptions {
  outDir: string;
  alphabet: LineAlphabet;
  /** Line height of every line (the reader's LINE_HEIGHT). */
  height: number;
  /** The kind of field the lines are (recorded per line; eval and preview show it). Default `mixed`. */
  kind?: LineKind;
  /** Share of the lines held out for validation (best epoch) and for the run's test. Defaults 0.1 each. */
  valShare?: number;
  testShare?: number;
  seed?: number;
  /** The folder the lines came from, the sha256 of its labels.tsv, its rows, and rows already left out by reason. */
  source: { name: string; labelsSha256: string; rows: number; skipped?: Record<string, number> };
  /** Lines per shard file (default 2,000). */
  shardSize?: number;
}

export interface ImportLinesResult {
  outDir: string;
  manifest: ImportedLineManifest;
  manifestSha256: string;
  /** Lines left out for their text, by reason, with a few examples each (`TEXT_OUTSIDE_ALPHABET`, `EMPTY_TEXT`). */
  leftOut: Record<string, string[]>;
}

/**
 * Which split a line goes to: the first 32 bits of sha256(seed, path) as a fraction, below `test` -> test, below
 * test + val -> val, else train. Stable: adding or removing other rows never moves a line to another split.
 */
export function importSplit(id: string, seed: number, valShare: number, testShare: number): LineSplitName {
  const u = createHash('sha256').update(`${seed}\0${id}`).digest().readUInt32BE(0) / 2 ** 32;
  return u < testShare ? 'test' : u < testShare + valShare ? 'val' : 'train';
}

function checkShare(name: string, x: number): void {
  if (!(Number.isFinite(x) && x >= 0 && x < 1))
    throw new HcrError('IMPORT_INVALID', `${name} ${x} is not a share of the lines in [0, 1).`, {
      hint: `Pass ${name} as a fraction, e.g. 0.1.`,
    });
}

/** Why a transcription cannot label a line of this alphabet, or undefined when it can. */
function textProblem(text: string, alphabet: LineAlphabet): string | undefined {
  if (!canonicalLineText(text, alphabet).trim()) return 'EMPTY_TEXT';
  return isLineText(text, alphabet) ? undefined : 'TEXT_OUTSIDE_ALPHABET';
}

/**
 * Real labelled lines -> line shards + manifest (kind `hcr-lines`, origin `imported`) that `hcr train --model
 * reader --init <model>` fine-tunes on, and `hcr data lines info | verify | preview` read like the drawn lines.
 * Each line goes to the split its path's hash gives; lines whose text holds a character outside the alphabet, or
 * no text, are left out and counted. Deterministic (same lines and options, same bytes); the folder appears whole.
 */
export async function writeImportedLines(
  lines: readonly ImportLine[],
  options: ImportLinesOptions,
): Promise<ImportLinesResult> {
  const outDir = resolve(options.outDir);
  const { alphabet, height } = options;
  const valShare = options.valShare ?? 0.1;
  const testShare = options.testShare ?? 0.1;
  const seed = options.seed ?? 1;
  const kind = options.kind ?? 'mixed';
  checkShare('--val', valShare);
  checkShare('--test', testShare);
  if (valShare + testShare >= 1)
    throw new HcrError(
      'IMPORT_INVALID',
      `--val ${valShare} and --test ${testShare} leave no line to train on.`,
      {
        hint: 'Keep --val + --test under 1 (the defaults hold out 0.1 each).',
      },
    );
  if (!LINE_KINDS.includes(kind))
    throw new HcrError('IMPORT_INVALID', `Unknown kind of field '${kind}'.`, {
      hint: `Use one of ${LINE_KINDS.join(', ')}.`,
    });
  const target = await datasetWriteTarget(outDir); // a symbolic link's folder: the link is kept
  await checkDatasetOutput(target, 'lines');

  const leftOut: Record<string, string[]> = {};
  const bySplit: Record<LineSplitName, { line: ImportLine; labels: number[] }[]> = {
    train: [],
    val: [],
    test: [],
  };
  for (const line of lines) {
    if (line.pixels.length !== line.width * height)
      throw new RangeError(`line ${line.id}: ${line.pixels.length} pixels for ${line.width} x ${height}`);
    // accents folded as eval folds them: LÉA is read, and scored, as LEA (the alphabet has no É)
    const text = foldAccents(line.text);
    const problem = textProblem(text, alphabet);
    if (problem) {
      const rows = leftOut[problem] ?? [];
      rows.push(`${line.id} '${line.text}'`);
      leftOut[problem] = rows;
      continue;
    }
    const split = importSplit(line.id, seed, valShare, testShare);
    bySplit[split].push({ line, labels: encodeLineText(text, alphabet) });
  }
  // the trainer needs lines to train on and to pick its best epoch by; the test split may be empty
  for (const split of ['train', 'val'] as const)
    if (bySplit[split].length === 0)
      throw new HcrError(
        'IMPORT_TOO_FEW',
        `No ${split} line among the ${lines.length} lines read (${bySplit.train.length} train, ${bySplit.val.length} val, ${bySplit.test.length} test).`,
        {
          hint:
            lines.length < 10
              ? 'Import more labelled lines: fine-tuning wants hundreds.'
              : `Raise --${split === 'val' ? 'val' : 'test'} share, or import more lines.`,
        },
      );

  const shardSize = options.shardSize ?? 2000;
  const kindId = LINE_KINDS.indexOf(kind);
  const shards: LineShardEntry[] = [];
  const counts = {} as Record<LineSplitName, LineSplitCounts>;
  let manifest: ImportedLineManifest | undefined;
  await writeDirAtomic(
    target,
    async (tmp) => {
      for (const split of LINE_SPLITS) {
        const all = bySplit[split];
        const c: LineSplitCounts = { lines: all.length, characters: 0, columns: 0, perKind: {} };
        if (all.length) c.perKind[kind] = all.length;
        for (let start = 0, index = 0; start < all.length; start += shardSize, index++) {
          const shard = packShard(all.slice(start, start + shardSize), height, kindId);
          c.characters += shard.labels.length;
          for (const w of shard.widths) c.columns += w;
          const bytes = encodeLineShard(shard);
          const file = `${split}-${String(index).padStart(4, '0')}.lines`;
          await writeFile(join(tmp, file), bytes);
          shards.push({ file, split, count: shard.count, bytes: bytes.length, sha256: sha256(bytes) });
        }
        counts[split] = c;
      }
      const imported: LineImportInfo = {
        source: options.source.name,
        labelsSha256: options.source.labelsSha256,
        rows: options.source.rows,
        skipped: leftOutCounts(options.source.skipped ?? {}, leftOut),
        seed,
        valShare,
        testShare,
      };
      manifest = {
        formatVersion: 1,
        kind: 'hcr-lines',
        origin: 'imported',
        shardFormatVersion: LINE_SHARD_VERSION,
        alphabet: alphabet.id,
        symbols: [...alphabet.symbols],
        height,
        kinds: [...LINE_KINDS],
        imported,
        counts,
        shards,
      };
      await writeFile(join(tmp, LINE_MANIFEST_FILE), lineManifestText(manifest));
    },
    { replace: true },
  );
  return { outDir, manifest: manifest!, manifestSha256: sha256(lineManifestText(manifest!)), leftOut };
}

/** Rows left out by reason: those the caller left out, then those left out here for their text; sorted by reason. */
function leftOutCounts(
  before: Record<string, number>,
  here: Record<string, string[]>,
): Record<string, number> {
  const counts = { ...before };
  for (const [why, rows] of Object.entries(here)) counts[why] = (counts[why] ?? 0) + rows.length;
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}

function packShard(
  rows: { line: ImportLine; labels: number[] }[],
  height: number,
  kindId: number,
): LineShardData {
  const count = rows.length;
  const widths = new Uint16Array(count);
  const labelOffsets = new Uint32Array(count + 1);
  let columns = 0;
  rows.forEach(({ line, labels }, i) => {
    if (line.width > 0xffff) throw new RangeError(`line ${line.id} is ${line.width} px wide (at most 65535)`);
    widths[i] = line.width;
    columns += line.width;
    labelOffsets[i + 1] = labelOffsets[i]! + labels.length;
  });
  const labels = new Uint8Array(labelOffsets[count]!);
  const pixels = new Uint8Array(columns * height);
  let at = 0;
  rows.forEach(({ line, labels: l }, i) => {
    labels.set(l, labelOffsets[i]!);
    pixels.set(line.pixels, at);
    at += line.pixels.length;
  });
  return {
    count,
    height,
    widths,
    labelOffsets,
    labels,
    // no glyph provenance: real writing is not drawn from the glyph bank
    glyphIds: new Int32Array(labels.length).fill(-1),
    kinds: new Uint8Array(count).fill(kindId),
    pixels,
  };
}
