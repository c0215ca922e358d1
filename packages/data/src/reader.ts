import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  createRng,
  HcrError,
  type InputNormalisation,
  type LabelSpace,
  labelSpace,
  pixelLookupTable,
  shuffleInPlace,
} from '@hcr/core';
import { prepareCommand, readDatasetManifest, rebuildCommand } from './dataset-dir.js';
import { sha256 } from './hash.js';
import {
  type DataManifest,
  DEFAULT_DATASET_DIR,
  MANIFEST_FILE,
  type ShardEntry,
  type SplitName,
} from './manifest.js';
import { decodeShard } from './shard-format.js';

/** A whole split in memory, as stored: uint8 pixels (NHWC), class indices, source ids. */
export interface SplitData {
  split: SplitName;
  count: number;
  imageShape: [number, number, number];
  pixels: Uint8Array;
  labels: Uint8Array;
  sources: Uint8Array;
}

/** One batch, ready for a model: Float32 NHWC normalised input, int32 labels, source ids, sample indices. */
export interface Batch {
  size: number;
  x: Float32Array;
  y: Int32Array;
  sources: Uint8Array;
  /** Index of each sample within its split (for galleries and debugging). */
  indices: Uint32Array;
}

export interface BatchOptions {
  batchSize: number;
  /** Seeded shuffle across all shards of the split (default true for train, false otherwise). */
  shuffle?: boolean;
  seed?: number;
  /** Epoch number: each epoch gets its own permutation of the same seed. */
  epoch?: number;
  /** Skip this many batches (resume mid-epoch). */
  startBatch?: number;
  /** Drop a last, smaller batch. */
  dropLast?: boolean;
  normalisation?: InputNormalisation;
}

export interface Dataset {
  dir: string;
  manifest: DataManifest;
  /** Which classes the labels index (manifest.labelSpace): hcr36, hcr47 or hcr62. */
  labelSpace: LabelSpace;
  /** sha256 of manifest.json: the identity of this prepared dataset. */
  manifestSha256: string;
  loadSplit(split: SplitName, opts?: { verify?: boolean }): Promise<SplitData>;
  batches(split: SplitName, opts: BatchOptions): AsyncIterableIterator<Batch>;
}

/** Opens a prepared dataset (manifest.json + shards). Missing -> tells you to run `hcr data prepare`. */
export async function openDataset(dir: string = DEFAULT_DATASET_DIR): Promise<Dataset> {
  const abs = resolve(dir);
  const read = await readDatasetManifest(abs);
  if (!read)
    throw new HcrError('SHARDS_MISSING', `No prepared dataset in ${abs} (no ${MANIFEST_FILE}).`, {
      hint: `Run ${prepareCommand(abs, 'characters')} first (with HCR_DATA_DIR pointing at the raw files), or pass the dataset's folder.`,
    });
  if (read.kind === 'lines')
    throw new HcrError('SHARDS_MISSING', `${abs} holds a line dataset, not character shards.`, {
      hint: 'Point at the output of `hcr data prepare` (default artifacts/data/shards); line datasets are for the reader (`hcr train --model reader`, `hcr data lines verify`).',
    });
  const { text } = read;
  const manifest = read.manifest as unknown as DataManifest;
  const cache = new Map<SplitName, Promise<SplitData>>();
  const dataset: Dataset = {
    dir: abs,
    manifest,
    labelSpace: labelSpace(manifest.labelSpace ?? 'hcr36'),
    manifestSha256: sha256(text),
    loadSplit(split, opts = {}) {
      let p = cache.get(split);
      if (!p || opts.verify) {
        p = loadSplitData(abs, manifest, split, opts.verify ?? false);
        cache.set(split, p);
      }
      return p;
    },
    batches: (split, opts) => iterateBatches(dataset, split, opts),
  };
  return dataset;
}

