/**
 * `pnpm bench mixed [--reader file.onnx[,more.onnx]] [--model file.onnx] [--clients n] [--batch n]
 *   [--duration s] [--trials n] [--json]`
 *
 * Mixed traffic against `hcr serve` (the real CLI, in its own process): `--clients` clients each POST a batch
 * of `--batch` lines to /v1/read (JSON; `--batch 1` posts the image itself), one request after another, while
 * two more ask GET /healthz and POST /v1/predict (one character) every 20 ms. It prints the latency of those
 * small requests under the reads (p50 / p90 / p99; /healthz's also before the reads start), the lines read
 * meanwhile, the lines read with nothing beside them and the server's resident memory after the reads, for the line reader on the HTTP thread
 * (`--no-reader-thread`) and in a thread of its own (the default on 2+ cores), alternated `--trials` times since the load moves between
 * runs. The load generator (this process) shares the cores with the server.
 *
 * Lines: the first 64 real names of `handwritten-names-dev` (../shared/data or HCR_DATA_DIR), else synthetic
 * scans (the read bench's). Reader: --reader, else HCR_READER, else the pipeline's, else the tests' random one.
 * Character model: --model, else the pipeline's, else the tests' MLP fixture.
 */
import { existsSync, readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lineScan } from '../test/support/line-synth.js';
import { devSetItems, devSetPresent, ROOT } from './dev-sets.js';
import { readerPath, TEXTS } from './read.js';
import { startServe, stopServe } from './serve.js';

const PIPELINE_MODEL = resolve(ROOT, 'artifacts/model/pipeline/model.onnx');
const FIXTURE = resolve(ROOT, 'packages/serve-onnx/test/fixtures/hcr-mlp.onnx');
const NAMES = 'handwritten-names-dev';
/** Pause between one small request's answer and the next: a client polling, not a flood. */
const POLL_GAP_MS = 20;
/** How long /healthz is asked before the reads start. */
const IDLE_MS = 2000;

export interface BenchMixedOptions {
  reader?: string;
  model?: string;
  /** Clients reading batches of lines at once (default 4). */
  clients?: number;
  /** Lines per /v1/read request (default 16). */
  batch?: number;
  /** Seconds of each phase (default 8). */
  duration?: number;
  /** Rounds of (reader thread off, on) (default 2). */
  trials?: number;
}

export interface Latency {
  requests: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface MixedRun {
  trial: number;
  readerThread: boolean;
  load1: number;
  /** Lines per second with only the readers. */
  readsAloneLinesPerSecond: number;
  /** Lines per second while the small requests were asked too. */
  readsMixedLinesPerSecond: number;
  /** /healthz with no reads beside it. */
  healthzIdle: Latency;
  healthz: Latency;
  predict: Latency;
  /** Answers that were not 2xx, in either phase (a read refused, a timeout). */
  failures: number;
  /** The server's resident memory after the reads (its /metrics), MiB: what a thread of its own costs. */
  rssMiB: number | null;
}

/** p-quantile of sorted values (the value at floor(p * n)), in ms to 0.1. */
function latency(sorted: number[]): Latency {
  const q = (p: number) => +sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!.toFixed(1);
  return { requests: sorted.length, p50Ms: q(0.5), p90Ms: q(0.9), p99Ms: q(0.99), maxMs: q(1) };
}

async function lineImages(): Promise<{ images: Buffer[]; what: string }> {
  if (devSetPresent(NAMES)) {
    const items = devSetItems(NAMES).slice(0, 64);
    return { images: items.map((i) => readFileSync(i.file)), what: `${items.length} real names (${NAMES})` };
  }
  const images = await Promise.all(TEXTS.map((t, i) => lineScan(t, { seed: i + 1, noise: 4 })));
  return { images, what: `${images.length} synthetic line scans (no ${NAMES} found)` };
}

/** Counts lines read and failures while `clients` loops POST batches until `stop()`. */
function startReaders(url: string, images: Buffer[], clients: number, batch: number) {
  const base64 = images.map((b) => b.toString('base64'));
  const state = { lines: 0, failures: 0, running: true };
  const loop = async (client: number) => {
    for (let k = client * batch; state.running; k += batch * clients) {
      // one line: the image itself as the body, as most clients send it; more: a JSON batch of base64 images
      const r = await fetch(`${url}/v1/read`, {
        method: 'POST',
        ...(batch === 1
          ? { headers: { 'content-type': 'application/octet-stream' }, body: images[k % images.length] }
          : {
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({
                images: Array.from({ length: batch }, (_, i) => base64[(k + i) % base64.length]),
              }),
            }),
      });
      await r.arrayBuffer();
      if (r.ok) state.lines += batch;
      else state.failures++;
    }
  };
  const loops = Array.from({ length: clients }, (_, c) => loop(c));
  return {
    state,
    stop: async () => {
      state.running = false;
      await Promise.all(loops);
    },
  };
}

/** One client asking `path` every POLL_GAP_MS for `ms`: each answer's time, and the failures. */
async function poll(url: string, path: string, ms: number, body?: Buffer) {
  const times: number[] = [];
  let failures = 0;
  const end = performance.now() + ms;
  while (performance.now() < end) {
    const t = performance.now();
    const r = await fetch(
      `${url}${path}`,
      body ? { method: 'POST', headers: { 'content-type': 'image/png' }, body } : {},
    );
    await r.arrayBuffer();
    times.push(performance.now() - t);
    if (!r.ok) failures++;
    await new Promise((res) => setTimeout(res, POLL_GAP_MS));
  }
  return { times: times.sort((a, b) => a - b), failures };
}

const sleep = (ms: number) => new Promise((res) => setTimeout(res, ms));

/** The server's resident set from its /metrics (prom-client's process metrics; absent where the OS has none). */
async function residentMiB(url: string): Promise<number | null> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = /^hcr_process_resident_memory_bytes (\d+)/m.exec(text);
  return m ? Math.round(Number(m[1]) / 2 ** 20) : null;
}

