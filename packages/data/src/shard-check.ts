import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sha256 } from './hash.js';

/** What a manifest says of one shard file. */
export interface ShardEntry {
  file: string;
  /** Size in bytes, where the manifest records it. */
  bytes?: number;
  sha256: string;
}

export interface ShardProblem {
  file: string;
  problem: string;
}

/**
 * Every shard of a manifest read back and checked in turn: that it can be read, its size, its sha256, then
 * `decode` (the format's own header check, which throws naming the problem). Every problem is reported, not the
 * first alone. Character and line datasets verify their shards with it.
 */
export async function checkShardFiles(
  dir: string,
  shards: readonly ShardEntry[],
  decode: (bytes: Uint8Array, file: string) => unknown,
): Promise<ShardProblem[]> {
  const bad: ShardProblem[] = [];
  for (const entry of shards) {
    let bytes: Uint8Array;
    try {
      bytes = await readFile(join(dir, entry.file));
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
      decode(bytes, entry.file);
    } catch (e) {
      bad.push({ file: entry.file, problem: (e as Error).message });
    }
  }
  return bad;
}
