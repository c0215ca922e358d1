import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  createRng,
  HcrError,
  isHcrError,
  type LabelSpace,
  type LetterSource,
  shuffleInPlace,
  sourceName,
  writeDirAtomic,
} from '@hcr/core';
import { normaliseCharacter } from '@hcr/image';
import { configLabelSpace, type DataConfig, resolveDataConfig } from './config.js';
import {
  checkDatasetOutput,
  datasetWriteTarget,
  readDatasetManifest,
  sweepInterrupted,
} from './dataset-dir.js';
import { sha256 } from './hash.js';
import type { DataDirOptions } from './locate.js';
import {
  type DataManifest,
  defaultDatasetDir,
  MANIFEST_FILE,
  type RawInputEntry,
  type ShardEntry,
  type SplitCounts,
  type SplitName,
} from './manifest.js';
import {
  locateParts,
  partSpecs,
  type RawPart,
  readPart,
  resolveExtraSource,
  resolveLetterSource,
  unverifiedNotice,
  verifyRawFile,
} from './raw-sources.js';
import { encodeShard } from './shard-format.js';
import { verifyDataset } from './verify.js';

const SIDE = 28;
const PIXELS = SIDE * SIDE;

export interface PrepareOptions extends DataDirOptions {
  config?: Partial<DataConfig>;
  /** Output directory (manifest.json + shard files). */
  outDir?: string;
  /** Rebuild even when the prepared dataset is up to date (same config, same raw files, shards intact). */
  force?: boolean;
  /** Progress lines ("verifying mnist train-images", ...). */
  onProgress?: (message: string) => void;
}

export interface PrepareResult {
  outDir: string;
  manifest: DataManifest;
  manifestSha256: string;
  /** True when an identical, intact dataset was already there and nothing was rebuilt. */
  upToDate: boolean;
}

/** A split being assembled: concatenated samples plus their order. */
interface SplitBuffer {
  images: Uint8Array;
  labels: Uint8Array;
  sources: Uint8Array;
  count: number;
}

/**
 * Raw IDX files -> verified, normalised, deterministic shards + manifest.
 * Everything is checked before anything is written; the output directory appears whole or not at all.
 */