async function measure(
  url: string,
  images: Buffer[],
  character: Buffer,
  o: Required<Pick<BenchMixedOptions, 'clients' | 'batch' | 'duration'>>,
) {
  const ms = o.duration * 1000;
  // warm-up: the character model here, the reader in each phase's first second (not counted)
  await poll(url, '/v1/predict', 300, character);
  // what the small requests take with nothing beside them: the floor the reads raise
  const idle = await poll(url, '/healthz', IDLE_MS);
  let readers = startReaders(url, images, o.clients, o.batch);
  await sleep(1000);
  const before = readers.state.lines;
  await sleep(ms);
  const readsAlone = (readers.state.lines - before) / o.duration;
  const failuresAlone = readers.state.failures;
  await readers.stop();

  readers = startReaders(url, images, o.clients, o.batch);
  await sleep(1000);
  const start = readers.state.lines;
  const [healthz, predict] = await Promise.all([
    poll(url, '/healthz', ms),
    poll(url, '/v1/predict', ms, character),
  ]);
  const readsMixed = (readers.state.lines - start) / o.duration;
  await readers.stop();
  const rssMiB = await residentMiB(url);
  return {
    readsAloneLinesPerSecond: Math.round(readsAlone),
    readsMixedLinesPerSecond: Math.round(readsMixed),
    healthzIdle: latency(idle.times),
    healthz: latency(healthz.times),
    predict: latency(predict.times),
    failures: idle.failures + failuresAlone + readers.state.failures + healthz.failures + predict.failures,
    rssMiB,
  };
}

export async function benchMixed(opts: BenchMixedOptions = {}) {
  const o = { clients: opts.clients ?? 4, batch: opts.batch ?? 16, duration: opts.duration ?? 8 };
  const reader = readerPath(opts.reader);
  const model = opts.model ?? (existsSync(PIPELINE_MODEL) ? PIPELINE_MODEL : FIXTURE);
  const { images, what } = await lineImages();
  const character = await lineScan('7', { seed: 7, noise: 4 });
  const load1Before = loadavg()[0]!;
  const runs: MixedRun[] = [];
  for (let trial = 1; trial <= (opts.trials ?? 2); trial++)
    for (const readerThread of [false, true]) {
      const extra = ['--reader', reader, readerThread ? '--reader-thread' : '--no-reader-thread'];
      const load1 = +loadavg()[0]!.toFixed(2);
      const { url, child } = await startServe(model, true, undefined, extra);
      try {
        runs.push({ trial, readerThread, load1, ...(await measure(url, images, character, o)) });
      } finally {
        await stopServe(child);
      }
      const r = runs.at(-1)!;
      process.stderr.write(
        `  trial ${trial}, reader thread ${readerThread ? 'on' : 'off'}: /healthz p50 ${r.healthz.p50Ms} ms, ${r.readsMixedLinesPerSecond} lines/s\n`,
      );
    }
  return {
    reader,
    model,
    lines: what,
    ...o,
    cpus: cpus().length,
    load1Before: +load1Before.toFixed(2),
    load1After: +loadavg()[0]!.toFixed(2),
    runs,
  };
}

function print(r: Awaited<ReturnType<typeof benchMixed>>) {
  const out = process.stdout;
  out.write(`reader: ${r.reader}\ncharacter model: ${r.model}\nlines: ${r.lines}\n`);
  out.write(
    `${r.clients} clients reading ${r.batch} lines per request; /healthz and /v1/predict asked every ${POLL_GAP_MS} ms beside them; ${r.duration} s per phase\n`,
  );
  out.write(`cpus: ${r.cpus}, load average (1 min) before ${r.load1Before}, after ${r.load1After}\n\n`);
  const ms = (l: Latency) => `${l.p50Ms} / ${l.p90Ms} / ${l.p99Ms}`;
  const row = (cells: string[]) =>
    `${cells[0]!.padEnd(26)}${cells
      .slice(1)
      .map((c, i) => c.padStart([14, 12, 23, 26, 26, 6, 9][i]!))
      .join('')}\n`;
  out.write(
    row([
      'reader thread',
      'lines/s alone',
      'with polls',
      '/healthz idle p50/p99',
      '/healthz p50/p90/p99 ms',
      '/v1/predict p50/p90/p99',
      'fail',
      'RSS MiB',
    ]),
  );
  for (const x of r.runs)
    out.write(
      row([
        `trial ${x.trial}: ${x.readerThread ? 'on' : 'off'} (load ${x.load1})`,
        String(x.readsAloneLinesPerSecond),
        String(x.readsMixedLinesPerSecond),
        `${x.healthzIdle.p50Ms} / ${x.healthzIdle.p99Ms}`,
        ms(x.healthz),
        ms(x.predict),
        String(x.failures),
        String(x.rssMiB ?? '-'),
      ]),
    );
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const flag = (name: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const num = (name: string) => (flag(name) === undefined ? undefined : Number(flag(name)));
  const result = await benchMixed({
    reader: flag('reader'),
    model: flag('model'),
    clients: num('clients'),
    batch: num('batch'),
    duration: num('duration'),
    trials: num('trials'),
  });
  if (args.includes('--json')) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else print(result);
}
