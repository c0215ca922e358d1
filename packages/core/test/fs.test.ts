import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sweepStaleTemps, tempPathFor, writeDirAtomic } from '../src/fs.js';

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
