import type { LabelSpaceChoice } from '@hcr/core';
import type { RawInputEntry } from '../manifest.js';
import type { LineConfig, LineKind, LineSplitName } from './config.js';

export interface LineShardEntry {
  file: string;
  split: LineSplitName;
  count: number;
  bytes: number;
  sha256: string;
}

export interface LineSplitCounts {
  lines: number;
  characters: number;
  /** Pixel columns of all lines (memory of the split = height x columns bytes). */
  columns: number;
  perKind: Partial<Record<LineKind, number>>;
}

/** manifest.json of a prepared line dataset. No timestamps: it is part of the data's identity. */
export interface LineManifest {
  formatVersion: 1;
  kind: 'hcr-lines';
  shardFormatVersion: number;
  /** The LineAlphabet id the labels index (e.g. `hcr36-line`) and its symbols. */
  alphabet: string;
  symbols: string[];
  height: number;
  kinds: LineKind[];
  /** The glyph parts in glyph-id order and the first id of each (provenance of every character). */
  glyphParts: { name: string; start: number; count: number }[];
  config: LineConfig;
  /**
   * The generator's fingerprint (generatorFingerprint): what this version of the code draws. Datasets
   * without one, or with another, are rebuilt by `prepareLines`.
   */
  generator: string;
  counts: Record<LineSplitName, LineSplitCounts>;
  shards: LineShardEntry[];
  rawInputs: RawInputEntry[];
}

export const DEFAULT_LINES_DIR = 'artifacts/data/lines';
/** A line dataset's manifest, beside its shards. */
export const LINE_MANIFEST_FILE = 'manifest.json';

/** Where `hcr data lines prepare --labels N` writes: artifacts/data/lines for 36 classes, lines-47 / lines-62. */
export function defaultLinesDir(labels: LabelSpaceChoice = 36): string {
  return labels === 36 ? DEFAULT_LINES_DIR : `${DEFAULT_LINES_DIR}-${labels}`;
}
