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
  SPLITS,
  type SplitName,
} from './manifest.js';
import { decodeShard, type ShardData } from './shard-format.js';

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
  const read = await readDatasetManifest(abs, 'characters');
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
      // an unknown split ('tset') used to load as an empty one: 0 batches, no error
      if (!SPLITS.includes(split))
        return Promise.reject(
          new HcrError('DATA_SPLIT', `No split '${split}' in a character dataset.`, {
            hint: `Use ${SPLITS.join(', ')}.`,
          }),
        );
      let p = cache.get(split);
      if (!p || opts.verify) {
        const loading = loadSplitData(abs, manifest, split, opts.verify ?? false);
        cache.set(split, loading);
        // a failed load is not kept: the next call reads the shards again (a shard restored meanwhile)
        loading.catch(() => {
          if (cache.get(split) === loading) cache.delete(split);
        });
        p = loading;
      }
      return p;
    },
    batches: (split, opts) => iterateBatches(dataset, split, opts),
  };
  return dataset;
}

async function readShard(dir: string, manifest: DataManifest, entry: ShardEntry, verify: boolean) {
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
  const shard = decodeShard(bytes, entry.file, dir);
  if (shard.count !== entry.count)
    throw new HcrError(
      'SHARD_CORRUPT',
      `Shard ${entry.file} holds ${shard.count} samples, the manifest says ${entry.count}.`,
      { hint },
    );
  checkShardFitsManifest(shard, entry.file, manifest, dir);
  return shard;
}

/**
 * A decoded shard's image shape and labels against its manifest: a shard of another dataset (a 62-class one's
 * among 36 classes, 32x32 images among 28x28) or a changed label byte would otherwise load as wrong labels,
 * zero-filled images or a RangeError. One pass over the labels: cheap beside reading the pixels.
 */
export function checkShardFitsManifest(
  shard: ShardData,
  file: string,
  manifest: DataManifest,
  dir: string,
): void {
  const hint = `Rebuild the dataset with ${rebuildCommand(dir, 'characters')}.`;
  const shape = [shard.height, shard.width, shard.channels];
  if (shape.join() !== manifest.imageShape.join())
    throw new HcrError(
      'SHARD_CORRUPT',
      `Shard ${file} holds ${shape.join('x')} images; the manifest says ${manifest.imageShape.join('x')}.`,
      { hint },
    );
  const classes = manifest.classNames.length;
  const labels = shard.labels;
  for (let i = 0; i < labels.length; i++)
    if (labels[i]! >= classes)
      throw new HcrError(
        'SHARD_CORRUPT',
        `Shard ${file} holds label ${labels[i]} (sample ${i}); the dataset has ${classes} classes (${manifest.labelSpace ?? 'hcr36'}).`,
        { hint: `It belongs to another dataset or was changed. ${hint}` },
      );
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
    const shard = await readShard(dir, manifest, entry, verify);
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
  // createRng keeps the low 32 bits of seed * 1_000_003 + epoch: below 2^32 every epoch of a seed differs;
  // above it (beyond 2^53 exactly) epochs collided and repeated one order, so such seeds are refused.
  if (!(Number.isInteger(seed) && seed >= 0 && seed < 2 ** 32))
    throw new RangeError(
      `epochOrder: the seed must be a whole number in [0, 2^32) (0..4294967295), got ${seed}`,
    );
  if (!(Number.isInteger(epoch) && epoch >= 0 && epoch < 2 ** 32))
    throw new RangeError(`epochOrder: the epoch must be a whole number in [0, 2^32), got ${epoch}`);
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
  const startBatch = opts.startBatch ?? 0;
  if (!Number.isInteger(startBatch) || startBatch < 0)
    throw new RangeError(`startBatch must be a whole number >= 0, got ${opts.startBatch}`);
  const data = await dataset.loadSplit(split);
  const order = epochOrder(data.count, opts.shuffle ?? split === 'train', opts.seed ?? 0, opts.epoch ?? 0);
  const lut = pixelLookupTable(opts.normalisation);
  for (let start = startBatch * opts.batchSize; start < data.count; start += opts.batchSize) {
    const end = Math.min(data.count, start + opts.batchSize);
    if (opts.dropLast && end - start < opts.batchSize) break;
    yield gatherBatch(data, order.subarray(start, end), lut);
  }
}
