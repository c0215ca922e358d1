import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, readlinkSync, type Stats } from 'node:fs';
import { chmod, lstat, mkdir, open, readdir, realpath, rename, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { HcrError } from './errors.js';

/**
 * Bytes of the target's name a temp name keeps: with its `.<12 hex>-<pid>-<8 hex>.tmp-` (at most 35 bytes) it stays
 * within the 255 bytes a file name may have. A longer name (240 letters, or 80 of a script with 3-byte letters) made
 * every write of a legal target fail with ENAMETOOLONG.
 */
const TEMP_NAME_BYTES = 200;

/** The target's name as its temps carry it: whole, or its first TEMP_NAME_BYTES bytes (whole characters). */
function tempSuffix(target: string): string {
  const name = basename(target);
  if (Buffer.byteLength(name) <= TEMP_NAME_BYTES) return `.tmp-${name}`;
  let kept = '';
  let bytes = 0;
  for (const ch of name) {
    bytes += Buffer.byteLength(ch);
    if (bytes > TEMP_NAME_BYTES) break;
    kept += ch;
  }
  return `.tmp-${kept}`;
}

let host: string | undefined;

/** A fact of the system read from a file, or '' where there is none (another system, no /proc mounted). */
function systemFact(read: () => string): string {
  try {
    return read().trim();
  } catch {
    return '';
  }
}

/**
 * 8 hex digits naming where this process' id means something: the host's name, its machine id and its pid
 * namespace. A folder may be shared by several such places (an NFS mount, a volume of two containers), and the name
 * alone did not tell them apart: containers run with the host's network (`--network host`) or one `--hostname`
 * share it, each with process ids of its own, so one container judged the other's live writer dead by its id and
 * deleted the temp it was writing; two machines of one name (cloud images) likewise. Processes of one container
 * share the tag, as sweeping needs, and a host's survives its reboots (its initial namespace is the same), so a
 * killed writer's temp is still swept at once after one.
 */
function hostTag(): string {
  host ??= createHash('sha256')
    .update(
      [
        hostname(),
        systemFact(() => readFileSync('/etc/machine-id', 'utf8')),
        systemFact(() => readlinkSync('/proc/self/ns/pid')),
      ].join('\0'),
    )
    .digest('hex')
    .slice(0, 8);
  return host;
}

/**
 * Temp name next to the target, so the final rename stays on one filesystem (atomic):
 * `.<12 random hex>-<pid>-<8 hex of where the pid means something>.tmp-<target name>` (see hostTag). It carries the
 * writer's process id and host, so a later writer on the same host can tell a temp left by a killed process from one
 * being written.
 */
export function tempPathFor(target: string): string {
  return join(
    dirname(target),
    `.${randomBytes(6).toString('hex')}-${process.pid}-${hostTag()}${tempSuffix(target)}`,
  );
}

/** Temps of older versions carried no process id: swept once they are this old. */
const UNOWNED_TEMP_AGE_MS = 60 * 60 * 1000;
/**
 * Temps of another host (or container), whose process ids cannot be asked about here: swept once untouched this
 * long.
 */
const OTHER_HOST_TEMP_AGE_MS = 24 * 60 * 60 * 1000;

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
 * leaves up to hundreds of MB of half-written shards): this host's whose process is gone; another host's (a shared
 * folder) once untouched for a day, as its process id means nothing here (it was judged here: a live writer's temp
 * was deleted mid-write, or a dead one's kept); id-less ones (older versions) older than an hour. Temps of live
 * processes are left alone. Temps named by versions that carried a process id but no host are judged by the id, as
 * before. A symbolic link's temps are looked for beside the path it points to.
 */
export async function sweepStaleTemps(target: string): Promise<string[]> {
  // a linked target's temps are beside the path it points to, where writeDirAtomic and writeFileAtomic put them
  const path = await realpath(target).catch(() => target);
  const dir = dirname(path);
  const suffix = tempSuffix(path);
  const names = await readdir(dir).catch(() => [] as string[]);
  const swept: string[] = [];
  for (const name of names) {
    if (!name.startsWith('.') || !name.endsWith(suffix)) continue;
    const id = /^[0-9a-f]{12}(?:-(\d+)(?:-([0-9a-f]{8}))?)?$/.exec(
      name.slice(1, name.length - suffix.length),
    );
    if (!id) continue;
    const [, pid, tag] = id;
    let stale: boolean;
    if (pid !== undefined && (tag === undefined || tag === hostTag())) stale = !processAlive(Number(pid));
    else {
      const info = await lstat(join(dir, name)).catch(() => undefined);
      const age = info === undefined ? 0 : Date.now() - info.mtimeMs;
      stale = age > (tag === undefined ? UNOWNED_TEMP_AGE_MS : OTHER_HOST_TEMP_AGE_MS);
    }
    if (!stale) continue;
    await rm(join(dir, name), { recursive: true, force: true });
    swept.push(name);
  }
  return swept;
}

/** What a path is, for errors: 'a character device', 'a directory'... */
function kindOf(s: Stats): string {
  if (s.isDirectory()) return 'a directory';
  if (s.isCharacterDevice()) return 'a character device';
  if (s.isBlockDevice()) return 'a block device';
  if (s.isFIFO()) return 'a named pipe (FIFO)';
  if (s.isSocket()) return 'a socket';
  return s.isFile() ? 'a regular file' : 'not a regular file';
}

/**
 * `mkdir -p` of the folder `target` goes in, with a folder path that runs into a file (`-o notes.png/x.onnx`)
 * refused by name (OUTPUT_NOT_WRITABLE) rather than as a raw EEXIST or ENOTDIR.
 */
async function makeParent(target: string): Promise<void> {
  try {
    await mkdir(dirname(target), { recursive: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EEXIST' && code !== 'ENOTDIR') throw e;
    let above = dirname(target);
    // the nearest existing path above the target: a file where a folder should be
    while (dirname(above) !== above && !(await lstat(above).catch(() => undefined))) above = dirname(above);
    throw new HcrError('OUTPUT_NOT_WRITABLE', `Cannot write ${target}: ${above} is a file, not a folder.`, {
      hint: 'Name a path whose folders are folders (or move that file away).',
      cause: e,
    });
  }
}

/** An output as messages name it: the target, and the path it links to when it is a link. */
function shownOutput(target: string, path: string): string {
  return path === target ? target : `${target} (a link to ${path})`;
}

/**
 * What an output path is, for atomicWriteTarget and dirWriteTarget: undefined when it is missing (or a folder of its
 * path is a file: makeParent names it); else the path to write (a symbolic link followed to its realpath, so the link
 * is kept) and what is there. A link to nowhere is OUTPUT_LINK_BROKEN (writing would replace the link); `noun` is
 * what the writer writes, for the hint.
 */
async function resolveOutputLink(
  target: string,
  noun: 'file' | 'folder',
): Promise<{ path: string; info: Stats } | undefined> {
  const info = await lstat(target).catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT' || e.code === 'ENOTDIR') return undefined;
    throw e;
  });
  if (!info?.isSymbolicLink()) return info && { path: target, info };
  try {
    const path = await realpath(target);
    return { path, info: await stat(path) };
  } catch (e) {
    throw new HcrError(
      'OUTPUT_LINK_BROKEN',
      `${target} is a symbolic link to a path that does not exist; writing would replace the link.`,
      {
        hint: `Point the link at a ${noun} (or remove it), or name another output ${noun === 'file' ? 'path' : 'folder'}.`,
        cause: e,
      },
    );
  }
}

/**
 * The path writeFileAtomic writes for `target`: the target itself when it is a regular file or missing; the file a
 * symbolic link points to (its realpath), so the link survives, as npm's write-file-atomic does. Anything else is
 * refused by name: renaming over a device, a FIFO or a socket would replace it with a file (`-o /dev/full` run as
 * root did), and a directory cannot be replaced by a file (OUTPUT_IS_DIRECTORY, OUTPUT_NOT_A_FILE); a link to
 * nowhere is OUTPUT_LINK_BROKEN (writing would replace the link).
 */
export async function atomicWriteTarget(target: string): Promise<string> {
  const found = await resolveOutputLink(target, 'file');
  if (!found) return target;
  const { path, info } = found;
  if (info.isFile()) return path;
  const what = shownOutput(target, path);
  if (info.isDirectory())
    throw new HcrError('OUTPUT_IS_DIRECTORY', `${what} is a directory, not a file to write.`, {
      hint: `Name a file to write, e.g. one inside it (${join(target, '<name>')}).`,
    });
  throw new HcrError(
    'OUTPUT_NOT_A_FILE',
    `${what} is ${kindOf(info)}, not a regular file: writing would replace it with a file.`,
    { hint: 'Name a regular file to write (a new one, or a file to replace).' },
  );
}

/**
 * Write a file so readers see either the old content or the whole new one, never a torn file: the temp is flushed to
 * disk (fsync) before it is renamed into place, so a power cut cannot leave the name on an empty file. `mode` sets the
 * new file's permissions (e.g. 0o600 for a secret: it exists under no other mode, not even for a moment); without
 * it a file that is replaced keeps its permissions, and a new one gets the default ones. A symbolic
 * link is written through (the file it points to is replaced, the link kept); a device, FIFO, socket or directory is
 * refused (atomicWriteTarget).
 */
export async function writeFileAtomic(
  target: string,
  data: string | Uint8Array,
  { mode }: { mode?: number } = {},
): Promise<void> {
  const path = await atomicWriteTarget(target);
  await makeParent(path);
  // a replaced file keeps its permissions (a file made private stays private), as npm's write-file-atomic does; the
  // new file got the default ones (0644 under the usual umask)
  const kept =
    mode === undefined
      ? await stat(path).then(
          (s) => s.mode & 0o777,
          () => undefined,
        )
      : undefined;
  const tmp = tempPathFor(path);
  try {
    const file = await open(tmp, 'w', mode ?? kept);
    try {
      await file.writeFile(data);
      // on disk before the rename: else a power cut could leave the new name on an empty or partial file
      await file.sync();
    } finally {
      await file.close();
    }
    if (kept !== undefined) await chmod(tmp, kept); // exactly, whatever the umask
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => {}); // the write's own error is the one to show
    throw e;
  }
}

