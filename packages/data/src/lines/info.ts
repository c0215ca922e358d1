import { join } from 'node:path';
import { damaged } from '../dataset-dir.js';
import { lineInfoProblem } from '../manifest-check.js';
import type { LineSplitName } from './config.js';
import {
  isImportedLines,
  LINE_MANIFEST_FILE,
  type LineImportInfo,
  type LineSplitCounts,
} from './manifest.js';
import { openLineDataset } from './reader.js';

/** The summary `hcr data lines info` prints: a line dataset's manifest, without loading a shard. */
export interface LineDatasetInfo {
  dir: string;
  /** sha256 of manifest.json: the identity of the lines (what a reader's metadata records). */
  manifestSha256: string;
  /** The reader alphabet the texts are labelled in (e.g. `hcr36-line`) and its symbols. */
  alphabet: string;
  symbols: string[];
  height: number;
  /** The generator's seed, or the seed of an import's split. */
  seed: number;
  /** Where the letters were drawn from (the offline repack or the official ByClass files); absent for imported lines. */
  letterSource?: string;
  /** The real characters the lines are drawn from: each part's name and how many glyphs it holds (none when imported). */
  glyphParts: { name: string; count: number }[];
  /** Lines imported from a folder of labelled images: where from, what was left out, how they were split. */
  imported?: LineImportInfo;
  /** Lines, characters, pixel columns and lines per kind of text (name, amount, ...) of each split. */
  counts: Record<LineSplitName, LineSplitCounts>;
  shards: number;
  bytes: number;
  /** The generator's fingerprint: lines prepared by other code than this are rebuilt by `prepareLines` (absent when imported). */
  generator?: string;
}

/** Reads a prepared line dataset's manifest (default artifacts/data/lines) into its summary. */
export async function lineDatasetInfo(dir?: string): Promise<LineDatasetInfo> {
  const d = await openLineDataset(dir);
  const m = d.manifest;
  // the summary reads fields the reader does not need: a manifest without them is named, not a TypeError
  const problem = lineInfoProblem(m as unknown as Record<string, unknown>);
  if (problem) throw damaged(d.dir, join(d.dir, LINE_MANIFEST_FILE), problem, 'lines');
  const common = {
    dir: d.dir,
    manifestSha256: d.manifestSha256,
    alphabet: m.alphabet,
    symbols: m.symbols,
    height: m.height,
    counts: m.counts,
    shards: m.shards.length,
    bytes: m.shards.reduce((n, s) => n + s.bytes, 0),
  };
  if (isImportedLines(m)) return { ...common, seed: m.imported.seed, glyphParts: [], imported: m.imported };
  return {
    ...common,
    seed: m.config.seed,
    letterSource: d.letterSource,
    glyphParts: m.glyphParts.map(({ name, count }) => ({ name, count })),
    generator: m.generator,
  };
}
