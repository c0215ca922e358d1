import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { HcrError } from '@hcr/core';
import { readDatasetManifest } from '../dataset-dir.js';
import { sha256 } from '../hash.js';
import type { LineManifest } from './manifest.js';

export interface LineVerifyResult {
  dir: string;
  kind: 'lines';
  ok: boolean;
  checked: number;
  bad: { file: string; problem: string }[];
}

/** Re-checks every line shard against its sha256 and size in the manifest. */
export async function verifyLineDataset(dir: string): Promise<LineVerifyResult> {
  const abs = resolve(dir);
  const read = await readDatasetManifest(abs);
  if (!read)
    throw new HcrError('LINES_MISSING', `No line dataset in ${abs} (no manifest.json).`, {
      hint: 'Run `hcr data lines prepare` first, or point at its output (default artifacts/data/lines).',
    });
  if (read.kind !== 'lines')
    throw new HcrError('LINES_MISSING', `${abs} holds character shards, not a line dataset.`, {
      hint: 'Verify character shards with `hcr data verify --dir <dir>`.',
    });
  const manifest = read.manifest as unknown as LineManifest;
  const bad: LineVerifyResult['bad'] = [];
  for (const s of manifest.shards) {
    let bytes: Uint8Array;
    try {
      bytes = await readFile(join(abs, s.file));
    } catch (e) {
      bad.push({
        file: s.file,
        problem: `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      });
      continue;
    }
    if (bytes.length !== s.bytes)
      bad.push({ file: s.file, problem: `${bytes.length} bytes, the manifest says ${s.bytes}` });
    else if (sha256(bytes) !== s.sha256)
      bad.push({ file: s.file, problem: 'sha256 does not match the manifest' });
  }
  return { dir: abs, kind: 'lines', ok: bad.length === 0, checked: manifest.shards.length, bad };
}
