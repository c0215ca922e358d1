import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { HcrError } from '@hcr/core';

/** One file of a dataset as distributed, with the sums that verify it. */
export interface LockedFile {
  name: string;
  /** Size as distributed; absent where it was not known when locked (a zip member: the zip's directory has it). */
  bytes?: number;
  /**
   * sha256 of the file as distributed (gz). Absent for a file whose sum was not known when it was locked:
   * the first download records it (beside the file with the committed lock, `recordSumsBeside`; in a lock of the
   * user's own, `recordLockedSums`) and says so.
   */
  sha256?: string;
  /** sha256 of the decompressed file, where known: an already-gunzipped copy is accepted too. */
  uncompressedSha256?: string;
}

export type FileRole = 'train-images' | 'train-labels' | 'test-images' | 'test-labels';

export interface LockedDataset {
  description: string;
  baseUrl?: string;
  zipUrl?: string;
  zipMemberPrefix?: string;
  files: Partial<Record<FileRole, LockedFile>>;
}

export interface DatasetLock {
  formatVersion: 1;
  datasets: Record<string, LockedDataset>;
}

/** The committed lock file: where the official files come from and what their sha256 must be. */
export const DATASET_LOCK_PATH = new URL('../datasets.lock.json', import.meta.url);

const cache = new Map<string, DatasetLock>();

/** The lock file in force: HCR_DATASET_LOCK, else the committed one. */
export function datasetLockPath(env: NodeJS.ProcessEnv = process.env): string {
  // fileURLToPath, not .pathname: an install under a path with a space or a non-ASCII letter stays readable.
  return env.HCR_DATASET_LOCK || fileURLToPath(DATASET_LOCK_PATH);
}

/**
 * The lock in force: the committed one, or the file named by HCR_DATASET_LOCK (a mirror with other files,
 * or test fixtures). Same format.
 */
export function datasetLock(env: NodeJS.ProcessEnv = process.env): DatasetLock {
  const path = datasetLockPath(env);
  let lock = cache.get(path);
  if (!lock) {
    lock = readLock(path, Boolean(env.HCR_DATASET_LOCK));
    cache.set(path, lock);
  }
  return lock;
}

/**
 * A lock file read and checked for its `datasets`: a missing, non-JSON or empty HCR_DATASET_LOCK was a bare ENOENT,
 * a JSON parser's message or "Cannot read properties of undefined", none naming the variable.
 */
function readLock(path: string, fromEnv: boolean): DatasetLock {
  const what = fromEnv ? `HCR_DATASET_LOCK names ${path}, which` : `The dataset lock ${path}`;
  const hint = fromEnv
    ? 'Point HCR_DATASET_LOCK at a lock of the format of datasets.lock.json ({ "formatVersion": 1, "datasets": { "<name>": { "files": { ... } } } }), or unset it to use the one hcr ships.'
    : 'The lock hcr ships is damaged: reinstall @hcr/data (or restore packages/data/datasets.lock.json).';
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    const why =
      e instanceof SyntaxError
        ? `is not valid JSON (${e.message})`
        : `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`;
    throw new HcrError('DATASET_LOCK', `${what} ${why}.`, { hint });
  }
  const datasets = (parsed as { datasets?: unknown } | null)?.datasets;
  if (!datasets || typeof datasets !== 'object' || Array.isArray(datasets))
    throw new HcrError('DATASET_LOCK', `${what} has no "datasets" object.`, { hint });
  return parsed as DatasetLock;
}

export function lockedDataset(name: string): LockedDataset {
  const d = datasetLock().datasets[name];
  if (!d)
    throw new RangeError(
      `dataset '${name}' is not in ${process.env.HCR_DATASET_LOCK ? `the lock HCR_DATASET_LOCK names (${datasetLockPath()})` : 'datasets.lock.json'} (known: ${Object.keys(datasetLock().datasets).join(', ') || 'none'})`,
    );
  return d;
}
