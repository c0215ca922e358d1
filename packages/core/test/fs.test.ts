import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  rm,
  stat,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HcrError } from '../src/errors.js';
import {
  atomicWriteTarget,
  sweepStaleTemps,
  tempPathFor,
  writeDirAtomic,
  writeFileAtomic,
  writeJsonAtomic,
} from '../src/fs.js';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'hcr-fs-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** A process id that no running process has: a child that has already exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(child.stdout.toString());
}

describe('writeDirAtomic', () => {
  it('sweeps the half-written temps a killed writer left, and only those', async () => {
    const target = join(root, 'lines');
    const dead = join(root, `.0123456789ab-${deadPid()}.tmp-lines`);
    const live = tempPathFor(target); // this process: a writer at work
    const oldUnowned = join(root, '.ba9876543210.tmp-lines');
    const freshUnowned = join(root, '.aaaaaaaaaaaa.tmp-lines');
    const otherTarget = join(root, `.0123456789ab-${deadPid()}.tmp-lines-full`);
    for (const d of [dead, live, oldUnowned, freshUnowned, otherTarget]) {
      await mkdir(d);
      await writeFile(join(d, 'train-0000.lines'), 'partial');
    }
    const twoHoursAgo = new Date(Date.now() - 2 * 3600 * 1000);
    await utimes(oldUnowned, twoHoursAgo, twoHoursAgo);

    await writeDirAtomic(target, async (tmp) => writeFile(join(tmp, 'manifest.json'), '{}'));

    expect(await readFile(join(target, 'manifest.json'), 'utf8')).toBe('{}');
    const left = await readdir(root);
    expect(left).not.toContain(dead.split('/').pop());
    expect(left).not.toContain(oldUnowned.split('/').pop());
    expect(left).toContain(live.split('/').pop());
    expect(left).toContain(freshUnowned.split('/').pop());
    expect(left).toContain(otherTarget.split('/').pop()); // another target's temps are not ours to judge
    expect(await sweepStaleTemps(target)).toEqual([]);
  });
});

/** The temp name tempPathFor gives in a new node process, run by `launch` (e.g. `unshare`) when given. */
function childTempName(...launch: string[]): string {
  const args = ['--conditions=source', '--import', 'tsx', '--input-type=module', '-e'];
  const code = "import { tempPathFor } from '@hcr/core'; process.stdout.write(tempPathFor('/x/lines'))";
  const [cmd, ...pre] = launch.length ? [...launch, process.execPath] : [process.execPath];
  return basename(
    execFileSync(cmd!, [...pre, ...args, code], { cwd: join(import.meta.dirname, '..'), encoding: 'utf8' }),
  );
}

/** The 8 hex digits of where a temp's process id means something. */
const tagOf = (tempName: string) => /^\.[0-9a-f]{12}-\d+-([0-9a-f]{8})\.tmp-/.exec(tempName)?.[1];

/** Whether this machine lets us start a process in a pid namespace of its own (root on Linux, with unshare). */
const canUnshare =
  process.platform === 'linux' && spawnSync('unshare', ['--pid', '--fork', 'true']).status === 0;

