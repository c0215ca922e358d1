import { resolve } from 'node:path';
import { HcrError } from '@hcr/core';
import { readDatasetManifest } from '../dataset-dir.js';
import { checkShardFiles, type ShardProblem } from '../shard-check.js';
import { decodeLineShard } from './format.js';
import type { LineManifest } from './manifest.js';

export interface LineVerifyResult {
  dir: string;
  kind: 'lines';
  ok: boolean;
  checked: number;
  bad: ShardProblem[];
}

/** Re-checks every line shard against its size and sha256 in the manifest, and its header. */
export async function verifyLineDataset(dir: string): Promise<LineVerifyResult> {
  const abs = resolve(dir);
  const read = await readDatasetManifest(abs, 'lines');
  if (!read)
    throw new HcrError('LINES_MISSING', `No line dataset in ${abs} (no manifest.json).`, {
      hint: 'Run `hcr data lines prepare` first, or point at its output (default artifacts/data/lines).',
    });
  if (read.kind !== 'lines')
    throw new HcrError('LINES_MISSING', `${abs} holds character shards, not a line dataset.`, {
      hint: 'Verify character shards with `hcr data verify --dir <dir>`.',
    });
  const manifest = read.manifest as unknown as LineManifest;
  const bad = await checkShardFiles(abs, manifest.shards, (bytes, file) => decodeLineShard(bytes, file, abs));
  return { dir: abs, kind: 'lines', ok: bad.length === 0, checked: manifest.shards.length, bad };
}
