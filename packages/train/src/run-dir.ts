import { execFileSync } from 'node:child_process';
import { lstat, mkdir, readdir, readFile, rename, rm, stat, symlink } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { HcrError, tempPathFor } from '@hcr/core';

/** Where runs live and how they are named, found again for resume, and published as `latest`. */

export function runIdFor(prefix: string, now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
  return `${prefix}-${stamp}`;
}

/**
 * A run's model version: its start time as the integer YYYYMMDDhhmmss in UTC (ModelMetadata.modelVersion),
 * increasing from run to run and readable as a date.
 */
export function modelVersionAt(now: Date): number {
  return Number(now.toISOString().replace(/\D/g, '').slice(0, 14));
}

/** Commit the training code came from (`unknown` outside a git checkout). */
export function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    return 'unknown';
  }
}

/**
 * The run `--resume` continues: the most recently checkpointed unfinished run under `out`, else (every run
 * there trained all its epochs) the most recently checkpointed one, which resuming tests again.
 */
export async function findResumeRun(out: string): Promise<string> {
  const newest: { unfinished?: { dir: string; t: number }; finished?: { dir: string; t: number } } = {};
  for (const name of await readdir(out).catch(() => [] as string[])) {
    // `latest` and `latest-reader` are links to runs, not runs: resuming through one would name the run after it.
    if ((await lstat(join(out, name))).isSymbolicLink()) continue;
    const file = join(out, name, 'checkpoint', 'state.json');
    const s = await stat(file).catch(() => undefined);
    if (!s) continue;
    // A finished run's checkpoint is newer than the run that was interrupted before it started: pick the latter.
    const kind = (await isFinished(file)) ? 'finished' : 'unfinished';
    const best = newest[kind];
    if (!best || s.mtimeMs > best.t) newest[kind] = { dir: name, t: s.mtimeMs };
  }
  const best = newest.unfinished ?? newest.finished;
  if (!best)
    throw new HcrError('CHECKPOINT_MISSING', `No run with a checkpoint under ${out}.`, {
      hint: 'Start a run with `hcr train` first, or name the run to resume: `hcr train --resume <run-id>`.',
    });
  return best.dir;
}

/** Whether a checkpoint has trained all its epochs (an unreadable one counts as unfinished: resuming says why). */
async function isFinished(stateJson: string): Promise<boolean> {
  try {
    const s = JSON.parse(await readFile(stateJson, 'utf8'));
    return typeof s.epoch === 'number' && typeof s.config?.epochs === 'number' && s.epoch >= s.config.epochs;
  } catch {
    return false;
  }
}

/** Checks a new run id and clears its directory when `force` allows replacing it. */
export async function claimRunDir(out: string, runId: string, force: boolean): Promise<void> {
  if (!/^[\w.-]+$/.test(runId))
    throw new HcrError(
      'TRAIN_CONFIG',
      `Run id '${runId}' has characters other than letters, digits, . _ -.`,
      {
        hint: 'Pick a simpler --run id.',
      },
    );
  const dir = join(out, runId);
  // An empty directory is one a run claimed and then failed in (e.g. missing data) before writing anything.
  const there = await lstat(dir).then(
    () => true,
    () => false,
  );
  const empty =
    there &&
    (await readdir(dir).then(
      (names) => names.length === 0,
      () => false,
    ));
  const exists = there && !empty;
  if (exists && !force)
    throw new HcrError('RUN_EXISTS', `Run directory ${dir} already exists.`, {
      hint: `Resume it with \`hcr train --resume ${runId}\`, replace it with --force, or choose another --run id.`,
    });
  if (exists) await rm(dir, { recursive: true, force: true });
  // Made now, so an --out that is a file or read-only fails here rather than at the first checkpoint.
  try {
    await mkdir(dir, { recursive: true });
  } catch (e) {
    throw new HcrError(
      'OUTPUT_NOT_WRITABLE',
      `Cannot create the run directory ${dir}: ${(e as Error).message}.`,
      {
        hint: `Pass --out a directory you can write to (${out} must be a directory or not exist yet).`,
      },
    );
  }
}

/** Replaces `<out>/<name>` atomically with a relative symlink to the run directory. */
export async function pointLatest(out: string, runDir: string, name = 'latest'): Promise<void> {
  const link = join(out, name);
  const tmp = tempPathFor(link);
  await symlink(relative(dirname(link), runDir), tmp);
  await rename(tmp, link);
}