describe('temps in a folder several hosts share (a volume of two containers, an NFS mount)', () => {
  const tag = tagOf(basename(tempPathFor('/x/lines')))!;
  const other = tag === '0000beef' ? '1111beef' : '0000beef';

  it('carry, beside the process id, a tag of where it means something: the same for every process here', () => {
    const name = basename(tempPathFor(join(root, 'lines')));
    expect(name).toMatch(new RegExp(`^\\.[0-9a-f]{12}-${process.pid}-${tag}\\.tmp-lines$`));
    const child = childTempName();
    expect(tagOf(child)).toBe(tag);
    expect(child).not.toContain(`-${process.pid}-`);
  });

  // containers on the host's network (or given one --hostname) have its name and process ids of their own
  it.skipIf(!canUnshare)(
    'carry another tag from a process of another pid namespace, whatever its host name',
    () => {
      const inside = childTempName('unshare', '--pid', '--fork');
      expect(inside).toMatch(/^\.[0-9a-f]{12}-1-[0-9a-f]{8}\.tmp-lines$/); // pid 1 there: init's here
      expect(tagOf(inside)).not.toBe(tag);
    },
  );

  it("are swept by pid on their own host only; another host's once untouched for a day; old names as before", async () => {
    const target = join(root, 'lines');
    const dead = deadPid();
    const names = {
      oursDead: `.0123456789ab-${dead}-${tag}.tmp-lines`,
      oursLive: basename(tempPathFor(target)),
      // another host's pid says nothing here: dead here is no reason (its writer may be at work)...
      otherDeadHere: `.0123456789ab-${dead}-${other}.tmp-lines`,
      // ...nor alive here a reason to keep it for ever; untouched for two hours it may still be written
      otherAliveHere: `.123456789abc-${process.pid}-${other}.tmp-lines`,
      otherOld: `.23456789abcd-${process.pid}-${other}.tmp-lines`,
      oldFormatDead: `.3456789abcde-${dead}.tmp-lines`, // a version before hosts: judged by its pid, as before
      oldFormatLive: `.456789abcdef-${process.pid}.tmp-lines`,
    };
    for (const name of Object.values(names)) await mkdir(join(root, name));
    const hoursAgo = (h: number) => new Date(Date.now() - h * 3600 * 1000);
    await utimes(join(root, names.otherAliveHere), hoursAgo(2), hoursAgo(2));
    await utimes(join(root, names.otherOld), hoursAgo(25), hoursAgo(25));

    expect((await sweepStaleTemps(target)).sort()).toEqual(
      [names.oursDead, names.otherOld, names.oldFormatDead].sort(),
    );
    expect((await readdir(root)).sort()).toEqual(
      [names.oursLive, names.otherDeadHere, names.otherAliveHere, names.oldFormatLive].sort(),
    );
  });

  it('keep a temp name within 255 bytes for the longest legal target name', () => {
    for (const name of ['a'.repeat(255), '日'.repeat(85)]) {
      const temp = basename(tempPathFor(join(root, name)));
      expect(Buffer.byteLength(temp)).toBeLessThanOrEqual(255);
      // with the largest pid Linux gives (2^22), too
      expect(Buffer.byteLength(temp.replace(`-${process.pid}-`, '-4194304-'))).toBeLessThanOrEqual(255);
    }
  });
});

describe('writeFileAtomic', () => {
  it('writes a new file and replaces a regular one, leaving no temp', async () => {
    const target = join(root, 'sub', 'model.onnx');
    await writeFileAtomic(target, 'one');
    await writeFileAtomic(target, new Uint8Array([116, 119, 111]));
    expect(await readFile(target, 'utf8')).toBe('two');
    expect(await readdir(join(root, 'sub'))).toEqual(['model.onnx']);
  });

  it('keeps the permissions of a file it replaces (a private file stayed private no more)', async () => {
    const target = join(root, 'settings.json');
    await writeFile(target, 'old');
    await chmod(target, 0o600);
    await writeFileAtomic(target, 'new');
    expect((await stat(target)).mode & 0o777).toBe(0o600);
    await chmod(target, 0o640);
    await writeJsonAtomic(target, { a: 1 });
    expect((await stat(target)).mode & 0o777).toBe(0o640);
    // an explicit mode still wins
    await writeFileAtomic(target, 'secret', { mode: 0o400 });
    expect((await stat(target)).mode & 0o777).toBe(0o400);
    expect(await readFile(target, 'utf8')).toBe('secret');
  });

  it('writes through a symbolic link to the file it points to, keeping the link', async () => {
    const real = join(root, 'runs', 'model.onnx');
    await mkdir(join(root, 'runs'));
    await writeFile(real, 'old');
    const link = join(root, 'latest.onnx');
    await symlink(real, link);
    await writeFileAtomic(link, 'new');
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect(await readlink(link)).toBe(real);
    expect(await readFile(real, 'utf8')).toBe('new');
    expect(await readdir(root)).toEqual(expect.arrayContaining(['latest.onnx', 'runs']));
    expect(await readdir(root)).toHaveLength(2);
  });

  it('refuses a FIFO, a directory and a broken link by name, leaving each as it was', async () => {
    const fifo = join(root, 'pipe');
    execFileSync('mkfifo', [fifo]);
    await expect(writeFileAtomic(fifo, 'x')).rejects.toMatchObject({
      code: 'OUTPUT_NOT_A_FILE',
      message: expect.stringContaining(`${fifo} is a named pipe (FIFO)`),
    });
    expect((await lstat(fifo)).isFIFO()).toBe(true);

    const dir = join(root, 'folder');
    await mkdir(dir);
    await expect(writeFileAtomic(dir, 'x')).rejects.toMatchObject({ code: 'OUTPUT_IS_DIRECTORY' });

    const broken = join(root, 'broken.onnx');
    await symlink(join(root, 'nowhere', 'model.onnx'), broken);
    await expect(writeFileAtomic(broken, 'x')).rejects.toMatchObject({ code: 'OUTPUT_LINK_BROKEN' });
    expect((await lstat(broken)).isSymbolicLink()).toBe(true);
    expect((await readdir(root)).sort()).toEqual(['broken.onnx', 'folder', 'pipe']);
  });

  it('names the file in the way of the output folder, not a raw EEXIST', async () => {
    await writeFile(join(root, 'some.png'), 'png');
    await expect(writeFileAtomic(join(root, 'some.png', 'x.onnx'), 'x')).rejects.toMatchObject({
      code: 'OUTPUT_NOT_WRITABLE',
      message: expect.stringContaining(`${join(root, 'some.png')} is a file`),
    });
    await expect(writeFileAtomic(join(root, 'some.png', 'a', 'x.onnx'), 'x')).rejects.toMatchObject({
      code: 'OUTPUT_NOT_WRITABLE',
    });
  });
});

