import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findResumeRun, pointLatest } from '../src/run-dir.js';

let out: string;
beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'hcr-run-dir-'));
});
afterAll(() => rm(out, { recursive: true, force: true }));

async function runWithCheckpoint(id: string, when: Date): Promise<string> {
  const state = join(out, id, 'checkpoint', 'state.json');
  await mkdir(join(out, id, 'checkpoint'), { recursive: true });
  await writeFile(state, '{}');
  await utimes(state, when, when);
  return join(out, id);
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
});
