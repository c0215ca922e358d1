import { mkdtemp, rm, truncate, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  loadCheckpoint,
  loadCheckpointProgress,
  saveCheckpoint,
  type TrainProgress,
} from '../src/checkpoint.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hcr-checkpoint-damage-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const progress = {
  runId: 'r',
  config: { model: 'hcrnet' },
  epoch: 1,
  batchInEpoch: 0,
  globalStep: 4,
  history: [],
} as unknown as TrainProgress;
const values = (n: number, x: number) => new Float32Array(n).fill(x);
const weights = { params: values(10, 1), state: values(4, 2), m: values(10, 3), v: values(10, 4) };

async function saved(name: string): Promise<string> {
  const run = join(dir, name);
  await saveCheckpoint(run, progress, weights, { params: values(10, 5), state: values(4, 6) });
  return run;
}

// Each is an HcrError saying which file is damaged and how to start over, not a raw ENOENT, RangeError or TypeError.
const corrupt = (run: string, file: string) => ({
  code: 'CHECKPOINT_CORRUPT',
  message: expect.stringContaining(file),
  hint: expect.stringContaining(`hcr train --run ${run} --force`),
});

describe('a checkpoint damaged past its state.json JSON', () => {
  it('without tensors.bin', async () => {
    const run = await saved('no-tensors');
    await unlink(join(run, 'checkpoint', 'tensors.bin'));
    await expect(loadCheckpoint(run)).rejects.toMatchObject(corrupt('no-tensors', 'tensors.bin'));
  });

  it('without best.bin that state.json says it has', async () => {
    const run = await saved('no-best');
    await unlink(join(run, 'checkpoint', 'best.bin'));
    await expect(loadCheckpoint(run)).rejects.toMatchObject(corrupt('no-best', 'best.bin'));
  });

  it('with a tensors.bin cut mid-value (not a multiple of 4 bytes)', async () => {
    const run = await saved('odd-tensors');
    await truncate(join(run, 'checkpoint', 'tensors.bin'), 4 * 20 + 1);
    await expect(loadCheckpoint(run)).rejects.toMatchObject(corrupt('odd-tensors', 'tensors.bin'));
  });

  for (const [name, text] of [
    ['state-empty-object', '{}'],
    ['state-null', 'null'],
    ['state-array', '[]'],
    ['state-no-lengths', JSON.stringify({ ...progress, formatVersion: 1 })],
  ] as const) {
    it(`with a state.json of valid JSON that is no checkpoint's (${name})`, async () => {
      const run = await saved(name);
      await writeFile(join(run, 'checkpoint', 'state.json'), text);
      await expect(loadCheckpoint(run)).rejects.toMatchObject(corrupt(name, 'state.json'));
      await expect(loadCheckpointProgress(run)).rejects.toMatchObject(corrupt(name, 'state.json'));
    });
  }

  it('an intact checkpoint still loads', async () => {
    const run = await saved('intact');
    const loaded = await loadCheckpoint(run);
    expect(loaded.weights.v).toEqual(values(10, 4));
    expect(loaded.best?.state).toEqual(values(4, 6));
    expect((await loadCheckpointProgress(run)).config).toEqual({ model: 'hcrnet' });
  });
});
