import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { sha256 } from '../hash.js';
import type { LineManifest } from './manifest.js';

export interface LineVerifyResult {
  dir: string;
  ok: boolean;
  checked: number;
  bad: { file: string; problem: string }[];
}

/** Re-checks every line shard against its sha256 and size in the manifest. */
export async function verifyLineDataset(dir: string): Promise<LineVerifyResult> {
  const abs = resolve(dir);
  const manifest = JSON.parse(await readFile(join(abs, 'manifest.json'), 'utf8')) as LineManifest;
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
  return { dir: abs, ok: bad.length === 0, checked: manifest.shards.length, bad };
}
