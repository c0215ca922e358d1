import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareLines } from '@hcr/data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSyntheticDataset } from '../src/synthetic.js';
import { train } from '../src/train.js';
import { trainLines } from '../src/train-lines.js';

const dataDir = process.env.HCR_DATA_DIR ?? join(import.meta.dirname, '../../../../shared/data');
const quiet = { log: () => {}, progress: { start: () => {}, tick: () => {}, stop: () => {} } };
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hcr-no-validation-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

// Validation picks the best epoch and fits the calibration: a dataset without it used to train every epoch
// (val loss NaN) and fail at the end with a half-made run; now it is refused before any step.
describe('a dataset without a validation split', () => {
  it('character model: DATA_EMPTY before training, no run written', { timeout: 60_000 }, async () => {
    const data = join(dir, 'shards');
    await writeSyntheticDataset(data, { train: 64, val: 0, test: 16, extra: 8 });
    const config = { model: 'seed', epochs: 1, batchSize: 16, engine: 'wasm' as const, workers: 1, data };
    await expect(
      train({ config: { ...config, out: join(dir, 'runs') }, run: 'c', ...quiet }),
    ).rejects.toMatchObject({
      code: 'DATA_EMPTY',
      message: expect.stringContaining('no validation'),
      hint: expect.stringContaining('valFraction'),
    });
    expect(existsSync(join(dir, 'runs', 'c', 'metrics.jsonl'))).toBe(false);
  });

  it('line reader: DATA_EMPTY before training, no run written', { timeout: 60_000 }, async () => {
    const lines = join(dir, 'lines');
    await prepareLines({
      dataDir,
      config: { counts: { train: 32, val: 0, test: 8 } },
      outDir: lines,
      workers: 0,
    });
    const config = {
      model: 'reader',
      epochs: 1,
      batchSize: 16,
      engine: 'wasm' as const,
      workers: 1,
      data: lines,
    };
    await expect(
      trainLines({ config: { ...config, out: join(dir, 'runs') }, run: 'l', ...quiet }),
    ).rejects.toMatchObject({ code: 'DATA_EMPTY', message: expect.stringContaining('no validation lines') });
    expect(existsSync(join(dir, 'runs', 'l', 'metrics.jsonl'))).toBe(false);
  });
});
