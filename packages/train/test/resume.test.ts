import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSyntheticDataset } from '../src/synthetic.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const BIN = join(ROOT, 'apps/cli/src/bin.ts');
let dir: string;

function hcr(args: string[]): ChildProcess {
  return spawn(process.execPath, ['--conditions=source', '--import', 'tsx', BIN, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function finish(child: ChildProcess): Promise<{ code: number | null; signal: string | null; err: string }> {
  let err = '';
  child.stderr?.on('data', (d) => {
    err += d;
  });
  return new Promise((res) => child.on('exit', (code, signal) => res({ code, signal, err })));
}

const common = (run: string, workers: number) => [
  'train',
  '--model',
  'hcrnet',
  '--epochs',
  '2',
  '--batch',
  '16',
  '--checkpoint-every',
  '2',
  '--engine',
  'wasm',
  '--workers',
  String(workers),
  '--data',
  join(dir, 'data'),
  '--out',
  join(dir, 'runs'),
  '--run',
  run,
];

async function globalStep(run: string): Promise<number> {
  try {
    const s = JSON.parse(await readFile(join(dir, 'runs', run, 'checkpoint', 'state.json'), 'utf8'));
    return s.globalStep;
  } catch {
    return -1;
  }
}

const metrics = async (run: string) =>
  (await readFile(join(dir, 'runs', run, 'metrics.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hcr-train-resume-'));
  await writeSyntheticDataset(join(dir, 'data'), { train: 128, val: 36, test: 36, extra: 20 });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('checkpoint and resume', () => {
  // Three short CLI runs (each starts tsx and two wasm workers); the timeout allows for a shared machine.
  it('kill -9 after a checkpoint, then --resume, ends exactly like an uninterrupted run', {
    timeout: 180_000,
  }, async () => {
    // Interrupted run: SIGKILL as soon as a mid-epoch checkpoint exists.
    const child = hcr(common('interrupted', 2));
    const done = finish(child);
    let killedAt = -1;
    while (child.exitCode === null && child.signalCode === null) {
      const step = await globalStep('interrupted');
      if (step >= 2 && step < 16) {
        child.kill('SIGKILL');
        killedAt = step;
        break;
      }
      await new Promise((r) => setTimeout(r, 15));
    }
    const killed = await done;
    expect(killed.signal, killed.err).toBe('SIGKILL');
    expect(killedAt).toBeGreaterThanOrEqual(2);
    const checkpointed = JSON.parse(
      await readFile(join(dir, 'runs', 'interrupted', 'checkpoint', 'state.json'), 'utf8'),
    );
    await expect(stat(join(dir, 'runs', 'interrupted', 'model.json'))).rejects.toThrow();

    // Resume with a different worker count: the result must not depend on it.
    const resumed = await finish(
      hcr(['train', '--resume', 'interrupted', '--out', join(dir, 'runs'), '--workers', '1']),
    );
    expect(resumed.code, resumed.err).toBe(0);
    // It really continued from the checkpoint (8 steps per epoch here), not from scratch.
    const at = /resuming run interrupted at epoch (\d+), batch (\d+)/.exec(resumed.err);
    expect(at, resumed.err).not.toBeNull();
    expect((Number(at![1]) - 1) * 8 + Number(at![2])).toBeGreaterThanOrEqual(killedAt);

    const straight = await finish(hcr(common('straight', 2)));
    expect(straight.code, straight.err).toBe(0);

    const a = await metrics('interrupted');
    const b = await metrics('straight');
    expect(a).toHaveLength(2);
    expect(b).toHaveLength(2);
    for (let e = 0; e < 2; e++) {
      expect(Math.abs(a[e].train_loss - b[e].train_loss)).toBeLessThan(1e-6);
      expect(Math.abs(a[e].val_loss - b[e].val_loss)).toBeLessThan(1e-6);
      expect(a[e].val_acc).toBe(b[e].val_acc);
    }
    const ma = JSON.parse(await readFile(join(dir, 'runs', 'interrupted', 'metadata.json'), 'utf8'));
    const mb = JSON.parse(await readFile(join(dir, 'runs', 'straight', 'metadata.json'), 'utf8'));
    expect(ma.metrics.test_acc).toBe(mb.metrics.test_acc);
    expect(ma.metrics.extra_digits_acc_digitsonly).toBe(mb.metrics.extra_digits_acc_digitsonly);
    // Each run has its own identity, made when it started and kept across the resume; it never touches
    // the training (the results above are identical).
    expect(ma.uid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(ma.uid).toBe(checkpointed.uid);
    expect(ma.modelVersion).toBe(checkpointed.modelVersion);
    expect(mb.uid).not.toBe(ma.uid);
    expect(String(mb.modelVersion)).toMatch(/^20\d{12}$/);
    expect(mb.modelVersion).toBeGreaterThanOrEqual(ma.modelVersion);
    // The synthetic task is learnable: training did something real.
    expect(b[1].train_loss).toBeLessThan(b[0].train_loss);
  });

  it('Ctrl-C stops at the next step with a checkpoint there and says how to resume; resumed, it ends as if never stopped', {
    timeout: 180_000,
  }, async () => {
    // Checkpoints only at epoch ends, so a mid-epoch checkpoint can only be the stop's own.
    const child = hcr([...common('ctrl-c', 1), '--checkpoint-every', '100']);
    let sent = false;
    child.stderr?.on('data', (d: Buffer) => {
      if (!sent && /worker thread\(s\), model/.test(String(d))) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    const stopped = await finish(child);
    expect(stopped.code, stopped.err).toBe(130);
    const at =
      /stopped at epoch (\d+), batch (\d+) \(step (\d+)\); checkpoint saved in .*ctrl-c\. Resume with `hcr train --resume ctrl-c --out [^`]+`/.exec(
        stopped.err,
      );
    expect(at, stopped.err).not.toBeNull();
    expect(await globalStep('ctrl-c')).toBe(Number(at![3]));
    await expect(stat(join(dir, 'runs', 'ctrl-c', 'model.json'))).rejects.toThrow();

    const resumed = await finish(hcr(['train', '--resume', 'ctrl-c', '--out', join(dir, 'runs')]));
    expect(resumed.code, resumed.err).toBe(0);
    const a = await metrics('ctrl-c');
    const b = await metrics('straight');
    for (let e = 0; e < 2; e++) {
      expect(Math.abs(a[e].train_loss - b[e].train_loss)).toBeLessThan(1e-6);
      expect(a[e].val_acc).toBe(b[e].val_acc);
    }
  });
});
