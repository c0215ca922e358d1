import { constants } from 'node:fs';
import { access, mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { dirname, extname, join, resolve } from 'node:path';
import { HcrError } from '@hcr/core';
import { DEFAULT_LINES_DIR } from './lines/manifest.js';
import { DEFAULT_DATASET_DIR } from './manifest.js';

/** What a dataset folder holds: its manifest and shard files (character `.shard`, line `.lines`). */
const SHARD_EXTENSION = { characters: '.shard', lines: '.lines' } as const;

/**
 * Checks, before any work, that `outDir` can take a dataset of `kind`: its parent is writable, and it is absent,
 * empty or a dataset of that kind (only a manifest and shards). Preparing replaces the whole folder, so a folder
 * holding anything else (`--out ~/Documents` by mistake, or the other kind of dataset) is refused, not emptied.
 */
export async function checkDatasetOutput(outDir: string, kind: DatasetKind): Promise<void> {
  const parent = dirname(outDir);
  try {
    await mkdir(parent, { recursive: true });
    await access(parent, constants.W_OK);
  } catch (e) {
    throw new HcrError(
      'OUTPUT_NOT_WRITABLE',
      `Cannot write the dataset to ${outDir}: ${(e as Error).message}.`,
      { hint: 'Choose a writable directory with --out, or fix the permissions.' },
    );
  }
  const found = await stat(outDir).then(
    (s) => (s.isDirectory() ? 'dir' : 'file'),
    () => 'none',
  );
  if (found === 'none') return;
  const hint =
    'Preparing replaces the whole folder: choose an --out folder of its own (new or empty), or move those files away.';
  if (found === 'file')
    throw new HcrError('OUTPUT_NOT_DATASET', `${outDir} is a file, not a dataset folder.`, { hint });
  const ours = (name: string) => name === 'manifest.json' || extname(name) === SHARD_EXTENSION[kind];
  const foreign = (await readdir(outDir)).filter((name) => !ours(name));
  const what = kind === 'lines' ? 'a line dataset' : 'a character dataset';
  if (foreign.length)
    throw new HcrError(
      'OUTPUT_NOT_DATASET',
      `${outDir} holds ${foreign.length === 1 ? 'a file' : `${foreign.length} files`} that ${what} does not (${foreign.slice(0, 5).join(', ')}${foreign.length > 5 ? ', ...' : ''}).`,
      { hint },
    );
}

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
 * A dataset folder's manifest.json: read, parsed and checked for the fields every reader needs, or an error
 * naming the file and how to rebuild it. `kind` is what the manifest says it is (line manifests carry
 * `kind: 'hcr-lines'`, character manifests no kind).
 */
export async function readDatasetManifest(
  dir: string,
): Promise<{ text: string; manifest: Record<string, unknown>; kind: DatasetKind } | undefined> {
  const file = join(dir, 'manifest.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw damaged(dir, file, `is not valid JSON (${(e as Error).message})`, await kindByShards(dir));
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    throw damaged(dir, file, 'is not a JSON object', await kindByShards(dir));
  const manifest = parsed as Record<string, unknown>;
  const kind: DatasetKind = manifest.kind === 'hcr-lines' ? 'lines' : 'characters';
  const shards = manifest.shards;
  const shardOk = (s: unknown) =>
    !!s &&
    typeof s === 'object' &&
    typeof (s as { file?: unknown }).file === 'string' &&
    typeof (s as { split?: unknown }).split === 'string' &&
    Number.isInteger((s as { count?: unknown }).count) &&
    typeof (s as { sha256?: unknown }).sha256 === 'string';
  if (!Array.isArray(shards) || !shards.every(shardOk))
    throw damaged(dir, file, 'has no list of shards (file, split, count, sha256 each)', kind);
  if (kind === 'characters') {
    const shape = manifest.imageShape;
    if (!Array.isArray(shape) || shape.length !== 3 || !shape.every((n) => Number.isInteger(n) && n > 0))
      throw damaged(dir, file, 'has no imageShape [height, width, channels]', kind);
    if (!Array.isArray(manifest.classNames)) throw damaged(dir, file, 'has no classNames', kind);
  }
  return { text, manifest, kind };
}

/** A folder's kind by its shard files, for a manifest that cannot say: line shards, else characters. */
async function kindByShards(dir: string): Promise<DatasetKind> {
  const files = await readdir(dir).catch(() => []);
  return files.some((f) => extname(f) === SHARD_EXTENSION.lines) ? 'lines' : 'characters';
}

function damaged(dir: string, file: string, problem: string, kind: DatasetKind): HcrError {
  return new HcrError('SHARDS_CORRUPT', `${file} ${problem}: the dataset cannot be read.`, {
    hint: `It was damaged or edited after it was written: rebuild it with ${rebuildCommand(dir, kind)}.`,
  });
}