async function readShard(dir: string, entry: ShardEntry, verify: boolean) {
  const hint = `Rebuild the dataset with ${rebuildCommand(dir, 'characters')}.`;
  let bytes: Uint8Array;
  try {
    bytes = await readFile(join(dir, entry.file));
  } catch (e) {
    throw new HcrError(
      'SHARD_MISSING',
      `Shard ${entry.file} listed in the manifest cannot be read: ${(e as Error).message}.`,
      { hint },
    );
  }
  if (verify && sha256(bytes) !== entry.sha256)
    throw new HcrError('SHARD_CORRUPT', `Shard ${entry.file} does not match its sha256 in the manifest.`, {
      hint,
    });
  const shard = decodeShard(bytes, entry.file);
  if (shard.count !== entry.count)
    throw new HcrError(
      'SHARD_CORRUPT',
      `Shard ${entry.file} holds ${shard.count} samples, the manifest says ${entry.count}.`,
      { hint },
    );
  return shard;
}

async function loadSplitData(
  dir: string,
  manifest: DataManifest,
  split: SplitName,
  verify: boolean,
): Promise<SplitData> {
  const entries = manifest.shards.filter((s) => s.split === split);
  const count = entries.reduce((n, e) => n + e.count, 0);
  const [h, w, c] = manifest.imageShape;
  const px = h * w * c;
  const data: SplitData = {
    split,
    count,
    imageShape: manifest.imageShape,
    pixels: new Uint8Array(count * px),
    labels: new Uint8Array(count),
    sources: new Uint8Array(count),
  };
  let at = 0;
  for (const entry of entries) {
    const shard = await readShard(dir, entry, verify);
    data.pixels.set(shard.pixels, at * px);
    data.labels.set(shard.labels, at);
    data.sources.set(shard.sources, at);
    at += shard.count;
  }
  return data;
}

/** Lookup table from a byte to its normalised float: one table read per pixel in the hot loop. */
/** The lookup table lives in @hcr/core (training workers and serving use it without @hcr/data). */
export { pixelLookupTable };

/** The sample order of one epoch: identity, or a seeded permutation that depends on (seed, epoch) only. */
export function epochOrder(count: number, shuffle: boolean, seed: number, epoch: number): Uint32Array {
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  if (shuffle) shuffleInPlace(order, createRng(seed * 1_000_003 + epoch));
  return order;
}

/** Copies the given samples of a split into a normalised batch. */
export function gatherBatch(data: SplitData, indices: Uint32Array, lut: Float32Array): Batch {
  const px = data.imageShape[0] * data.imageShape[1] * data.imageShape[2];
  const n = indices.length;
  const x = new Float32Array(n * px);
  const y = new Int32Array(n);
  const sources = new Uint8Array(n);
  const pixels = data.pixels;
  for (let b = 0; b < n; b++) {
    const i = indices[b]!;
    const src = i * px;
    const dst = b * px;
    for (let k = 0; k < px; k++) x[dst + k] = lut[pixels[src + k]!]!;
    y[b] = data.labels[i]!;
    sources[b] = data.sources[i]!;
  }
  return { size: n, x, y, sources, indices };
}

async function* iterateBatches(
  dataset: Dataset,
  split: SplitName,
  opts: BatchOptions,
): AsyncIterableIterator<Batch> {
  if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1)
    throw new RangeError(`batchSize must be a positive integer, got ${opts.batchSize}`);
  const data = await dataset.loadSplit(split);
  const order = epochOrder(data.count, opts.shuffle ?? split === 'train', opts.seed ?? 0, opts.epoch ?? 0);
  const lut = pixelLookupTable(opts.normalisation);
  for (let start = (opts.startBatch ?? 0) * opts.batchSize; start < data.count; start += opts.batchSize) {
    const end = Math.min(data.count, start + opts.batchSize);
    if (opts.dropLast && end - start < opts.batchSize) break;
    yield gatherBatch(data, order.subarray(start, end), lut);
  }
}
