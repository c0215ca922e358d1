import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveCheckpoint, type TrainProgress } from '../src/checkpoint.js';
import { train } from '../src/train.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hcr-resume-no-config-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('--resume of a checkpoint whose state.json has no config', () => {
  it('is CHECKPOINT_CORRUPT naming state.json and how to start over, not a TypeError', async () => {
    const out = join(dir, 'runs');
    const progress = {
      runId: 'r',
      epoch: 0,
      batchInEpoch: 1,
      globalStep: 1,
      history: [],
    } as unknown as TrainProgress;
    const values = (n: number) => new Float32Array(n);
    await saveCheckpoint(
      join(out, 'r'),
      progress,
      { params: values(4), state: values(2), m: values(4), v: values(4) },
      undefined,
    );
    const file = join(out, 'r', 'checkpoint', 'state.json');
    const state = JSON.parse(await readFile(file, 'utf8'));
    expect(state.config).toBeUndefined();
    await writeFile(file, JSON.stringify(state));
    await expect(train({ config: { out }, resume: 'r', log: () => {} })).rejects.toMatchObject({
      code: 'CHECKPOINT_CORRUPT',
      message: expect.stringContaining('state.json'),
      hint: expect.stringContaining('hcr train --run r --force'),
    });
  });
});
