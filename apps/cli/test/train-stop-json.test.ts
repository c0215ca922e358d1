import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeSyntheticDataset } from '@hcr/train';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHcr } from '../../../packages/serve-onnx/test/support/run-hcr.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hcr-stop-json-'));
  await writeSyntheticDataset(join(dir, 'data'), { train: 512, val: 36, test: 36, extra: 20 });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const step = async (): Promise<number> =>
  readFile(join(dir, 'runs', 'stopped', 'checkpoint', 'state.json'), 'utf8').then(
    (s) => JSON.parse(s).globalStep as number,
    () => -1,
  );

describe('hcr train --json stopped by Ctrl-C', () => {
  it('prints what stopped and how to resume as JSON on stdout, and exits 130', {
    timeout: 120_000,
  }, async () => {
    // One worker: no restart with the single-threaded GC, so the signal reaches the trainer itself.
    const args = ['--model', 'seed', '--epochs', '50', '--batch', '16', '--checkpoint-every', '2', '--json'];
    const { child, done } = startHcr([
      ...['train', ...args, '--workers', '1', '--engine', 'wasm', '--data', join(dir, 'data')],
      ...['--out', join(dir, 'runs'), '--run', 'stopped'],
    ]);
    while ((await step()) < 2 && child.exitCode === null) await new Promise((r) => setTimeout(r, 25));
    child.kill('SIGINT');
    const { code, stdout, stderr: err } = await done;
    expect(code, err).toBe(130);
    const report = JSON.parse(stdout);
    expect(report).toMatchObject({ stopped: true, trained: false, runId: 'stopped', epoch: 1 });
    expect(report.step).toBeGreaterThanOrEqual(2);
    expect(report.resume).toBe(`hcr train --resume stopped --out ${join(dir, 'runs')}`);
    expect(err).toContain(`Resume with \`${report.resume}\``);
  });
});
