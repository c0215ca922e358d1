import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSyntheticDataset } from '../src/synthetic.js';
import { train } from '../src/train.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hcr-train-cpu-'));
  await writeSyntheticDataset(join(dir, 'data'), { train: 32, val: 8, test: 8, extra: 8 });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('--engine cpu', () => {
  it('warns once that training on it is about 100x slower than wasm', { timeout: 60_000 }, async () => {
    const lines: string[] = [];
    const config = { model: 'seed', epochs: 1, batchSize: 16, engine: 'cpu' as const, workers: 2 };
    await train({
      config: { ...config, data: join(dir, 'data'), out: join(dir, 'runs') },
      run: 'cpu',
      log: (l) => lines.push(l),
      progress: { start: () => {}, tick: () => {}, stop: () => {} },
      maxSteps: 0,
    });
    const warnings = lines.filter((l) =>
      l.includes('about 100x slower than wasm for training; use --engine wasm'),
    );
    expect(warnings).toHaveLength(1);
  });
});
