import type { LabelSpace, LabelSpaceId, LetterSource, SourceName } from '@hcr/core';
import type { DataConfig } from './config.js';

export type SplitName = 'train' | 'val' | 'test' | 'extra';
export const SPLITS: readonly SplitName[] = ['train', 'val', 'test', 'extra'];

export interface ShardEntry {
  file: string;
  split: SplitName;
  count: number;
  bytes: number;
  sha256: string;
}

export interface RawInputEntry {
  dataset: string;
  role: string;
  file: string;
  sha256: string;
  /**
   * `locked`: matched datasets.lock.json; `recorded`: matched the sum its first download recorded beside it (the
   * lock had none); `unverified`: no known sum for this form of the file.
   */
  verified: 'locked' | 'recorded' | 'unverified';
}

export interface SplitCounts {
  total: number;
  perClass: number[];
  perSource: Partial<Record<SourceName, number>>;
}

/** manifest.json of a prepared dataset: how it was made and how to check it. No timestamps: it is part of the data's identity. */
export interface DataManifest {
  formatVersion: 1;
  shardFormatVersion: number;
  /** Which classes the labels index (`hcr36`, `hcr47`, `hcr62`); classNames lists them. */
  labelSpace: LabelSpaceId;
  classNames: string[];
  imageShape: [number, number, number];
  letterSource: LetterSource;
  config: DataConfig;
  /** processingFingerprint: what the code did to the raw pixels (`raw`, or a hash of the normalisation). */
  processing: string;
  counts: Record<SplitName, SplitCounts>;
  shards: ShardEntry[];
  rawInputs: RawInputEntry[];
}

export const MANIFEST_FILE = 'manifest.json';
/** Where `hcr data prepare` writes and every later step reads, relative to the working directory. */
export const DEFAULT_DATASET_DIR = 'artifacts/data/shards';

/**
 * Where a dataset of this label space goes by default: hcr36 in DEFAULT_DATASET_DIR, the others beside it
 * (`artifacts/data/shards-62`), so preparing 62 classes never touches the 36-class pipeline's shards.
 */
export function defaultDatasetDir(space: LabelSpace): string {
  return space.id === 'hcr36' ? DEFAULT_DATASET_DIR : `${DEFAULT_DATASET_DIR}-${space.classes.length}`;
}
