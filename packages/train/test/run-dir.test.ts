import { mkdir, mkdtemp, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimRunDir, findResumeRun, pointLatest } from '../src/run-dir.js';
import { train } from '../src/train.js';
import { trainLines } from '../src/train-lines.js';

let out: string;
beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'hcr-run-dir-'));
});
afterAll(() => rm(out, { recursive: true, force: true }));

async function runWithCheckpoint(id: string, when: Date, stateJson = '{}', dir = out): Promise<string> {
  const state = join(dir, id, 'checkpoint', 'state.json');
  await mkdir(join(dir, id, 'checkpoint'), { recursive: true });
  await writeFile(state, stateJson);
  await utimes(state, when, when);
  return join(dir, id);
}

describe('the run to resume', () => {
  it('is the run with the newest checkpoint, never a `latest` link to it', async () => {
    await expect(findResumeRun(out)).rejects.toMatchObject({ code: 'CHECKPOINT_MISSING' });
    await runWithCheckpoint('hcrnet-quick-1', new Date('2026-12-01T10:00:00Z'));
    const reader = await runWithCheckpoint('reader-quick-2', new Date('2026-12-01T11:00:00Z'));
    // The links sort before the runs and share the newest checkpoint's time.
    await pointLatest(out, reader, 'latest-reader');
    await pointLatest(out, join(out, 'hcrnet-quick-1'));
    expect(await findResumeRun(out)).toBe('reader-quick-2');
  });

  it('is an interrupted run rather than a finished run checkpointed after it; a finished one when all are', async () => {
    const runs = join(out, 'mixed');
    const at = (epoch: number) => JSON.stringify({ epoch, config: { epochs: 2 } });
    await runWithCheckpoint('interrupted', new Date('2026-12-02T10:00:00Z'), at(1), runs);
    await runWithCheckpoint('finished', new Date('2026-12-02T11:00:00Z'), at(2), runs);
    expect(await findResumeRun(runs)).toBe('interrupted');
    await runWithCheckpoint('interrupted', new Date('2026-12-02T10:00:00Z'), at(2), runs);
    expect(await findResumeRun(runs)).toBe('finished');
  });
});

describe('claiming a new run', () => {
  it('creates its directory at once, and an --out that is a file is an error with a hint, not a late ENOTDIR', async () => {
    const runs = join(out, 'claimed');
    await claimRunDir(runs, 'r1', false);
    expect((await stat(join(runs, 'r1'))).isDirectory()).toBe(true);
    // A run that failed before writing anything (e.g. missing data) left it empty: the same id may start again.
    await claimRunDir(runs, 'r1', false);
    await writeFile(join(runs, 'r1', 'metrics.jsonl'), '');
    await expect(claimRunDir(runs, 'r1', false)).rejects.toMatchObject({ code: 'RUN_EXISTS' });

    const file = join(out, 'a-file');
    await writeFile(file, 'not a directory');
    const err = await claimRunDir(file, 'r2', false).catch((e) => e);
    expect(err).toMatchObject({ code: 'OUTPUT_NOT_WRITABLE', hint: expect.stringContaining('--out') });
    expect(err.message).toContain(file);
  });
});

describe('a new run that fails before training', () => {
  it('leaves no empty run directory behind (missing data, characters and lines)', async () => {
    const runs = join(out, 'failed');
    const missing = join(out, 'no-data');
    const quiet = { log: () => {} };
    await expect(train({ ...quiet, config: { out: runs, data: missing }, run: 'c1' })).rejects.toMatchObject({
      code: 'SHARDS_MISSING',
    });
    await expect(
      trainLines({ ...quiet, config: { out: runs, data: missing, model: 'reader' }, run: 'l1' }),
    ).rejects.toThrow(/No line dataset in/);
    expect(await readdir(runs)).toEqual([]);
  });
});
