import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '@hcr/core';
import type { DatasetLock } from '../lock.js';

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
