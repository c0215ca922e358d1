import { constants } from 'node:fs';
import { access, mkdir, readdir, readFile, realpath, stat } from 'node:fs/promises';
import { dirname, extname, join } from 'node:path';
import { HcrError, sweepStaleTemps } from '@hcr/core';
import { manifestProblem, versionProblem } from './manifest-check.js';
import { type DatasetKind, datasetVersionError, rebuildCommand } from './rebuild-command.js';

export { type DatasetKind, prepareCommand, rebuildCommand } from './rebuild-command.js';

/** What a dataset folder holds: its manifest and shard files (character `.shard`, line `.lines`). */
const SHARD_EXTENSION = { characters: '.shard', lines: '.lines' } as const;
/** What macOS Finder and Windows Explorer write into folders they show: replaced with the dataset, not refused. */
const OS_LITTER = /^(\.DS_Store|\._.*|Thumbs\.db|desktop\.ini)$/i;

/**
 * Checks, before any work, that `outDir` can take a dataset of `kind`: its parent is writable, and it is absent,
 * empty or a dataset of that kind (only a manifest and shards). Preparing replaces the whole folder, so a folder
 * holding anything else (`--out ~/Documents` by mistake, or the other kind of dataset) is refused, not emptied.
 * With `{ unwritable: 'return' }` an unwritable parent is returned instead of thrown (OUTPUT_NOT_WRITABLE), for
 * the caller to throw once it knows it has to write: an up-to-date dataset in a read-only place needs no write.
 */
export async function checkDatasetOutput(
  outDir: string,
  kind: DatasetKind,
  { unwritable = 'throw' }: { unwritable?: 'throw' | 'return' } = {},
): Promise<HcrError | undefined> {
  const parent = dirname(outDir);
  let notWritable: HcrError | undefined;
  try {
    await mkdir(parent, { recursive: true });
    await access(parent, constants.W_OK);
  } catch (e) {
    notWritable = new HcrError(
      'OUTPUT_NOT_WRITABLE',
      `Cannot write the dataset to ${outDir}: ${(e as Error).message}.`,
      { hint: 'Choose a writable directory with --out, or fix the permissions.' },
    );
    if (unwritable === 'throw') throw notWritable;
  }
  const found = await stat(outDir).then(
    (s) => (s.isDirectory() ? 'dir' : 'file'),
    () => 'none',
  );
  if (found === 'none') return notWritable;
  const hint =
    'Preparing replaces the whole folder: choose an --out folder of its own (new or empty), or move those files away.';
  if (found === 'file')
    throw new HcrError('OUTPUT_NOT_DATASET', `${outDir} is a file, not a dataset folder.`, { hint });
  // Files a file manager leaves in any folder it shows (.DS_Store, ._x, Thumbs.db) are not someone's work.
  const ours = (name: string) =>
    name === 'manifest.json' || extname(name) === SHARD_EXTENSION[kind] || OS_LITTER.test(name);
  const foreign = (await readdir(outDir)).filter((name) => !ours(name));
  const what = kind === 'lines' ? 'a line dataset' : 'a character dataset';
  if (foreign.length)
    throw new HcrError(
      'OUTPUT_NOT_DATASET',
      `${outDir} holds ${foreign.length === 1 ? 'a file' : `${foreign.length} files`} that ${what} does not (${foreign.slice(0, 5).join(', ')}${foreign.length > 5 ? ', ...' : ''}).`,
      { hint },
    );
  return notWritable;
}

/**
 * A dataset folder's manifest.json: read, parsed and checked for the fields every reader needs (manifestProblem)
 * and for this hcr's format versions, or an error naming the file and how to rebuild it. `kind` is what the
 * manifest says it is (line manifests carry `kind: 'hcr-lines'`, character manifests no kind). `expected`, the
 * kind the caller reads, names the rebuild of a manifest that cannot say (not JSON, no kind and damaged).
 */
export async function readDatasetManifest(
  dir: string,
  expected?: DatasetKind,
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
    throw damaged(
      dir,
      file,
      `is not valid JSON (${(e as Error).message})`,
      expected ?? (await kindByShards(dir)),
    );
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    throw damaged(dir, file, 'is not a JSON object', expected ?? (await kindByShards(dir)));
  const manifest = parsed as Record<string, unknown>;
  const kind: DatasetKind = manifest.kind === 'hcr-lines' ? 'lines' : 'characters';
  const version = versionProblem(manifest, kind);
  if (version) throw datasetVersionError(file, version, dir, kind);
  const problem = manifestProblem(manifest, kind);
  if (problem) throw damaged(dir, file, problem, kind === 'lines' ? kind : (expected ?? kind));
  return { text, manifest, kind };
}

/** A folder's kind by its shard files, for a manifest that cannot say: line shards, else characters. */
async function kindByShards(dir: string): Promise<DatasetKind> {
  const files = await readdir(dir).catch(() => []);
  return files.some((f) => extname(f) === SHARD_EXTENSION.lines) ? 'lines' : 'characters';
}

/** A damaged or malformed manifest: SHARDS_CORRUPT for character shards, LINES_CORRUPT for lines. */
export function damaged(dir: string, file: string, problem: string, kind: DatasetKind): HcrError {
  return new HcrError(
    kind === 'lines' ? 'LINES_CORRUPT' : 'SHARDS_CORRUPT',
    `${file} ${problem}: the dataset cannot be read.`,
    {
      hint: `It was damaged or edited after it was written: rebuild it with ${rebuildCommand(dir, kind)}.`,
    },
  );
}

/**
 * An up-to-date dataset is not written again, so writeDirAtomic never sweeps the half-written folder an
 * interrupted rebuild (Ctrl-C during `prepare --force`) left beside it: hundreds of MB, hidden, for good.
 */
export async function sweepInterrupted(outDir: string, progress: (m: string) => void): Promise<void> {
  // a folder this run cannot write to (a read-only dataset that is up to date) keeps what it holds
  const swept = await sweepStaleTemps(outDir).catch(() => []);
  if (swept.length)
    progress(
      `removed ${swept.length === 1 ? 'the half-written folder' : `${swept.length} half-written folders`} an interrupted run left beside it (${swept.join(', ')})`,
    );
}

/**
 * Where a dataset folder is written: the folder a symbolic link `outDir` points to (its realpath), so preparing
 * again keeps the link and writes on the disk it points to, as writeFileAtomic does for a linked file. writeDirAtomic
 * renames over the path it is given: it replaced `artifacts/data/shards -> /mnt/big/shards` with a new folder beside
 * the link, and left the old dataset on the big disk. A path that does not exist (yet) is itself.
 */
export async function datasetWriteTarget(outDir: string): Promise<string> {
  return realpath(outDir).catch(() => outDir);
}
