import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Temp name next to the target, so the final rename stays on one filesystem (atomic). It carries the
 * writer's process id, so a later writer can tell a temp left by a killed process from one being written.
 */
export function tempPathFor(target: string): string {
  return join(dirname(target), `.${randomBytes(6).toString('hex')}-${process.pid}.tmp-${basename(target)}`);
}

/** Temps of older versions carried no process id: swept once they are this old. */
const UNOWNED_TEMP_AGE_MS = 60 * 60 * 1000;

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the temps of `target` that a killed writer left behind (an interrupted `hcr data lines prepare`
 * leaves up to hundreds of MB of half-written shards): those whose process is gone, and id-less ones
 * older than an hour. Temps of live processes are left alone.
 */
export async function sweepStaleTemps(target: string): Promise<string[]> {
  const dir = dirname(target);
  const suffix = `.tmp-${basename(target)}`;
  const names = await readdir(dir).catch(() => [] as string[]);
  const swept: string[] = [];
  for (const name of names) {
    if (!name.startsWith('.') || !name.endsWith(suffix)) continue;
    const id = name.slice(1, name.length - suffix.length);
    const owned = /^[0-9a-f]{12}-(\d+)$/.exec(id);
    let stale = false;
    if (owned) stale = !processAlive(Number(owned[1]));
    else if (/^[0-9a-f]{12}$/.test(id)) {
      const info = await stat(join(dir, name)).catch(() => undefined);
      stale = info !== undefined && Date.now() - info.mtimeMs > UNOWNED_TEMP_AGE_MS;
    }
    if (!stale) continue;
    await rm(join(dir, name), { recursive: true, force: true });
    swept.push(name);
  }
  return swept;
}

/**
 * Write a file so readers see either the old content or the whole new one, never a torn file. `mode` sets the
 * new file's permissions (e.g. 0o600 for a secret: it exists under no other mode, not even for a moment).
 */
export async function writeFileAtomic(
  target: string,
  data: string | Uint8Array,
  { mode }: { mode?: number } = {},
): Promise<void> {
  await mkdir(dirname(target), { recursive: true });
  const tmp = tempPathFor(target);
  try {
    await writeFile(tmp, data, mode === undefined ? {} : { mode });
    await rename(tmp, target);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

export async function writeJsonAtomic(target: string, value: unknown): Promise<void> {
  await writeFileAtomic(target, `${JSON.stringify(value, null, 2)}\n`);
}

/**
 * Build a directory under a temp name and move it into place only when `fill` succeeded.
 * An existing target is replaced only when `replace` is true.
 */
export async function writeDirAtomic(
  target: string,
  fill: (tmpDir: string) => Promise<void>,
  { replace = false }: { replace?: boolean } = {},
): Promise<void> {
  await mkdir(dirname(target), { recursive: true });
  await sweepStaleTemps(target);
  const tmp = tempPathFor(target);
  await mkdir(tmp, { recursive: true });
  try {
    await fill(tmp);
    if (replace) {
      const old = tempPathFor(target);
      await rename(target, old).catch((e: NodeJS.ErrnoException) => {
        if (e.code !== 'ENOENT') throw e;
      });
      await rename(tmp, target);
      await rm(old, { recursive: true, force: true });
    } else {
      await rename(tmp, target);
    }
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}
