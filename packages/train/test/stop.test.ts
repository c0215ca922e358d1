import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSyntheticDataset } from '../src/synthetic.js';
import { train } from '../src/train.js';
import { finished } from './support/finished.js';

const quiet = { start: () => {}, tick: () => {}, stop: () => {} };
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hcr-train-stop-'));
  await writeSyntheticDataset(join(dir, 'data'), { train: 64, val: 16, test: 16, extra: 8 });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('Ctrl-C after the last training step', () => {
  it('stops before the test and model (checkpoint kept), and --resume then tests it and writes the model', {
    timeout: 120_000,
  }, async () => {
    const config = {
      model: 'seed',
      epochs: 1,
      batchSize: 16,
      engine: 'wasm' as const,
      workers: 1,
      data: join(dir, 'data'),
      out: join(dir, 'runs'),
    };
    const stop = new AbortController();
    // The epoch line is logged after the last step and its validation: Ctrl-C pressed during what follows.
    const log = (line: string) => {
      if (line.startsWith('epoch 1/1')) stop.abort();
    };
    const run = join(dir, 'runs', 'r');
    const stopped = await train({ config, run: 'r', log, progress: quiet, signal: stop.signal });
    expect(stopped.stoppedEarly).toBe(true);
    expect(stopped.stoppedAt).toMatchObject({ epoch: 1, batchInEpoch: 0, step: 4, trained: true });
    expect(existsSync(join(run, 'model.json'))).toBe(false);
    expect(existsSync(join(run, 'metadata.json'))).toBe(false);
    const state = JSON.parse(await readFile(join(run, 'checkpoint', 'state.json'), 'utf8'));
    expect(state.epoch).toBe(1);

    const resumed = await train({ config: { out: config.out }, resume: 'r', log: () => {}, progress: quiet });
    expect(resumed.stoppedEarly).toBeUndefined();
    expect(finished(resumed).metrics.test_acc).toBeTypeOf('number');
    expect(existsSync(join(run, 'model.json'))).toBe(true);
  });
});
