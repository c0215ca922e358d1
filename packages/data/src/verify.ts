import { resolve } from 'node:path';
import { type DatasetKind, readDatasetManifest } from './dataset-dir.js';
import { verifyLineDataset } from './lines/verify.js';
import { DEFAULT_DATASET_DIR } from './manifest.js';
import { checkShardFitsManifest, openDataset } from './reader.js';
import { checkShardFiles, type ShardProblem } from './shard-check.js';
import { decodeShard } from './shard-format.js';

export interface VerifyResult {
  dir: string;
  /** What the folder holds: character shards, or a line dataset (verified as one). */
  kind: DatasetKind;
  ok: boolean;
  checked: number;
  /** Shards that are missing, unreadable, or do not match their manifest sha256, with why. */
  bad: ShardProblem[];
}

/**
 * Re-checks every shard against the manifest: presence, size, sha256, header. Reports all problems, not just the
 * first. A line dataset is verified as one (verifyLineDataset).
 */
export async function verifyDataset(dir?: string): Promise<VerifyResult> {
  if ((await readDatasetManifest(resolve(dir ?? DEFAULT_DATASET_DIR)))?.kind === 'lines')
    return verifyLineDataset(resolve(dir!));
  const dataset = await openDataset(dir);
  const { dir: abs, manifest } = dataset;
  // each shard's header, then its image shape and labels against the manifest (what the reader checks)
  const bad = await checkShardFiles(abs, manifest.shards, (bytes, file) =>
    checkShardFitsManifest(decodeShard(bytes, file, abs), file, manifest, abs),
  );
  return {
    dir: abs,
    kind: 'characters',
    ok: bad.length === 0,
    checked: manifest.shards.length,
    bad,
  };
}
