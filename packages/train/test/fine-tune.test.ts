import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LABEL_SPACE_62 } from '@hcr/core';
import { linePixels, lineText, openLineDataset, prepareLines, writeImportedLines } from '@hcr/data';
import { initEngine } from '@hcr/engine';
import { loadModel } from '@hcr/model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSyntheticDataset } from '../src/synthetic.js';
import { train } from '../src/train.js';
import { trainLines } from '../src/train-lines.js';

const dataDir = process.env.HCR_DATA_DIR ?? join(import.meta.dirname, '../../../../shared/data');
const hasLetters = existsSync(join(dataDir, 'emnist-byclass-repack'));
const quiet = { log: () => {}, progress: { start: () => {}, tick: () => {}, stop: () => {} } };

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hcr-fine-tune-'));
  await initEngine({ engine: 'wasm', purpose: 'infer', log: () => {} }); // to read the saved weights
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const base = { model: 'reader', out: '', epochs: 1, batchSize: 8, workers: 1, engine: 'wasm' as const };

/** A base reader trained on 48 drawn lines, and the same lines imported as if they were someone's own scans. */
let prepared: Promise<{ baseRun: string; imported: string }> | undefined;
const prepareOnce = () =>
  (prepared ??= (async () => {
    const drawn = join(dir, 'drawn');
    await prepareLines({
      dataDir,
      config: { counts: { train: 48, val: 8, test: 8 } },
      outDir: drawn,
      workers: 0,
    });
    const runs = join(dir, 'runs');
    const r = await trainLines({ ...quiet, config: { ...base, out: runs, data: drawn }, run: 'base' });
    const ds = await openLineDataset(drawn);
    const train = await ds.loadSplit('train');
    const imported = join(dir, 'imported');
    const lines = Array.from({ length: train.count }, (_, i) => ({
      id: `images/${i}.png`,
      text: lineText(train, i, ds.alphabet),
      width: train.widths[i]!,
      pixels: linePixels(train, i).slice(),
    }));
    await writeImportedLines(lines, {
      outDir: imported,
      alphabet: ds.alphabet,
      height: train.height,
      valShare: 0.2,
      source: { name: 'own', labelsSha256: '0'.repeat(64), rows: lines.length },
    });
    return { baseRun: r.runDir, imported };
  })());

/** The trainable weights of a saved model, in order. */
async function trainable(runDir: string): Promise<Float32Array[]> {
  const m = await loadModel(runDir);
  const out = m.trainableWeights.map((w) => w.read().dataSync() as Float32Array);
  m.dispose();
  return out;
}