export async function prepareShards(options: PrepareOptions = {}): Promise<PrepareResult> {
  const config = resolveDataConfig(options.config);
  const space = configLabelSpace(config);
  const outDir = resolve(options.outDir ?? defaultDatasetDir(space));
  const progress = options.onProgress ?? (() => {});
  const letterSource: LetterSource = resolveLetterSource(config.letters, options, space);
  const extras = config.extra.map((choice) => resolveExtraSource(choice, options));
  const twice = extras.findIndex((e, i) => extras.indexOf(e) !== i);
  if (twice >= 0) {
    const first = extras.indexOf(extras[twice]!);
    throw new HcrError(
      'DATA_CONFIG',
      `Data config field 'extra' is ${JSON.stringify(config.extra)}: '${config.extra[first]}' and '${config.extra[twice]}' are both ${extras[twice]} on this machine ('auto' takes the offline repack when the official files are absent), so the extra split would hold each of its images twice.`,
      { hint: 'List each extra test set once (e.g. "extra": ["auto"]).' },
    );
  }
  const specs = partSpecs(letterSource, extras, space);
  const located = locateParts([...specs.train, ...specs.test, ...specs.extra], options);
  const why = letterSource.endsWith('-repack')
    ? 'official files not found, using the offline repack'
    : 'official files found';
  if (space.id !== 'hcr36') progress(`label space: ${space.id} (${space.classes.length} classes)`);
  progress(`letters source: ${letterSource}${config.letters === 'auto' ? ` (auto: ${why})` : ''}`);
  if (extras.length) progress(`extra test sets: ${extras.join(', ')}`);
  // an up-to-date dataset where this user cannot write (read-only, shared) is fine: refused only if it must be written
  const target = await datasetWriteTarget(outDir); // a symbolic link's folder: the link is kept
  const unwritable = await checkDatasetOutput(target, 'characters', { unwritable: 'return' });
  if (unwritable && (options.force || !existsSync(join(outDir, MANIFEST_FILE)))) throw unwritable; // no dataset to keep

  const rawInputs: RawInputEntry[] = [];
  for (const [spec, files] of located) {
    for (const f of files) {
      progress(`verifying ${spec.dataset} ${f.role}`);
      rawInputs.push(await verifyRawFile(f));
    }
  }
  const unchecked = unverifiedNotice(rawInputs);
  if (unchecked) progress(unchecked);
  const processing = processingFingerprint(config);
  if (!options.force) {
    const existing = await upToDateDataset(outDir, config, processing, letterSource, rawInputs);
    if (existing) {
      progress('up to date: same config, processing and raw files, every shard matches its sha256');
      await sweepInterrupted(target, progress);
      return { outDir, ...existing, upToDate: true };
    }
  }
  if (unwritable) throw unwritable;

  const readGroup = async (group: typeof specs.train): Promise<RawPart[]> => {
    const parts: RawPart[] = [];
    for (const spec of group) {
      progress(`reading ${spec.dataset} ${spec.images}`);
      const part = await readPart(spec, located.get(spec)!);
      if (config.normalise === 'canonical') {
        progress(`normalising ${part.count} ${spec.dataset} images`);
        normaliseAll(part.images, part.count);
      }
      parts.push(part);
    }
    return parts;
  };

  const train = concat(await readGroup(specs.train));
  const { train: trainSplit, val } = stratifiedHoldout(train, config.valFraction, config.seed);
  const splits: Record<SplitName, SplitBuffer> = {
    train: trainSplit,
    val,
    test: concat(await readGroup(specs.test)),
    extra: concat(await readGroup(specs.extra)),
  };

  const shards: ShardEntry[] = [];
  const classCount = space.classes.length;
  const counts = {} as Record<SplitName, SplitCounts>;
  let manifest: DataManifest | undefined;
  await writeDirAtomic(
    target,
    async (tmp) => {
      for (const [split, buf] of Object.entries(splits) as [SplitName, SplitBuffer][]) {
        counts[split] = countSplit(buf, classCount);
        for (let start = 0, index = 0; start < buf.count; start += config.shardSize, index++) {
          const end = Math.min(buf.count, start + config.shardSize);
          const bytes = encodeShard({
            count: end - start,
            height: SIDE,
            width: SIDE,
            channels: 1,
            pixels: buf.images.subarray(start * PIXELS, end * PIXELS),
            labels: buf.labels.subarray(start, end),
            sources: buf.sources.subarray(start, end),
          });
          const file = `${split}-${String(index).padStart(4, '0')}.shard`;
          progress(`writing ${file}`);
          await writeFile(join(tmp, file), bytes);
          shards.push({ file, split, count: end - start, bytes: bytes.length, sha256: sha256(bytes) });
        }
      }
      manifest = buildManifest(config, processing, space, letterSource, counts, shards, rawInputs);
      await writeFile(join(tmp, MANIFEST_FILE), manifestText(manifest));
    },
    { replace: true },
  );
  return { outDir, manifest: manifest!, manifestSha256: sha256(manifestText(manifest!)), upToDate: false };
}

function buildManifest(
  config: DataConfig,
  processing: string,
  space: LabelSpace,
  letterSource: LetterSource,
  counts: Record<SplitName, SplitCounts>,
  shards: ShardEntry[],
  rawInputs: RawInputEntry[],
): DataManifest {
  return {
    formatVersion: 1,
    shardFormatVersion: 1,
    labelSpace: space.id,
    classNames: [...space.classes],
    imageShape: [SIDE, SIDE, 1],
    letterSource,
    config,
    processing,
    counts,
    shards,
    rawInputs,
  };
}

export function manifestText(m: DataManifest): string {
  return `${JSON.stringify(m, null, 2)}\n`;
}

/**
 * The dataset already in `outDir` when it was made from the same config and raw files and every shard still
 * matches its sha256; undefined otherwise (missing, different, or damaged: then it is rebuilt and replaced).
 */
async function upToDateDataset(
  outDir: string,
  config: DataConfig,
  processing: string,
  letterSource: LetterSource,
  rawInputs: RawInputEntry[],
): Promise<{ manifest: DataManifest; manifestSha256: string } | undefined> {
  let read: Awaited<ReturnType<typeof readDatasetManifest>>;
  try {
    read = await readDatasetManifest(outDir, 'characters');
  } catch (e) {
    // a damaged manifest (not JSON, or JSON without shards, counts...) or another version's: rebuilt and replaced
    if (isHcrError(e)) return undefined;
    throw e;
  }
  if (read?.kind !== 'characters') return undefined;
  const { text } = read;
  const manifest = read.manifest as unknown as DataManifest;
  const same =
    JSON.stringify(manifest.config) === JSON.stringify(config) &&
    manifest.processing === processing &&
    manifest.letterSource === letterSource &&
    JSON.stringify(manifest.rawInputs?.map((r) => r.sha256)) ===
      JSON.stringify(rawInputs.map((r) => r.sha256));
  if (!same || !(await verifyDataset(outDir)).ok) return undefined;
  return { manifest, manifestSha256: sha256(text) };
}

