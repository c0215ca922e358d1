import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareLines } from '@hcr/data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrainConfigInput } from '../src/config.js';
import type { TrainResult } from '../src/session.js';
import { trainLines } from '../src/train-lines.js';
import { finished } from './support/finished.js';

const dataDir = process.env.HCR_DATA_DIR ?? join(import.meta.dirname, '../../../../shared/data');
const quiet = { log: () => {}, progress: { start: () => {}, tick: () => {}, stop: () => {} } };

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hcr-line-resume-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const epochs = async (run: string) =>
  (await readFile(join(dir, 'runs', run, 'metrics.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => {
      // Validation loss is a sum over the workers' parts: its last digit depends on how many there are.
      const { seconds: _s, images_per_s: _r, val_loss, ...figures } = JSON.parse(l);
      return { ...figures, val_loss: Number(val_loss.toPrecision(12)) };
    });

const hasLetters = existsSync(join(dataDir, 'emnist-byclass-repack'));

/** 48 short lines, and a 2-epoch run on them with one worker (12 steps of 8): what the other runs must equal. */
let straightRun: Promise<{ config: TrainConfigInput; straight: TrainResult }> | undefined;
const straightOnce = () =>
  (straightRun ??= (async () => {
    const lines = join(dir, 'lines');
    await prepareLines({
      dataDir,
      config: { counts: { train: 48, val: 8, test: 8 } },
      outDir: lines,
      workers: 0,
    });
    const config = {
      model: 'reader',
      data: lines,
      out: join(dir, 'runs'),
      epochs: 2,
      batchSize: 8,
      checkpointEvery: 2,
      workers: 1,
      engine: 'wasm' as const,
    };
    return { config, straight: await trainLines({ ...quiet, config, run: 'straight' }) };
  })());

const weights = (r: { runDir: string }) => readFile(join(r.runDir, 'weights.bin'));

describe('line reader runs', () => {
  it.skipIf(!hasLetters)(
    'an interrupted run resumed from its checkpoint ends exactly like an uninterrupted one',
    { timeout: 240_000 },
    async () => {
      const { config, straight } = await straightOnce();

      // Stopped after 5 of its 12 steps, mid-epoch (a stop writes a checkpoint, as every 2 steps do).
      const stopped = await trainLines({ ...quiet, config, run: 'interrupted', maxSteps: 5 });
      expect(stopped.stoppedEarly).toBe(true);
      const log: string[] = [];
      // Resumed on two workers: the result must not depend on the worker count.
      const resumed = await trainLines({
        ...quiet,
        log: (l) => log.push(l),
        config: { ...config, workers: 2 },
        resume: 'interrupted',
      });
      expect(log.join('\n')).toMatch(/resuming run interrupted at epoch 1, batch 5/);

      expect(Buffer.compare(await weights(resumed), await weights(straight))).toBe(0);
      expect(await epochs('interrupted')).toEqual(await epochs('straight'));
      const { test_cer, test_exact, val_exact, best_epoch } = finished(straight).metrics;
      expect(finished(resumed).metrics).toMatchObject({ test_cer, test_exact, val_exact, best_epoch });
      // The run keeps the identity it was given when it started.
      expect(finished(resumed).uid).not.toBe(finished(straight).uid);
      // What the reader reads and what its letters were drawn from.
      expect(finished(straight)).toMatchObject({ task: 'line', letterSource: 'emnist-byclass-repack' });
      expect(finished(straight).reader?.symbols).toHaveLength(finished(straight).classNames.length);
    },
  );

  it.skipIf(!hasLetters)(
    'how many of its workers compute each step (as the machine load decides) changes nothing it trains',
    { timeout: 240_000 },
    async () => {
      const { config, straight } = await straightOnce();
      // Two workers, of which one, two, one, ... take the shards: each step moves them to the other count.
      const counts: number[] = [];
      const varied = await trainLines({
        ...quiet,
        config: { ...config, workers: 2 },
        run: 'varied',
        activeWorkers: {
          next: () => {
            counts.push(counts.length % 2 ? 2 : 1);
            return counts.at(-1)!;
          },
        },
      });
      expect(counts).toHaveLength(12);
      expect(Buffer.compare(await weights(varied), await weights(straight))).toBe(0);
      expect(await epochs('varied')).toEqual(await epochs('straight'));
      const { test_cer, test_exact, val_exact, best_epoch } = finished(straight).metrics;
      expect(finished(varied).metrics).toMatchObject({ test_cer, test_exact, val_exact, best_epoch });
    },
  );

  it.skipIf(!hasLetters)(
    'a policy asking for more busy workers than the pool has stops the run with an error naming the range',
    { timeout: 240_000 },
    async () => {
      const { config } = await straightOnce();
      await expect(
        trainLines({
          ...quiet,
          config: { ...config, workers: 2 },
          run: 'too-many',
          activeWorkers: { next: () => 3 },
        }),
      ).rejects.toThrow(
        /busy workers \(ActiveWorkers.next\(\)\) must be an integer in 1..2, the pool's workers; got 3/,
      );
    },
  );
});
