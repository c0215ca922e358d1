import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LABEL_SPACE_62 } from '@hcr/core';
import { prepareLines } from '@hcr/data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveTrainConfig } from '../src/config.js';
import { writeSyntheticDataset } from '../src/synthetic.js';
import { train } from '../src/train.js';
import { trainLines } from '../src/train-lines.js';
import { finished } from './support/finished.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hcr-train-labels-'));
  await writeSyntheticDataset(
    join(dir, 'data62'),
    { train: 124, val: 62, test: 62, extra: 20 },
    LABEL_SPACE_62,
  );
  await writeSyntheticDataset(join(dir, 'data36'), { train: 72, val: 36, test: 36, extra: 20 });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const quiet = { log: () => {}, progress: { start: () => {}, tick: () => {}, stop: () => {} } };

describe('label space in training', () => {
  it('--labels picks the label space shards and rejects unknown values', () => {
    expect(resolveTrainConfig({ labels: 62 }).data).toBe('artifacts/data/shards-62');
    expect(resolveTrainConfig({ labels: '47' as never }).labels).toBe(47);
    expect(resolveTrainConfig({ labels: 62, data: 'x' }).data).toBe('x');
    expect(resolveTrainConfig().data).toBe('artifacts/data/shards');
    expect('labels' in resolveTrainConfig()).toBe(false);
    expect(() => resolveTrainConfig({ labels: 52 as never })).toThrow(/'labels' is 52.*36 .*47 .*62 /);
  });

  it('--labels 62 has its own quick budget; the 36-class recipe and the full profile do not change', () => {
    expect(resolveTrainConfig({ labels: 62 }).epochs).toBe(3);
    expect(resolveTrainConfig({ labels: 62, epochs: 2 }).epochs).toBe(2);
    expect(resolveTrainConfig({ labels: 62, profile: 'full' }).epochs).toBe(15);
    expect(resolveTrainConfig({ labels: 36 }).epochs).toBe(2);
    expect(resolveTrainConfig().epochs).toBe(2);
    const { labels: _36, data: _d36, ...default36 } = resolveTrainConfig({ labels: 36 });
    const { labels: _none, data: _dnone, ...plain } = resolveTrainConfig();
    expect(default36).toEqual(plain);
  });

  it('a bad config rejects the promise a trainer returns (it does not throw at the call)', async () => {
    await expect(train({ ...quiet, config: { epochs: 0 } })).rejects.toMatchObject({ code: 'TRAIN_CONFIG' });
    await expect(trainLines({ ...quiet, config: { model: 'hcrnet' } })).rejects.toMatchObject({
      code: 'TRAIN_CONFIG',
    });
  });

  it('a dataset prepared with another label space is an error naming both', async () => {
    await expect(
      train({
        ...quiet,
        config: { labels: 62, data: join(dir, 'data36'), out: join(dir, 'runs') },
        run: 'x',
      }),
    ).rejects.toThrow(/--labels 62 asks for hcr62, but the dataset in .*data36 was prepared with hcr36/);
  });

  it('the output width and the metadata follow the dataset: 62 classes', { timeout: 180_000 }, async () => {
    const result = await train({
      ...quiet,
      config: {
        labels: 62,
        data: join(dir, 'data62'),
        out: join(dir, 'runs'),
        epochs: 1,
        batchSize: 62,
        workers: 1,
        engine: 'wasm',
      },
      run: 'r62',
    });
    const { runDir } = result;
    const metadata = finished(result);
    expect(metadata.labelSpace).toBe('hcr62');
    expect(metadata.classNames.join('')).toBe(LABEL_SPACE_62.classes.join(''));
    expect(metadata.metrics.test_letters_acc_folded36).toBeGreaterThanOrEqual(0);
    expect(metadata.metrics.test_letters_acc_folded47).toBeGreaterThanOrEqual(
      metadata.metrics.test_letters_acc!,
    );
    const model = JSON.parse(await readFile(join(runDir, 'model.json'), 'utf8'));
    const layers = model.modelTopology.config.layers as {
      name: string;
      config: { units?: number };
    }[];
    expect(layers.find((l) => l.name === 'logits')!.config.units).toBe(62);
  });
});

describe('label space of the line reader', () => {
  it('--labels picks the lines of that label space', () => {
    expect(resolveTrainConfig({ model: 'reader', labels: 62 }).data).toBe('artifacts/data/lines-62');
    expect(resolveTrainConfig({ model: 'reader', labels: 36 }).data).toBe('artifacts/data/lines');
    expect(resolveTrainConfig({ model: 'reader', labels: 62, data: 'x' }).data).toBe('x');
  });

  const dataDir = process.env.HCR_DATA_DIR ?? join(import.meta.dirname, '../../../../shared/data');
  it.skipIf(!existsSync(join(dataDir, 'emnist-byclass-repack')))(
    'lines labelled in another label space are an error naming both',
    { timeout: 120_000 },
    async () => {
      const lines = join(dir, 'lines36');
      await prepareLines({
        dataDir,
        config: { counts: { train: 4, val: 2, test: 2 } },
        outDir: lines,
        workers: 0,
      });
      const err = await trainLines({
        ...quiet,
        config: { labels: 62, data: lines, out: join(dir, 'runs') },
        run: 'reader-62',
      }).catch((e) => e);
      expect(err.code).toBe('LABEL_SPACE_MISMATCH');
      expect(err.message).toMatch(
        /--labels 62 asks for hcr62, but the lines in .*lines36 are labelled in hcr36 \(36 classes\)/,
      );
      expect(err.hint).toContain('hcr data lines prepare --labels 62` and train on artifacts/data/lines-62');
    },
  );
});