/**
 * `value` as indented JSON, written with writeFileAtomic. A value JSON cannot hold (undefined, a function, a symbol)
 * is a TypeError before anything is written: it used to write the word `undefined`, a file no JSON reader accepts.
 */
export async function writeJsonAtomic(target: string, value: unknown): Promise<void> {
  const json = JSON.stringify(value, null, 2) as string | undefined;
  if (json === undefined)
    throw new TypeError(
      `writeJsonAtomic: ${typeof value} is not JSON, so ${target} would not be a JSON file; pass an object, array, string, number, boolean or null`,
    );
  await writeFileAtomic(target, `${json}\n`);
}

/**
 * The folder writeDirAtomic writes for `target`: the target itself when it is a folder or missing; for a symbolic
 * link the folder it points to (its realpath), so the link is kept. Anything but a folder is OUTPUT_NOT_A_FOLDER, a
 * link to nowhere OUTPUT_LINK_BROKEN.
 */
async function dirWriteTarget(target: string): Promise<string> {
  const found = await resolveOutputLink(target, 'folder');
  if (!found) return target;
  const { path, info } = found;
  if (!info.isDirectory())
    throw new HcrError(
      'OUTPUT_NOT_A_FOLDER',
      `${shownOutput(target, path)} is ${kindOf(info)}, not a folder: a folder is written there.`,
      { hint: 'Name a new folder (or one to replace) instead.' },
    );
  return path;
}

