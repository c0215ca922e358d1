import { execFile } from 'node:child_process';
import { getEventListeners } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { prepareLineImage } from '@hcr/image/decode';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRecognizer, type Recognizer } from '../src/index.js';
import { PreparePool } from '../src/workers/pool.js';
import { lineScan } from './support/line-synth.js';
import { FIXTURE_MODEL } from './support/models.js';
import { slowPdf } from './support/slow-pdf.js';
import { photo } from './support/synth.js';

const run = promisify(execFile);

describe('preparation in worker threads', () => {
  let inThread: Recognizer;
  let pooled: Recognizer;
  beforeAll(async () => {
    inThread = await createRecognizer({ model: FIXTURE_MODEL, intraOpThreads: 1 });
    // every image through the workers, small PNGs included (by default they stay on the calling thread
    // on machines of up to 2 cores)
    pooled = await createRecognizer({
      model: FIXTURE_MODEL,
      intraOpThreads: 1,
      prepareWorkers: 2,
      inlineSmallImages: false,
    });
  });
  afterAll(async () => {
    await inThread.close();
    await pooled.close();
  });

  it('prepares characters exactly as the calling thread does, and recognises them', async () => {
    expect(pooled.prepareWorkers).toBe(2);
    const images = await Promise.all([
      photo('7'),
      photo('A', { format: 'jpeg', paper: 190, gradient: 50 }),
      photo('X', { format: 'webp' }),
    ]);
    const a = await Promise.all(images.map((i) => inThread.prepare(i)));
    expect(pooled.preparing).toBe(0);
    const preparing = images.map((i) => pooled.prepare(i));
    // what /metrics reports as hcr_prepare_queue_tasks: sent to the workers and not yet answered
    expect([pooled.preparing, inThread.preparing]).toEqual([3, 0]);
    const b = await Promise.all(preparing);
    expect(pooled.preparing).toBe(0);
    for (let i = 0; i < images.length; i++) {
      expect(b[i]!.pixels).toEqual(a[i]!.pixels);
      expect(b[i]!.ink).toEqual(a[i]!.ink);
    }
    expect((await pooled.recognize(images)).map((p) => p.label)).toEqual(['7', 'A', 'X']);
    // The caller's buffer is left alone (the pool moves a copy).
    expect(images[0]!.byteLength).toBeGreaterThan(0);
  });

  it('prepares small PNGs kept on the calling thread exactly as the workers do', async () => {
    const inline = await createRecognizer({
      model: FIXTURE_MODEL,
      intraOpThreads: 1,
      prepareWorkers: 1,
      inlineSmallImages: true,
    });
    try {
      const small = await Promise.all([photo('7', { size: 28 }), photo('A', { size: 64, paper: 190 })]);
      const a = await Promise.all(small.map((i) => inline.prepare(i)));
      const b = await Promise.all(small.map((i) => pooled.prepare(i)));
      for (let i = 0; i < small.length; i++) {
        expect(a[i]!.pixels).toEqual(b[i]!.pixels);
        expect(a[i]!.ink).toEqual(b[i]!.ink);
      }
    } finally {
      await inline.close();
    }
  });

  it('keeps error codes and hints across the thread boundary', async () => {
    const blank = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#eee' } })
      .png()
      .toBuffer();
    // a blank page is an answer (noInk), not an error, on either side of the boundary
    expect(await pooled.prepare(blank)).toMatchObject({ noInk: true });
    await expect(pooled.prepare(Buffer.from('definitely not a png'))).rejects.toMatchObject({
      code: 'IMAGE_UNDECODABLE',
      hint: expect.any(String),
    });
    // And keeps working afterwards.
    expect((await pooled.recognize(await photo('7'))).label).toBe('7');
  });

  it('prepares lines with the same pool design', async () => {
    const pool = new PreparePool(1);
    try {
      const scan = await lineScan('TAX');
      const line = await pool.run<{ pixels: Uint8Array; width: number }>({
        kind: 'line',
        bytes: scan,
        limits: {},
      });
      const here = await prepareLineImage(scan);
      expect(line.width).toBe(here.width);
      expect(line.pixels).toEqual(here.pixels);
    } finally {
      await pool.close();
    }
  });

  it('gives up a file past its deadline, stops the worker it held, and prepares the tasks behind it on a new one', async () => {
    const stopped: number[] = [];
    // The line below counts its deadline from when it is queued: after the stop it has what it waited (3 s) to be
    // prepared on a new worker, which starts from sources through tsx here: seconds on a loaded machine (queued at
    // 1.5 of 2 s it sometimes ran out; at 2.5 of 4 s it did once in CI, 2026-12-07, its worker started 0.8-1 s after
    // the stop when alone).
    const pool = new PreparePool(1, { taskTimeoutMs: 6000, onTimeout: (n) => stopped.push(n) });
    try {
      // ~20 s to draw if nothing stops it; one worker, so the line below waits behind it.
      const slow = pool.run({ kind: 'line', bytes: await slowPdf(50_000), limits: {} });
      const slowFailed = expect(slow).rejects.toMatchObject({
        code: 'TIMEOUT',
        problem: expect.stringMatching(/longer than 6000 ms; it was stopped/),
        hint: expect.stringMatching(/PNG or JPEG/),
      });
      await new Promise((r) => setTimeout(r, 3000));
      const scan = await lineScan('TAX');
      const line = await pool.run<{ pixels: Uint8Array }>({ kind: 'line', bytes: scan, limits: {} });
      await slowFailed;
      // The line was not given up with it (it was younger than the deadline), and is what it should be.
      expect(line.pixels).toEqual((await prepareLineImage(scan)).pixels);
      expect(stopped).toEqual([1]);
      expect(pool.size).toBe(1);
    } finally {
      await pool.close();
    }
  });

  it('refuses a deadline that is not a positive number of ms', () => {
    expect(() => new PreparePool(1, { taskTimeoutMs: 0 })).toThrow(
      /taskTimeoutMs must be a number of ms > 0/,
    );
  });
});

