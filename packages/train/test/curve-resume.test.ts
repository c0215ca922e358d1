import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSyntheticDataset } from '../src/synthetic.js';
import { train } from '../src/train.js';

const quiet = { log: () => {}, progress: { start: () => {}, tick: () => {}, stop: () => {} } };
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hcr-curve-resume-'));
  await writeSyntheticDataset(join(dir, 'data'), { train: 128, val: 36, test: 36, extra: 20 });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const curve = async (run: string): Promise<[number, number, number][]> =>
  JSON.parse(await readFile(join(dir, 'runs', run, 'checkpoint', 'state.json'), 'utf8')).curve;

describe('the learning curve of a resumed run', () => {
  it('has the points of an uninterrupted run, even when the stop fell inside a point', {
    timeout: 240_000,
  }, async () => {
    // 2 epochs of 8 steps and about 4 curve points: a point every 4 steps.
    const config = {
      model: 'seed',
      data: join(dir, 'data'),
      out: join(dir, 'runs'),
      epochs: 2,
      batchSize: 16,
      checkpointEvery: 100,
      workers: 1,
      engine: 'wasm' as const,
    };
    await train({ ...quiet, config, run: 'straight', curvePoints: 4 });
    // Stopped after step 3, inside the point at step 4; resumed without curvePoints: the run keeps its spacing.
    const stopped = await train({ ...quiet, config, run: 'stopped', maxSteps: 3, curvePoints: 4 });
    expect(stopped.stoppedEarly).toBe(true);
    await train({ ...quiet, config, resume: 'stopped' });
    const [a, b] = [await curve('straight'), await curve('stopped')];
    expect(a.map((p) => p[0])).toEqual([4, 8, 12, 16]);
    expect(b).toEqual(a);
  });
});
