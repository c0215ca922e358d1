import { mkdtemp, rm, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initEngine } from '@hcr/engine';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint, saveCheckpoint, type TrainProgress } from '../src/checkpoint.js';
import { Replica } from '../src/replica.js';
import { replicaInit } from './replica-init.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hcr-checkpoint-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const progress = {
  runId: 'r',
  epoch: 1,
  batchInEpoch: 0,
  globalStep: 4,
  history: [],
} as unknown as TrainProgress;
const values = (n: number, x: number) => new Float32Array(n).fill(x);

describe('a damaged checkpoint', () => {
  it('with a truncated best.bin is CHECKPOINT_CORRUPT naming best.bin, not a mix of two epochs', async () => {
    const run = join(dir, 'short-best');
    const weights = { params: values(10, 1), state: values(4, 2), m: values(10, 3), v: values(10, 4) };
    await saveCheckpoint(run, progress, weights, { params: values(10, 5), state: values(4, 6) });
    expect((await loadCheckpoint(run)).best?.params).toEqual(values(10, 5));
    await truncate(join(run, 'checkpoint', 'best.bin'), 4 * 6);
    await expect(loadCheckpoint(run)).rejects.toMatchObject({
      code: 'CHECKPOINT_CORRUPT',
      message: expect.stringContaining('best.bin'),
    });
  });
});

describe('a damaged checkpoint hints at starting the run over under its id', () => {
  const weights = { params: values(10, 1), state: values(4, 2), m: values(10, 3), v: values(10, 4) };
  const startOver = (run: string) => ({
    code: 'CHECKPOINT_CORRUPT',
    // Without --force the same --run is RUN_EXISTS; "without --resume" would not help either.
    hint: expect.stringContaining(`hcr train --run ${run} --force`),
  });

  it('a truncated tensors.bin', async () => {
    const run = join(dir, 'short-tensors');
    await saveCheckpoint(run, progress, weights, undefined);
    await truncate(join(run, 'checkpoint', 'tensors.bin'), 4 * 20);
    await expect(loadCheckpoint(run)).rejects.toMatchObject(startOver('short-tensors'));
  });

  it('a truncated state.json is CHECKPOINT_CORRUPT naming it, not a missing checkpoint', async () => {
    const run = join(dir, 'short-state');
    await saveCheckpoint(run, progress, weights, undefined);
    await truncate(join(run, 'checkpoint', 'state.json'), 40);
    await expect(loadCheckpoint(run)).rejects.toMatchObject({
      ...startOver('short-state'),
      message: expect.stringContaining('state.json'),
    });
  });

  it('while a run without a checkpoint is still CHECKPOINT_MISSING', async () => {
    await expect(loadCheckpoint(join(dir, 'never-ran'))).rejects.toMatchObject({
      code: 'CHECKPOINT_MISSING',
    });
  });
});

describe('Replica.setState', () => {
  it('refuses weights of another length instead of keeping the rest of its own', async () => {
    await initEngine({ engine: 'wasm', purpose: 'train', log: () => {} });
    const init = replicaInit({
      task: 'character',
      model: 'seed',
      classes: 36,
      splits: {},
      modelSeed: 1,
    });
    const replica = new Replica(init);
    const whole = replica.getState();
    replica.setState(whole);
    const short = { ...whole, params: whole.params.slice(0, 100) };
    expect(() => replica.setState(short)).toThrow(expect.objectContaining({ code: 'CHECKPOINT_CORRUPT' }));
    expect(replica.getState().params).toEqual(whole.params);
  });
});
