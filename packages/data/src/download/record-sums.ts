import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from '@hcr/core';
import { DATASET_LOCK_PATH, type DatasetLock } from '../lock.js';

export interface RecordedSum {
  dataset: string;
  name: string;
  sha256: string;
}

/**
 * Lock-on-first-download: writes the sums of files the lock listed without a sha256 into the lock file
 * (re-read first, so edits made since this process started are kept; written to a temp file and renamed),
 * and into `inMemory`, so the rest of this run verifies against them. Only missing sums are filled in:
 * a sum already in the file is never replaced.
 */
export async function recordLockedSums(
  lockPath: string,
  sums: RecordedSum[],
  inMemory?: DatasetLock,
): Promise<void> {
  if (sums.length === 0) return;
  const onDisk = JSON.parse(await readFile(lockPath, 'utf8')) as DatasetLock;
  for (const lock of inMemory ? [onDisk, inMemory] : [onDisk])
    for (const s of sums) {
      const file = Object.values(lock.datasets[s.dataset]?.files ?? {}).find((f) => f.name === s.name);
      if (file && !file.sha256) file.sha256 = s.sha256;
    }
  await writeFileAtomic(lockPath, `${JSON.stringify(onDisk, null, 2)}\n`);
}

/** The sums a first download learnt, kept beside the files (never in the committed lock). */
export const RECORDED_SUMS_FILE = 'recorded-sums.json';

/** Whether `lockPath` is the lock this package ships (not one a user named with HCR_DATASET_LOCK). */
export function isCommittedLock(lockPath: string): boolean {
  return lockPath === fileURLToPath(DATASET_LOCK_PATH);
}

/**
 * Lock-on-first-download without touching the committed lock: each file's sum goes into recorded-sums.json in its
 * own folder (merged with what is there; temp file and rename). Editing the committed lock would leave a checkout
 * modified and change an input of every data task, so the next pipeline run would rebuild everything.
 */
export async function recordSumsBeside(
  files: { path: string; name: string; sha256: string }[],
): Promise<string[]> {
  const byDir = new Map<string, Record<string, string>>();
  for (const f of files) {
    const dir = dirname(f.path);
    const sums = byDir.get(dir) ?? { ...recordedSums(dir) };
    if (!sums[f.name]) sums[f.name] = f.sha256;
    byDir.set(dir, sums);
  }
  const written: string[] = [];
  for (const [dir, sums] of byDir) {
    const file = join(dir, RECORDED_SUMS_FILE);
    await writeFileAtomic(file, `${JSON.stringify({ formatVersion: 1, sha256: sums }, null, 2)}\n`);
    written.push(file);
  }
  return written;
}

/** The sums recorded beside the files of `dir` by a first download ({} when none, or unreadable). */
export function recordedSums(dir: string): Record<string, string> {
  try {
    const parsed = JSON.parse(readFileSync(join(dir, RECORDED_SUMS_FILE), 'utf8')) as { sha256?: unknown };
    return parsed.sha256 && typeof parsed.sha256 === 'object'
      ? (parsed.sha256 as Record<string, string>)
      : {};
  } catch {
    return {};
  }
}
