import { resolve } from 'node:path';
import { HcrError } from '@hcr/core';
import { DEFAULT_LINES_DIR } from './lines/manifest.js';
import { DEFAULT_DATASET_DIR } from './manifest.js';

/** Which prepared dataset a folder holds, by its manifest: character shards or lines. */
export type DatasetKind = 'characters' | 'lines';

/**
 * The command that writes the dataset in `dir` again, as a user types it: prepareCommand's with `--force`
 * (a label space's default folder gets its `--labels` or `--config`; any other folder `--out`, which needs the
 * options it was made with).
 */
export function rebuildCommand(dir: string, kind: DatasetKind): string {
  const prepare = prepareCommand(dir, kind);
  const forced = `${prepare.slice(0, -1)} --force\``;
  return prepare.includes(' --out ') ? `${forced} (with the options it was made with)` : forced;
}

/**
 * The command that prepares the dataset expected in `dir`, as a user types it: a label space's default folder
 * (`artifacts/data/shards-62`, `artifacts/data/lines-62`) gets that label space's command, any other folder `--out`.
 */
export function prepareCommand(dir: string, kind: DatasetKind): string {
  const lines = kind === 'lines';
  const base = resolve(lines ? DEFAULT_LINES_DIR : DEFAULT_DATASET_DIR);
  const abs = resolve(dir);
  if (abs === base) return lines ? '`hcr data lines prepare`' : '`hcr data prepare`';
  const labels = abs.startsWith(`${base}-`) ? abs.slice(base.length + 1) : '';
  // configs/lines-62.json is the only line config of another label space
  if (labels === '62' || (!lines && labels === '47'))
    return lines
      ? `\`hcr data lines prepare --config configs/lines-${labels}.json\``
      : `\`hcr data prepare --labels ${labels}\``;
  return lines ? `\`hcr data lines prepare --out ${dir}\`` : `\`hcr data prepare --out ${dir}\``;
}

/**
 * The rebuild command of the dataset in `dir`, or, for a shard decoded without knowing its folder, the command
 * with a placeholder for it (not the default folder's, which may be another dataset).
 */
export function rebuildCommandFor(dir: string | undefined, kind: DatasetKind): string {
  if (dir !== undefined) return rebuildCommand(dir, kind);
  return kind === 'lines'
    ? '`hcr data lines prepare --out <its folder> --force` (with the options it was made with)'
    : '`hcr data prepare --out <its folder> --force` (with the options it was made with)';
}

/** A manifest or shard another version of hcr wrote: rebuild it with this one (or read it with that one). */
export function datasetVersionError(
  what: string,
  problem: string,
  dir: string | undefined,
  kind: DatasetKind,
): HcrError {
  return new HcrError(
    'DATASET_VERSION',
    `${what} was written by another version of hcr (${problem}): the dataset cannot be read.`,
    {
      hint: `Rebuild it with this version: ${rebuildCommandFor(dir, kind)}, or use the hcr version that made it.`,
    },
  );
}
