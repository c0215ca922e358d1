import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSyntheticDataset } from '@hcr/train';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HCR_ARGS, ROOT } from '../../../packages/serve-onnx/test/support/run-hcr.js';
import { GC_FLAG, wantsSingleThreadedGc } from '../src/single-threaded-gc.js';

const CORES = availableParallelism();
const RESTART = /restarting node with --single-threaded-gc/;
let dir: string;

function hcrTrain(args: string[]) {
  const child = spawn(process.execPath, [...HCR_ARGS, 'train', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (d) => {
    err += d;
  });
  const done = new Promise<{ code: number | null; err: string }>((res) =>
    child.on('exit', (code) => res({ code, err })),
  );
  return { child, done, err: () => err };
}

const step = async (run: string): Promise<number> =>
  readFile(join(dir, 'runs', run, 'checkpoint', 'state.json'), 'utf8').then(
    (s) => JSON.parse(s).globalStep as number,
    () => -1,
  );
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hcr-gc-'));
  await writeSyntheticDataset(join(dir, 'data'), { train: 512, val: 36, test: 36, extra: 20 });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('hcr train with the single-threaded GC', () => {
  it('is wanted when the worker threads fill the cores, and not twice', () => {
    expect(wantsSingleThreadedGc(2, 2, [])).toBe(true);
    expect(wantsSingleThreadedGc(4, 2, ['--import', 'tsx'])).toBe(true);
    expect(wantsSingleThreadedGc(1, 2, [])).toBe(false);
    expect(wantsSingleThreadedGc(2, 8, [])).toBe(false);
    expect(wantsSingleThreadedGc(2, 2, [GC_FLAG])).toBe(false);
  });

  it("restarts itself when the workers fill the cores, and leaves with the restarted run's exit code", {
    timeout: 60_000,
  }, async () => {
    const missing = [
      '--model',
      'reader',
      '--data',
      join(dir, 'no-lines'),
      '--out',
      join(dir, 'runs'),
      '--workers',
    ];
    const full = await hcrTrain([...missing, String(CORES)]).done;
    expect(full.err).toMatch(RESTART);
    expect(full.err).toMatch(/No line dataset in/);
    expect(full.code).toBe(1);
    if (CORES > 1) {
      const one = await hcrTrain([...missing, '1']).done;
      expect(one.err).not.toMatch(RESTART);
      expect(one.code).toBe(1);
    }
  });

  it('a restarted training stops when the first process is killed (kill -9 cannot be forwarded)', {
    timeout: 120_000,
  }, async () => {
    const args = ['--model', 'hcrnet', '--epochs', '50', '--batch', '16', '--checkpoint-every', '2'];
    const run = hcrTrain([
      ...args,
      ...['--engine', 'wasm', '--workers', String(CORES), '--data', join(dir, 'data')],
      ...['--out', join(dir, 'runs'), '--run', 'killed'],
    ]);
    while ((await step('killed')) < 2 && run.child.exitCode === null) await sleep(25);
    expect(run.err()).toMatch(RESTART);
    run.child.kill('SIGKILL');
    await run.done;
    await sleep(1500); // a checkpoint being written when the first process died may still land
    const after = await step('killed');
    await sleep(3000);
    expect(await step('killed')).toBe(after); // nothing trains on
  });
});