describe('fine-tuning a reader (--init)', () => {
  it.skipIf(!hasLetters)(
    'starts from the init model’s weights, keeps its letters’ source and records where it started',
    { timeout: 120_000 },
    async () => {
      const { baseRun, imported } = await prepareOnce();
      const runs = join(dir, 'runs');
      // a learning rate too small to move anything: what is saved is what the run started from
      const r = await trainLines({
        ...quiet,
        config: { ...base, out: runs, data: imported, init: baseRun, lr: 1e-7, warmup: 0 },
        run: 'tuned',
      });
      const [before, after] = await Promise.all([trainable(baseRun), trainable(r.runDir)]);
      expect(after.length).toBe(before.length);
      let maxDiff = 0;
      for (const [i, w] of after.entries())
        for (let k = 0; k < w.length; k++) maxDiff = Math.max(maxDiff, Math.abs(w[k]! - before[i]![k]!));
      expect(maxDiff).toBeLessThan(1e-4);
      const meta = JSON.parse(await readFile(join(r.runDir, 'metadata.json'), 'utf8'));
      const baseMeta = JSON.parse(await readFile(join(baseRun, 'metadata.json'), 'utf8'));
      expect(meta.trainingConfig.init).toBe(baseRun);
      expect(meta.letterSource).toBe(baseMeta.letterSource);
      // a fresh run of the same seed starts elsewhere: the test above would fail without --init
      const fresh = await trainLines({
        ...quiet,
        config: { ...base, out: runs, data: join(dir, 'drawn'), lr: 1e-7, warmup: 0 },
        run: 'fresh',
      });
      const other = await trainable(fresh.runDir);
      expect(Math.max(...other[0]!.map((x, k) => Math.abs(x - before[0]![k]!)))).toBeGreaterThan(1e-3);
    },
  );

  it.skipIf(!hasLetters)(
    'keeps the init reader’s context, at a quarter of the recipe’s learning rate',
    { timeout: 60_000 },
    async () => {
      const { baseRun, imported } = await prepareOnce();
      const logs: string[] = [];
      const r = await trainLines({
        ...quiet,
        log: (l) => logs.push(l),
        config: { ...base, out: join(dir, 'runs'), data: imported, init: baseRun },
        run: 'quarter',
      });
      const meta = JSON.parse(await readFile(join(r.runDir, 'metadata.json'), 'utf8'));
      expect(meta.trainingConfig.context).toBe('conv');
      expect(meta.trainingConfig.lr).toBeCloseTo(0.001, 9);
      expect(logs.some((l) => l.startsWith(`fine-tuning from ${baseRun}`))).toBe(true);
    },
  );

  it.skipIf(!hasLetters)(
    'an interrupted fine-tuning run resumes from its checkpoint and ends exactly as an uninterrupted one',
    { timeout: 60_000 },
    async () => {
      const { baseRun, imported } = await prepareOnce();
      const config = { ...base, out: join(dir, 'runs'), data: imported, init: baseRun, checkpointEvery: 1 };
      const straight = await trainLines({ ...quiet, config, run: 'ft-straight' });
      const cut = await trainLines({ ...quiet, config, run: 'ft-cut', maxSteps: 2 });
      expect(cut.stoppedEarly).toBe(true);
      const resumed = await trainLines({
        ...quiet,
        config: { workers: 1, out: config.out },
        resume: 'ft-cut',
      });
      expect(await readFile(join(resumed.runDir, 'weights.bin'))).toEqual(
        await readFile(join(straight.runDir, 'weights.bin')),
      );
    },
  );

  it.skipIf(!hasLetters)(
    'trains on a sample of replayed lines beside its own (--replay), of the same label space only',
    { timeout: 60_000 },
    async () => {
      const { baseRun, imported } = await prepareOnce();
      const drawn = join(dir, 'drawn');
      const own = (await openLineDataset(imported)).manifest.counts.train.lines;
      const logs: string[] = [];
      const config = { ...base, out: join(dir, 'runs'), data: imported, init: baseRun, replay: drawn };
      await trainLines({
        ...quiet,
        log: (l) => logs.push(l),
        config: { ...config, replayShare: 0.5 },
        run: 'replay',
      });
      const replayed = Math.round(own / 2);
      expect(logs.find((l) => l.startsWith('engine:'))).toContain(
        `${own + replayed} training lines (${replayed} replayed from ${drawn})`,
      );
      const cased = join(dir, 'drawn-62');
      await prepareLines({
        dataDir,
        config: { counts: { train: 8, val: 4, test: 4 }, labels: 62 },
        outDir: cased,
        workers: 0,
      });
      await expect(
        trainLines({ ...quiet, config: { ...config, replay: cased }, run: 'replay-62' }),
      ).rejects.toMatchObject({ code: 'REPLAY_MISMATCH', message: expect.stringContaining('hcr62-line') });
    },
  );

  it.skipIf(!hasLetters)(
    'refuses imported lines without --init, and an init model that is not the run’s',
    async () => {
      const { baseRun, imported } = await prepareOnce();
      const runs = join(dir, 'runs');
      await expect(
        trainLines({ ...quiet, config: { ...base, out: runs, data: imported }, run: 'no-init' }),
      ).rejects.toMatchObject({ code: 'INIT_REQUIRED', hint: expect.stringContaining('--init') });
      await expect(
        trainLines({
          ...quiet,
          config: { ...base, out: runs, data: imported, init: baseRun, context: 'bilstm' },
          run: 'lstm',
        }),
      ).rejects.toMatchObject({ code: 'INIT_MISMATCH', hint: expect.stringContaining('--context conv') });
      await expect(
        trainLines({
          ...quiet,
          config: { ...base, out: runs, data: imported, init: join(dir, 'nothing') },
          run: 'gone',
        }),
      ).rejects.toMatchObject({ code: 'INIT_MODEL_MISSING' });
      // a run id under --out is found too
      const byId = await trainLines({
        ...quiet,
        config: { ...base, out: runs, data: imported, init: 'base', lr: 1e-7 },
        run: 'by-id',
      });
      expect(JSON.parse(await readFile(join(byId.runDir, 'metadata.json'), 'utf8')).trainingConfig.init).toBe(
        'base',
      );
      // none of the refused runs left a directory behind
      for (const run of ['no-init', 'lstm', 'gone']) expect(existsSync(join(runs, run))).toBe(false);
    },
  );
});

describe('fine-tuning a character model (--init)', () => {
  it('starts from the init model’s weights, and refuses a model of other classes', {
    timeout: 120_000,
  }, async () => {
    const data36 = join(dir, 'chars-36');
    const data62 = join(dir, 'chars-62');
    await writeSyntheticDataset(data36, { train: 64, val: 16, test: 16, extra: 8 });
    await writeSyntheticDataset(data62, { train: 124, val: 62, test: 62, extra: 8 }, LABEL_SPACE_62);
    const out = join(dir, 'char-runs');
    const config = { model: 'hcrnet', epochs: 1, batchSize: 16, workers: 1, engine: 'wasm' as const, out };
    const first = await train({ ...quiet, config: { ...config, data: data36 }, run: 'char-base' });
    const tuned = await train({
      ...quiet,
      config: { ...config, data: data36, init: first.runDir, lr: 1e-7, warmup: 0 },
      run: 'char-tuned',
    });
    const [before, after] = await Promise.all([trainable(first.runDir), trainable(tuned.runDir)]);
    let maxDiff = 0;
    for (const [i, w] of after.entries())
      for (let k = 0; k < w.length; k++) maxDiff = Math.max(maxDiff, Math.abs(w[k]! - before[i]![k]!));
    expect(maxDiff).toBeLessThan(1e-4);
    await expect(
      train({ ...quiet, config: { ...config, data: data62, init: first.runDir }, run: 'char-62' }),
    ).rejects.toMatchObject({
      code: 'INIT_MISMATCH',
      message: expect.stringContaining('"hcr36"'),
      // a character model: its data comes from `hcr data prepare`, not the line import the hint named before
      hint: expect.stringContaining('`hcr data prepare --labels 36`'),
    });
  });
});
