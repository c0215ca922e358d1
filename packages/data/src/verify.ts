import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { type DatasetKind, readDatasetManifest } from './dataset-dir.js';
import { sha256 } from './hash.js';
import { verifyLineDataset } from './lines/verify.js';
import { DEFAULT_DATASET_DIR } from './manifest.js';
import { openDataset } from './reader.js';
import { decodeShard } from './shard-format.js';

export interface VerifyResult {
  dir: string;
  /** What the folder holds: character shards, or a line dataset (verified as one). */
  kind: DatasetKind;
  ok: boolean;
  checked: number;
  /** Shards that are missing, unreadable, or do not match their manifest sha256, with why. */
  bad: { file: string; problem: string }[];
}

/**
 * Re-checks every shard against the manifest: presence, size, sha256, header. Reports all problems, not just the
 * first. A line dataset is verified as one (verifyLineDataset).
 */
export async function verifyDataset(dir?: string): Promise<VerifyResult> {
  if ((await readDatasetManifest(resolve(dir ?? DEFAULT_DATASET_DIR)))?.kind === 'lines')
    return verifyLineDataset(resolve(dir!));
  const dataset = await openDataset(dir);
  const bad: VerifyResult['bad'] = [];
  for (const entry of dataset.manifest.shards) {
    let bytes: Uint8Array;
    try {
      bytes = await readFile(join(dataset.dir, entry.file));
    } catch (e) {
      bad.push({
        file: entry.file,
        problem: `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      });
      continue;
    }
    if (entry.bytes !== undefined && bytes.length !== entry.bytes) {
      bad.push({ file: entry.file, problem: `${bytes.length} bytes, the manifest says ${entry.bytes}` });
      continue;
    }
    const actual = sha256(bytes);
    if (actual !== entry.sha256) {
      bad.push({
        file: entry.file,
        problem: `sha256 ${actual} does not match the manifest (${entry.sha256})`,
      });
      continue;
    }
    try {
      decodeShard(bytes, entry.file);
    } catch (e) {
      bad.push({ file: entry.file, problem: (e as Error).message });
    }
  }
  return {
    dir: dataset.dir,
    kind: 'characters',
    ok: bad.length === 0,
    checked: dataset.manifest.shards.length,
    bad,
  };
}
