import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { createRng } from '@hcr/core';

/** IDX bytes for uint8 data of the given dims. */
export function idxBytes(dims: number[], data: Uint8Array, magicByte2 = 0x08): Uint8Array {
  const header = new Uint8Array(4 + 4 * dims.length);
  const view = new DataView(header.buffer);
  header[2] = magicByte2;
  header[3] = dims.length;
  for (const [i, d] of dims.entries()) view.setUint32(4 + 4 * i, d, false);
  const out = new Uint8Array(header.length + data.length);
  out.set(header);
  out.set(data, header.length);
  return out;
}

/** Random 28x28 "characters": a bright blob at a random place, so normalisation has ink to work on. */
export function fakeImages(count: number, seed: number): Uint8Array {
  const rng = createRng(seed);
  const out = new Uint8Array(count * 784);
  for (let i = 0; i < count; i++) {
    const cx = 6 + rng.int(16);
    const cy = 6 + rng.int(16);
    const r = 2 + rng.int(5);
    for (let y = 0; y < 28; y++)
      for (let x = 0; x < 28; x++) {
        const d = Math.hypot(x - cx, y - cy);
        if (d <= r) out[i * 784 + y * 28 + x] = 255 - Math.round(40 * (d / r)) - rng.int(20);
      }
  }
  return out;
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

export interface Fixture {
  dataDir: string;
  lockPath: string;
  /** Overwrite one raw file (the lock keeps the original sum). */
  replace(dataset: string, name: string, bytes: Uint8Array): void;
}

/**
 * A small raw-data folder shaped like ../shared/data (mnist/, emnist-letters-repack/, emnist-digits-repack/)
 * plus a lock file with its sums: HCR_DATASET_LOCK points the data package at it.
 */
export function makeFixture(
  opts: {
    labelsFor?: (dataset: string, role: string, n: number) => Uint8Array | undefined;
    /** Also lock and place official EMNIST ByClass files (digits 0..9 included, as NIST ships them). */
    officialByClass?: boolean;
  } = {},
): Fixture {
  const root = mkdtempSync(join(tmpdir(), 'hcr-data-fixture-'));
  const dataDir = join(root, 'raw');
  const lock: {
    formatVersion: 1;
    datasets: Record<string, { description: string; files: Record<string, unknown> }>;
  } = {
    formatVersion: 1,
    datasets: {},
  };
  const sets: [string, string, number, (i: number) => number][] = [
    ['mnist', 'train', 120, (i) => i % 10],
    ['mnist', 'test', 30, (i) => i % 10],
    ['emnist-letters-repack', 'train', 156, (i) => 1 + (i % 26)],
    ['emnist-letters-repack', 'test', 52, (i) => 1 + (i % 26)],
    ['emnist-digits-repack', 'test', 40, (i) => i % 10],
    ['emnist-letters', 'train', 52, (i) => 1 + (i % 26)],
    ['emnist-letters', 'test', 26, (i) => 1 + (i % 26)],
    // Case-sensitive letters in ByClass numbering (10..35 A..Z, 36..61 a..z): two of each train, one test.
    ['emnist-byclass-repack', 'train', 104, (i) => 10 + (i % 52)],
    ['emnist-byclass-repack', 'test', 52, (i) => 10 + (i % 52)],
  ];
  if (opts.officialByClass)
    sets.push(['emnist-byclass', 'train', 124, (i) => i % 62], ['emnist-byclass', 'test', 62, (i) => i % 62]);
  let seed = 1;
  for (const [dataset, role, n, label] of sets) {
    const dir = join(dataDir, dataset);
    mkdirSync(dir, { recursive: true });
    const prefix = dataset === 'mnist' ? (role === 'train' ? 'train' : 't10k') : `${dataset}-${role}`;
    const labels = opts.labelsFor?.(dataset, role, n) ?? Uint8Array.from({ length: n }, (_, i) => label(i));
    const files = {
      [`${role}-images`]: [`${prefix}-images-idx3-ubyte.gz`, idxBytes([n, 28, 28], fakeImages(n, seed++))],
      [`${role}-labels`]: [`${prefix}-labels-idx1-ubyte.gz`, idxBytes([labels.length], labels)],
    } as Record<string, [string, Uint8Array]>;
    lock.datasets[dataset] ??= { description: dataset, files: {} };
    for (const [fileRole, [name, raw]] of Object.entries(files)) {
      const gz = gzipSync(raw, { level: 1 });
      // the official EMNIST files are absent unless a test puts them in place
      if (dataset !== 'emnist-letters') writeFileSync(join(dir, name), gz);
      lock.datasets[dataset]!.files[fileRole] = {
        name,
        bytes: gz.length,
        sha256: sha(gz),
        uncompressedSha256: sha(raw),
      };
    }
  }
  const lockPath = join(root, 'datasets.lock.json');
  writeFileSync(lockPath, JSON.stringify(lock));
  return {
    dataDir,
    lockPath,
    replace: (dataset, name, bytes) => writeFileSync(join(dataDir, dataset, name), bytes),
  };
}