describe('writeDirAtomic without replace, on a folder that exists', () => {
  it('refuses one holding something by name (OUTPUT_EXISTS, was a raw ENOTEMPTY), before fill runs', async () => {
    const target = join(root, 'repo');
    await mkdir(target);
    await writeFile(join(target, 'keep.txt'), 'old');
    let filled = false;
    const err = await writeDirAtomic(target, async () => {
      filled = true;
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HcrError);
    expect(err).toMatchObject({
      code: 'OUTPUT_EXISTS',
      message: `${target} already exists and is not empty; it is replaced only when asked. Pass { replace: true } to replace it, or remove it first (or name another folder).`,
    });
    expect(filled).toBe(false);
    expect(await readdir(root)).toEqual(['repo']);
    expect(await readFile(join(target, 'keep.txt'), 'utf8')).toBe('old');
  });

  it('says another writer filled it while fill ran (OUTPUT_CONFLICT), keeps theirs, leaves no temp', async () => {
    const target = join(root, 'repo');
    const err = await writeDirAtomic(target, async (tmp) => {
      await writeFile(join(tmp, 'mine.txt'), 'mine');
      await mkdir(target);
      await writeFile(join(target, 'theirs.txt'), 'theirs');
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'OUTPUT_CONFLICT',
      message: `${target} was written by another process while this one was writing it; this write was not kept. Let one process at a time write a folder (or give each its own), then run this again.`,
      cause: { code: 'ENOTEMPTY' },
    });
    expect(await readdir(root)).toEqual(['repo']);
    expect(await readdir(target)).toEqual(['theirs.txt']);
  });

  it('names the link and the folder it points to', async () => {
    const real = join(root, 'real');
    await mkdir(real);
    await writeFile(join(real, 'a'), 'a');
    const link = join(root, 'out');
    await symlink(real, link);
    await expect(writeDirAtomic(link, async () => {})).rejects.toMatchObject({
      code: 'OUTPUT_EXISTS',
      message: expect.stringContaining(`${link} (a link to ${real}) already exists`),
    });
  });

  it('replaces an empty one (nothing to lose): documented, deliberate', async () => {
    const target = join(root, 'repo');
    await mkdir(target);
    await writeDirAtomic(target, async (tmp) => writeFile(join(tmp, 'config.pbtxt'), 'x'));
    expect(await readdir(target)).toEqual(['config.pbtxt']);
    expect(await readdir(root)).toEqual(['repo']);
  });
});

describe('writeDirAtomic on what is no folder', () => {
  it('refuses a file (even with replace), leaving it in place', async () => {
    const file = join(root, 'report');
    await writeFile(file, 'keep');
    await expect(
      writeDirAtomic(file, async (tmp) => writeFile(join(tmp, 'a.json'), '{}'), { replace: true }),
    ).rejects.toMatchObject({ code: 'OUTPUT_NOT_A_FOLDER' });
    expect(await readFile(file, 'utf8')).toBe('keep');
    expect(await readdir(root)).toEqual(['report']);
  });
});

describe('writeDirAtomic through a symbolic link', () => {
  it('replaces the folder the link points to and keeps the link', async () => {
    const big = join(root, 'big');
    const real = join(big, 'shards');
    await mkdir(real, { recursive: true });
    await writeFile(join(real, 'old.bin'), 'old');
    const linkDir = join(root, 'artifacts');
    await mkdir(linkDir);
    const link = join(linkDir, 'shards');
    await symlink(real, link);

    await writeDirAtomic(link, async (tmp) => writeFile(join(tmp, 'manifest.json'), '{}'), { replace: true });

    expect((await lstat(link)).isSymbolicLink()).toBe(true);
    expect(await readlink(link)).toBe(real);
    expect(await readdir(real)).toEqual(['manifest.json']);
    expect(await readdir(linkDir)).toEqual(['shards']); // no folder, no temp beside the link
    expect(await readdir(big)).toEqual(['shards']); // the old folder is gone, not left hidden
  });

  it('sweeps a linked target’s stale temps beside the folder it points to', async () => {
    const real = join(root, 'big', 'lines');
    await mkdir(real, { recursive: true });
    const link = join(root, 'lines');
    await symlink(real, link);
    const dead = `.0123456789ab-${deadPid()}.tmp-lines`;
    await mkdir(join(root, 'big', dead));
    expect(await sweepStaleTemps(link)).toEqual([dead]);
    expect(await readdir(join(root, 'big'))).toEqual(['lines']);
  });

  it('refuses a link to nowhere or to a file by name, leaving the link', async () => {
    const broken = join(root, 'report');
    await symlink(join(root, 'nowhere'), broken);
    await expect(
      writeDirAtomic(broken, async (tmp) => writeFile(join(tmp, 'a.json'), '{}'), { replace: true }),
    ).rejects.toMatchObject({ code: 'OUTPUT_LINK_BROKEN' });
    expect(await readlink(broken)).toBe(join(root, 'nowhere'));

    await writeFile(join(root, 'file'), 'keep');
    const toFile = join(root, 'out');
    await symlink(join(root, 'file'), toFile);
    await expect(
      writeDirAtomic(toFile, async (tmp) => writeFile(join(tmp, 'a.json'), '{}'), { replace: true }),
    ).rejects.toMatchObject({ code: 'OUTPUT_NOT_A_FOLDER', message: expect.stringContaining('a link to') });
    expect(await readFile(toFile, 'utf8')).toBe('keep');
    expect((await readdir(root)).sort()).toEqual(['file', 'out', 'report']);
  });
});

describe('a symbolic link to nowhere, whichever writer meets it', () => {
  it('is OUTPUT_LINK_BROKEN, with a hint naming what that writer writes (one check serves both)', async () => {
    const broken = join(root, 'out');
    await symlink(join(root, 'nowhere'), broken);
    const problem = `${broken} is a symbolic link to a path that does not exist; writing would replace the link.`;
    await expect(writeFileAtomic(broken, 'x')).rejects.toMatchObject({
      code: 'OUTPUT_LINK_BROKEN',
      message: `${problem} Point the link at a file (or remove it), or name another output path.`,
    });
    await expect(writeDirAtomic(broken, async () => {})).rejects.toMatchObject({
      code: 'OUTPUT_LINK_BROKEN',
      message: `${problem} Point the link at a folder (or remove it), or name another output folder.`,
    });
    // a link in the middle of a chain that ends nowhere is the same
    const chained = join(root, 'chained');
    await symlink(broken, chained);
    await expect(atomicWriteTarget(chained)).rejects.toMatchObject({ code: 'OUTPUT_LINK_BROKEN' });
    expect((await readdir(root)).sort()).toEqual(['chained', 'out']);
  });
});

describe('writeJsonAtomic', () => {
  it('refuses a value that is not JSON (it wrote the word undefined), leaving the old file', async () => {
    const target = join(root, 'config.json');
    await writeJsonAtomic(target, { a: 1 });
    for (const value of [undefined, () => 1, Symbol('x')])
      await expect(writeJsonAtomic(target, value), String(typeof value)).rejects.toThrow(/is not JSON/);
    expect(JSON.parse(await readFile(target, 'utf8'))).toEqual({ a: 1 });
    await writeJsonAtomic(target, null);
    expect(await readFile(target, 'utf8')).toBe('null\n');
  });
});

describe('atomic writes of a target with a long name', () => {
  it('writes a file or folder whose name is legal but too long to carry whole in a temp name', async () => {
    const long = 'a'.repeat(240);
    await writeFileAtomic(join(root, long), 'one');
    await writeFileAtomic(join(root, long), 'two');
    expect(await readFile(join(root, long), 'utf8')).toBe('two');
    const wide = `${'日本語'.repeat(27)}.json`; // 81 characters of 3 bytes: 248 bytes
    await writeJsonAtomic(join(root, wide), { a: 1 });
    await writeDirAtomic(join(root, `d${long}`), async (tmp) => writeFile(join(tmp, 'x'), 'x'), {
      replace: true,
    });
    await writeDirAtomic(join(root, `d${long}`), async (tmp) => writeFile(join(tmp, 'y'), 'y'), {
      replace: true,
    });
    expect((await readdir(root)).sort()).toEqual([long, `d${long}`, wide].sort());
    expect(await readdir(join(root, `d${long}`))).toEqual(['y']);
    // a killed writer's temp of such a target is still found and swept
    const dead = `.0123456789ab-${deadPid()}.tmp-${'a'.repeat(200)}`;
    await mkdir(join(root, dead));
    expect(await sweepStaleTemps(join(root, long))).toEqual([dead]);
  });
});