/**
 * What this version of the code does to the raw pixels, as a hash: `canonical` normalises a fixed set of
 * made-up characters (thin, thick, off-centre, small, large) with the same code as the shards; `raw` keeps
 * pixels. Shards another version made are rebuilt rather than called up to date.
 */
export function processingFingerprint(config: Pick<DataConfig, 'normalise'>): string {
  if (config.normalise !== 'canonical') return 'raw';
  const rng = createRng(20261201);
  const probes = new Uint8Array(8 * PIXELS);
  for (let i = 0; i < 8; i++) {
    const [x0, y0, r] = [2 + rng.int(12), 2 + rng.int(12), 2 + i];
    for (let y = y0; y < Math.min(SIDE, y0 + 3 * r); y++)
      for (let x = x0; x < Math.min(SIDE, x0 + 2 * r); x++)
        if (x - x0 < 1 + (i % 3) || y - y0 < 1 + (i % 2))
          probes[i * PIXELS + y * SIDE + x] = 128 + rng.int(128);
  }
  normaliseAll(probes, 8);
  return sha256(probes).slice(0, 16);
}

function normaliseAll(images: Uint8Array, count: number): void {
  const out = new Uint8Array(PIXELS);
  for (let i = 0; i < count; i++) {
    const view = images.subarray(i * PIXELS, (i + 1) * PIXELS);
    normaliseCharacter(view, SIDE, SIDE, {}, out);
    view.set(out);
  }
}

function concat(parts: RawPart[]): SplitBuffer {
  const count = parts.reduce((n, p) => n + p.count, 0);
  const buf: SplitBuffer = {
    images: new Uint8Array(count * PIXELS),
    labels: new Uint8Array(count),
    sources: new Uint8Array(count),
    count,
  };
  let at = 0;
  for (const p of parts) {
    buf.images.set(p.images, at * PIXELS);
    buf.labels.set(p.labels, at);
    buf.sources.set(p.sourceIds, at);
    at += p.count;
  }
  return buf;
}

function take(buf: SplitBuffer, order: number[]): SplitBuffer {
  const out: SplitBuffer = {
    images: new Uint8Array(order.length * PIXELS),
    labels: new Uint8Array(order.length),
    sources: new Uint8Array(order.length),
    count: order.length,
  };
  order.forEach((src, dst) => {
    out.images.set(buf.images.subarray(src * PIXELS, (src + 1) * PIXELS), dst * PIXELS);
    out.labels[dst] = buf.labels[src]!;
    out.sources[dst] = buf.sources[src]!;
  });
  return out;
}

/** Seeded validation holdout, stratified per (class, source); both keep the original sample order. */
function stratifiedHoldout(
  buf: SplitBuffer,
  fraction: number,
  seed: number,
): { train: SplitBuffer; val: SplitBuffer } {
  const groups = new Map<number, number[]>();
  for (let i = 0; i < buf.count; i++) {
    const key = buf.labels[i]! * 256 + buf.sources[i]!;
    const g = groups.get(key) ?? [];
    if (g.length === 0) groups.set(key, g);
    g.push(i);
  }
  const rng = createRng(seed);
  const isVal = new Uint8Array(buf.count);
  for (const key of [...groups.keys()].sort((a, b) => a - b)) {
    const members = shuffleInPlace([...groups.get(key)!], rng);
    for (const i of members.slice(0, Math.round(members.length * fraction))) isVal[i] = 1;
  }
  const trainIdx: number[] = [];
  const valIdx: number[] = [];
  for (let i = 0; i < buf.count; i++) (isVal[i] ? valIdx : trainIdx).push(i);
  return { train: take(buf, trainIdx), val: take(buf, valIdx) };
}

function countSplit(buf: SplitBuffer, classCount: number): SplitCounts {
  const perClass = new Array<number>(classCount).fill(0);
  const perSource: SplitCounts['perSource'] = {};
  for (let i = 0; i < buf.count; i++) {
    perClass[buf.labels[i]!]!++;
    const s = sourceName(buf.sources[i]!);
    perSource[s] = (perSource[s] ?? 0) + 1;
  }
  return { total: buf.count, perClass, perSource };
}