describe('onnxruntime in a worker thread', () => {
  it('gives the same probabilities as a session on the calling thread, and frees it on close', async () => {
    const here = await createRecognizer({ model: FIXTURE_MODEL, intraOpThreads: 1 });
    const there = await createRecognizer({ model: FIXTURE_MODEL, intraOpThreads: 1, inferenceThread: true });
    try {
      const images = await Promise.all(['7', 'A', 'X'].map(async (c) => here.prepare(await photo(c))));
      const a = await here.infer(images.map((p) => p.pixels));
      const b = await there.infer(images.map((p) => p.pixels));
      expect(Array.from(b)).toEqual(Array.from(a));
      expect(there.rank(b, 0).label).toBe('7');
    } finally {
      await here.close();
      await there.close();
    }
    await expect(there.infer([new Uint8Array(784)])).rejects.toThrow(/closed/);
  });

  it('refuses a file that is no ONNX model as MODEL_INVALID', async () => {
    await expect(
      createRecognizer({ model: new Uint8Array([1, 2, 3, 4]), inferenceThread: true }),
    ).rejects.toMatchObject({ code: expect.stringMatching(/^MODEL_/) });
  });

  it('a page given up before its worker begins it fails CANCELLED at once and is never prepared', async () => {
    const pool = new PreparePool(1);
    // The same slow page begun at the same time on a pool of its own: how long preparing it takes.
    const reference = new PreparePool(1);
    try {
      const busy = pool.run({ kind: 'line', bytes: await slowPdf(2_000), limits: {} }).catch(() => undefined);
      const giveUp = new AbortController();
      const slow = await slowPdf(12_000);
      const abandoned = pool.run({ kind: 'line', bytes: slow, limits: {} }, giveUp.signal);
      const timed = reference.run({ kind: 'line', bytes: slow, limits: {} }).then(
        () => 'reference',
        () => 'reference',
      );
      await new Promise((r) => setTimeout(r, 200)); // both tasks are with the worker by now
      giveUp.abort();
      await expect(abandoned).rejects.toMatchObject({ code: 'CANCELLED' });
      // The next page is prepared right after the first: the abandoned one, had it run, would take as long as
      // the reference (pages wait their turn), so the next page would come after it.
      const next = pool
        .run({ kind: 'text-lines', bytes: await lineScan('TAX'), limits: {} })
        .then(() => 'next');
      expect(await Promise.race([next, timed])).toBe('next');
      await busy;
      expect(
        await pool.run({ kind: 'line', bytes: slow, limits: {} }, AbortSignal.abort()).catch((e) => e.code),
      ).toBe('CANCELLED');
    } finally {
      await pool.close();
      await reference.close();
    }
  });
});

describe("one signal for many tasks (a request's images)", () => {
  it('is listened to once, leaves no listener behind, warns of no leak, and cancels them all when it aborts', async () => {
    const pool = new PreparePool(1);
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      const bytes = await lineScan('TAX');
      const signal = new AbortController().signal;
      const read = Array.from({ length: 24 }, () => pool.run({ kind: 'line', bytes, limits: {} }, signal));
      expect(getEventListeners(signal, 'abort')).toHaveLength(1);
      await Promise.all(read);
      expect(getEventListeners(signal, 'abort')).toHaveLength(0);

      const giveUp = new AbortController();
      const cancelled = Array.from({ length: 24 }, () =>
        pool.run({ kind: 'line', bytes, limits: {} }, giveUp.signal).catch((e) => e.code),
      );
      giveUp.abort();
      expect(await Promise.all(cancelled)).toEqual(Array(24).fill('CANCELLED'));
      expect(getEventListeners(giveUp.signal, 'abort')).toHaveLength(0);
      await new Promise((r) => setImmediate(r)); // a warning is emitted on the next tick
      expect(warnings).not.toContain('MaxListenersExceededWarning');
    } finally {
      process.off('warning', onWarning);
      await pool.close();
    }
  });
});

describe('preparation workers in a process with V8-wide flags', () => {
  it('start under --single-threaded-gc (hcr train and hcr finetune restart node with it)', async () => {
    // a worker given that flag in its execArgv fails to start ("invalid execArgv flags")
    const dir = await mkdtemp(join(tmpdir(), 'hcr-pool-gc-'));
    try {
      const png = join(dir, 'tax.png');
      await writeFile(png, await lineScan('TAX'));
      const reader = new URL('../src/exports/reader.ts', import.meta.url).href;
      const script = `import { readFileSync } from 'node:fs';
const { PreparePool, prepareLineInPool } = await import(${JSON.stringify(reader)});
const pool = new PreparePool(1);
const line = await prepareLineInPool(pool, readFileSync(${JSON.stringify(png)}));
await pool.close();
console.log(JSON.stringify({ width: line.width, height: line.height }));`;
      const { stdout } = await run(
        process.execPath,
        [
          '--single-threaded-gc',
          '--conditions=source',
          '--import',
          'tsx',
          '--input-type=module',
          '-e',
          script,
        ],
        { cwd: fileURLToPath(new URL('..', import.meta.url)) },
      );
      const inThread = await prepareLineImage(await lineScan('TAX'));
      expect(JSON.parse(stdout)).toEqual({ width: inThread.width, height: inThread.height });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
