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

/** What every line dataset's manifest.json holds. No timestamps: it is part of the data's identity. */
interface LineManifestCommon {
  formatVersion: 1;
  kind: 'hcr-lines';
  shardFormatVersion: number;
  /** The LineAlphabet id the labels index (e.g. `hcr36-line`) and its symbols. */
  alphabet: string;
  symbols: string[];
  height: number;
  /** The kind ids' names, in id order (each line stores its kind id). */
  kinds: LineKind[];
  counts: Record<LineSplitName, LineSplitCounts>;
  shards: LineShardEntry[];
}

/** manifest.json of the synthetic lines `hcr data lines prepare` draws. */
export interface GeneratedLineManifest extends LineManifestCommon {
  /** The glyph parts in glyph-id order and the first id of each (provenance of every character). */
  glyphParts: { name: string; start: number; count: number }[];
  config: LineConfig;
  /**
   * The generator's fingerprint (generatorFingerprint): what this version of the code draws. Datasets
   * without one, or with another, are rebuilt by `prepareLines`.
   */
  generator: string;
  rawInputs: RawInputEntry[];
}

/** Where imported lines came from and how they were split (`hcr data lines import`). */
export interface LineImportInfo {
  /** The folder's name, and the sha256 of its labels.tsv (which images, with which transcriptions). */
  source: string;
  labelsSha256: string;
  /** Rows of labels.tsv, and how many of them are not in the dataset, by reason (an image's error code, `TEXT_OUTSIDE_ALPHABET`, `EMPTY_TEXT`). */
  rows: number;
  skipped: Record<string, number>;
  /** The split of a line is fixed by sha256(seed, its path): adding rows never moves the others between splits. */
  seed: number;
  valShare: number;
  testShare: number;
}

/** manifest.json of real labelled lines imported from a folder (for fine-tuning a reader on one's own fields). */
export interface ImportedLineManifest extends LineManifestCommon {
  origin: 'imported';
  imported: LineImportInfo;
}

/** manifest.json of a prepared line dataset: drawn by the generator, or imported from labelled images. */
export type LineManifest = GeneratedLineManifest | ImportedLineManifest;

/** True for lines imported from a folder of labelled images (they have no generator config or glyphs). */
export function isImportedLines(m: LineManifest): m is ImportedLineManifest {
  return (m as ImportedLineManifest).origin === 'imported';
}

export const DEFAULT_LINES_DIR = 'artifacts/data/lines';
/** A line dataset's manifest, beside its shards. */
export const LINE_MANIFEST_FILE = 'manifest.json';

/** Where `hcr data lines prepare --labels N` writes: artifacts/data/lines for 36 classes, lines-47 / lines-62. */
export function defaultLinesDir(labels: LabelSpaceChoice = 36): string {
  return labels === 36 ? DEFAULT_LINES_DIR : `${DEFAULT_LINES_DIR}-${labels}`;
}

/** manifest.json's text: the bytes whose sha256 is the dataset's identity. */
export function lineManifestText(m: LineManifest): string {
  return `${JSON.stringify(m, null, 2)}\n`;
}