/** Another process wrote the folder between this write's check and its final rename: that one's folder stays. */
function outputConflict(target: string, dir: string, cause: unknown): HcrError {
  return new HcrError(
    'OUTPUT_CONFLICT',
    `${shownOutput(target, dir)} was written by another process while this one was writing it; this write was not kept.`,
    { hint: 'Let one process at a time write a folder (or give each its own), then run this again.', cause },
  );
}

/** Linux says ENOTEMPTY when a rename lands on a folder holding anything, other systems EEXIST. */
const landedOnAFolder = (e: unknown) => {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOTEMPTY' || code === 'EEXIST';
};

/** writeDirAtomic's refusal of a folder that holds something, without `replace`. */
function outputExists(target: string, dir: string): HcrError {
  return new HcrError(
    'OUTPUT_EXISTS',
    `${shownOutput(target, dir)} already exists and is not empty; it is replaced only when asked.`,
    {
      hint: 'Pass { replace: true } to replace it, or remove it first (or name another folder).',
    },
  );
}

/**
 * Build a directory under a temp name and move it into place only when `fill` succeeded. An existing target is
 * replaced only when `replace` is true: without it a folder holding anything is OUTPUT_EXISTS, before `fill` runs (it
 * was a raw ENOTEMPTY from the final rename, after all the work). An existing empty folder is replaced even without
 * `replace`, deliberately: it holds nothing to lose, and `mkdir out` before writing into it is common. A target that
 * exists and is not a directory (a file, a device) is refused (OUTPUT_NOT_A_FOLDER): `replace` would move it away and
 * delete it. A symbolic link to a folder is written through, as writeFileAtomic does for a file: the folder it points
 * to (its realpath) is built beside it and replaced, and the link is kept (`artifacts/data/shards -> /mnt/big/shards`
 * stays a link, and the data stays on the disk it points to); a link to nowhere is OUTPUT_LINK_BROKEN.
 */
export async function writeDirAtomic(
  target: string,
  fill: (tmpDir: string) => Promise<void>,
  { replace = false }: { replace?: boolean } = {},
): Promise<void> {
  const dir = await dirWriteTarget(target);
  if (!replace && (await readdir(dir).catch(() => [])).length > 0) throw outputExists(target, dir);
  await makeParent(dir);
  await sweepStaleTemps(dir);
  const tmp = tempPathFor(dir);
  await mkdir(tmp, { recursive: true });
  try {
    await fill(tmp);
    if (replace) {
      const old = tempPathFor(dir);
      const moved = await rename(dir, old).then(
        () => true,
        (e: NodeJS.ErrnoException) => {
          if (e.code !== 'ENOENT') throw e;
          return false;
        },
      );
      try {
        await rename(tmp, dir);
      } catch (e) {
        // the old folder goes back: left under its temp name, the next write's sweep deleted it (when another
        // writer's folder took the place, the old one stays under its temp name until that sweep)
        if (moved) await rename(old, dir).catch(() => {});
        throw landedOnAFolder(e) ? outputConflict(target, dir, e) : e;
      }
      await rm(old, { recursive: true, force: true });
    } else {
      await rename(tmp, dir).catch((e: unknown) => {
        throw landedOnAFolder(e) ? outputConflict(target, dir, e) : e; // filled since the check above
      });
    }
  } catch (e) {
    await rm(tmp, { recursive: true, force: true }).catch(() => {}); // fill's or the rename's error is the one to show
    throw e;
  }
}
