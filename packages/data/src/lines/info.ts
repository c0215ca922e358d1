import { join } from 'node:path';
import { damaged } from '../dataset-dir.js';
import { lineInfoProblem } from '../manifest-check.js';
import type { LineSplitName } from './config.js';
import { LINE_MANIFEST_FILE, type LineManifest, type LineSplitCounts } from './manifest.js';
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
  seed: number;
  /** Where the letters were drawn from (the offline repack or the official ByClass files). */
  letterSource: string;
  /** The real characters the lines are drawn from: each part's name and how many glyphs it holds. */
  glyphParts: { name: string; count: number }[];
  /** Lines, characters, pixel columns and lines per kind of text (name, amount, ...) of each split. */
  counts: Record<LineSplitName, LineSplitCounts>;
  shards: number;
  bytes: number;
  /** The generator's fingerprint: lines prepared by other code than this are rebuilt by `prepareLines`. */
  generator: LineManifest['generator'];
}

/** Reads a prepared line dataset's manifest (default artifacts/data/lines) into its summary. */
export async function lineDatasetInfo(dir?: string): Promise<LineDatasetInfo> {
  const d = await openLineDataset(dir);
  const m = d.manifest;
  // the summary reads fields the reader does not need: a manifest without them is named, not a TypeError
  const problem = lineInfoProblem(m as unknown as Record<string, unknown>);
  if (problem) throw damaged(d.dir, join(d.dir, LINE_MANIFEST_FILE), problem, 'lines');
  return {
    dir: d.dir,
    manifestSha256: d.manifestSha256,
    alphabet: m.alphabet,
    symbols: m.symbols,
    height: m.height,
    seed: m.config.seed,
    letterSource: d.letterSource,
    glyphParts: m.glyphParts.map(({ name, count }) => ({ name, count })),
    counts: m.counts,
    shards: m.shards.length,
    bytes: m.shards.reduce((n, s) => n + s.bytes, 0),
    generator: m.generator,
  };
}
