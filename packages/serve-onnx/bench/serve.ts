/**
 * `pnpm bench serve [--model file.onnx | heavy | fixture] [--duration s] [--soak s] [--threads n]
 *   [--prepare-workers n] [--body png|json] [--no-pin] [--json]`
 *
 * HTTP throughput and latency of `hcr serve` (autocannon against 127.0.0.1, single-image requests) at
 * concurrency 1, 16 and 64, with micro-batching and without, next to raw onnxruntime images/s measured in
 * the same run (before and after the HTTP runs, side by side); then a soak at concurrency 16 sampling the
 * server's resident memory. The server runs in its own process (the real CLI).
 *
 * Equal CPU budgets (Linux with taskset and 2+ cores; `--no-pin` turns it off): the load generator (this
 * process) runs on a core of its own, and the server and raw onnxruntime (in a child process) on the
 * others, so the client's work is not counted against the server and both sides get the same cores.
 * Then the c=64 comparison is repeated unpinned, client, server and raw sharing every core, as before.
 * Each run reports the CPU the load generator used, the server's CPU, and the 1-minute load average.
 *
 * Default model: the pipeline's character model (artifacts/model/pipeline), else artifacts/model/latest,
 * else hcrnet (the pipeline's architecture) with random weights, exported by @hcr/export-onnx: inference
 * costs the same whatever the weights, so a fresh clone measures the served architecture.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createRng,
  DEFAULT_INPUT_NORMALISATION,
  HcrError,
  LABEL_SPACE_36,
  ONNX_METADATA_KEYS,
} from '@hcr/core';
import autocannon from 'autocannon';
import { createRecognizer, encodeGreyPng, prepareImage } from '../src/index.js';
import { denseOnnxModel } from '../test/support/dense-onnx.js';
import { makeHandwritingFixtures } from '../test/support/make-handwriting-fixtures.js';
import { pinnedCommand, pinSelf, planPinning } from './pinning.js';

const ROOT = resolve(fileURLToPath(new URL('../../../', import.meta.url)));
const FIXTURE = resolve(ROOT, 'packages/serve-onnx/test/fixtures/hcr-mlp.onnx');
const PIPELINE = resolve(ROOT, 'artifacts/model/pipeline/model.onnx');
const LATEST = resolve(ROOT, 'artifacts/model/latest/model.onnx');

export interface BenchServeOptions {
  /**
   * ONNX model file; `heavy` = a random 784-2048-2048-36 MLP; `fixture` = the test MLP; `hcrnet` = the
   * pipeline architecture with random weights (the default when no trained model is in artifacts/).
   */
  model?: string;
  /** Seconds per autocannon run. */
  duration?: number;
  /** Seconds of the memory soak (0 = skip). */
  soak?: number;
  concurrencies?: number[];
  /** onnxruntime intra-op threads, in-process and in the server (default: all cores). */
  threads?: number;
  /** The server's --prepare-workers (default: hcr serve's own, 1). */
  prepareWorkers?: number;
  /** Request body: a 28x28 PNG (default) or JSON pixels (no image decoding). */
  body?: 'png' | 'json';
  /** Pin the load generator to its own core, server and raw onnxruntime to the others (default: when possible). */
  pin?: boolean;
}

export interface HttpRun {
  label: string;
  connections: number;
  batching: boolean;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
  /** CPU cores the load generator (this process) used on average during the run. */
  clientCores: number;
  /** CPU cores the server process used on average during the run. */
  serverCores: number;
  /** 1-minute load average when the run started. */
  load1: number;
  /**
   * The server's CPU per request by thread (Linux): its main (HTTP) thread, then the others, largest first
   * (inference thread, onnxruntime's pool, preparation worker, V8's garbage-collection helpers), in us.
   */
  threadMicros?: { main: number; others: number[] };
}

/** The c=64 comparison with client, server and raw onnxruntime sharing every core (after a pinned run). */
interface SharedRun {
  run: HttpRun;
  rawBefore: RawRun;
  rawAfter: RawRun;
  /** Mean of before and after, images/s. */
  raw: number;
  ratio: number;
}

interface RawRun {
  imagesPerSecond: number;
  /** Whether onnxruntime's threads spun between operators (its default) or slept (hcr's default). */
  spinWait: boolean;
  /** CPU seconds of this process per image (onnxruntime's threads included). */
  cpuMicrosPerImage: number;
  load1: number;
}

const load1 = () => +loadavg()[0]!.toFixed(2);

async function rawImagesPerSecond(
  model: string,
  batch: number,
  seconds: number,
  image: Uint8Array,
  threads: number | undefined,
  spinWait: boolean,
): Promise<RawRun> {
  const rec = await createRecognizer({ model, intraOpThreads: threads, spinWait });
  const input = Array.from({ length: batch }, () => image);
  for (let i = 0; i < 5; i++) await rec.infer(input);
  const l = load1();
  let n = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) {
    await rec.infer(input);
    n += batch;
  }
  const wall = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(c0);
  await rec.close();
  return {
    imagesPerSecond: Math.round(n / wall),
    spinWait,
    cpuMicrosPerImage: Math.round((cpu.user + cpu.system) / n),
    load1: l,
  };
}

/** rawImagesPerSecond in a child process on `cores` (the server's budget), for pinned runs. */
async function rawOnCores(
  cores: string,
  model: string,
  batch: number,
  seconds: number,
  image: Uint8Array,
  threads: number | undefined,
  spinWait: boolean,
): Promise<RawRun> {
  const job = JSON.stringify({
    model,
    batch,
    seconds,
    image: Buffer.from(image).toString('base64'),
    threads,
    spinWait,
  });
  const { command, args } = pinnedCommand(
    ['--conditions=source', '--import', 'tsx', fileURLToPath(import.meta.url), '--raw-child', job],
    cores,
  );
  const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.on('data', (d) => {
    out += d;
  });
  const code = await new Promise((r) => child.once('exit', r));
  const line = out.trim().split('\n').at(-1) ?? '';
  if (code !== 0 || !line.startsWith('{')) throw new Error(`raw onnxruntime child failed (${code}): ${out}`);
  return JSON.parse(line) as RawRun;
}

/** The better of spinning and sleeping onnxruntime threads at batch 64, here or on `cores`. */
async function bestRaw(
  model: string,
  image: Uint8Array,
  threads: number | undefined,
  cores?: string,
): Promise<RawRun> {
  const run = (spinWait: boolean) =>
    cores
      ? rawOnCores(cores, model, 64, 3, image, threads, spinWait)
      : rawImagesPerSecond(model, 64, 3, image, threads, spinWait);
  const spin = await run(true);
  const sleep = await run(false);
  return spin.imagesPerSecond >= sleep.imagesPerSecond ? spin : sleep;
}

/**
 * `hcr serve` in its own process (the real CLI), on `cores` when given; `extra` flags are appended (e.g.
 * --reader for bench read).
 */
export async function startServe(
  model: string,
  batching: boolean,
  threads?: number,
  extra: string[] = [],
  cores?: string,
): Promise<{ url: string; child: ChildProcess }> {
  const args = [
    '--conditions=source',
    '--import',
    'tsx',
    'apps/cli/src/bin.ts',
    'serve',
    '--model',
    model,
    ...extra,
  ];
  args.push('--port', '0', '--log-level', 'warn', '--timeout-ms', '30000');
  if (!batching) args.push('--no-batching');
  if (threads) args.push('--threads', String(threads));
  const cmd = pinnedCommand(args, cores);
  const child = spawn(cmd.command, cmd.args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  const url = await new Promise<string>((res, rej) => {
    let err = '';
    child.stderr!.on('data', (d) => {
      err += d;
      const m = /hcr serve: (http:\/\/[^ ]+)/.exec(err);
      if (m) res(m[1]!);
    });
    // an HcrError: the benchmark ends on hcr serve's own message and its fix (a model not found), not a stack trace
    child.on('exit', (code) =>
      rej(
        new HcrError(
          'BENCH_SERVER_FAILED',
          `hcr serve, started by the benchmark, exited ${code}: ${err.trim().replace(/^error /, '')}`,
        ),
      ),
    );
  });
  return { url, child };
}

export async function stopServe(child: ChildProcess) {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/** The server's process metrics: resident set and V8 heap in use (MiB), CPU seconds so far. */
async function serverStats(url: string): Promise<{ rss: number; heap: number; cpuSeconds: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const num = (re: RegExp) => Number(re.exec(text)?.[1] ?? Number.NaN);
  const mib = (re: RegExp) => +(num(re) / 2 ** 20).toFixed(1);
  return {
    rss: mib(/^hcr_process_resident_memory_bytes (\d+)/m),
    heap: mib(/^hcr_nodejs_heap_size_used_bytes (\d+)/m),
    cpuSeconds: num(/^hcr_process_cpu_seconds_total ([\d.e+-]+)/m),
  };
}

/** CPU milliseconds so far of each thread of process `pid`, from /proc (Linux; empty elsewhere). */
function threadCpuMs(pid: number | undefined): Map<number, number> {
  const out = new Map<number, number>();
  if (!pid || !existsSync(`/proc/${pid}/task`)) return out;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // utime and stime (fields 14 and 15), in clock ticks of 10 ms (USER_HZ = 100 on Linux)
      out.set(Number(tid), (Number(f[11]) + Number(f[12])) * 10);
    } catch {
      // the thread ended meanwhile
    }
  }
  return out;
}

/**
 * One autocannon run of POST /v1/predict with the CPU both sides used (and the server's threads, given its pid);
 * `headers` are sent beside the content type (an API token).
 */
export async function load(
  url: string,
  body: Buffer,
  connections: number,
  duration: number,
  label: string,
  batching: boolean,
  pid?: number,
  headers: Record<string, string> = {},
): Promise<HttpRun> {
  const l = load1();
  const s0 = await serverStats(url);
  const t0Threads = threadCpuMs(pid);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const r = await autocannon({
    url: `${url}/v1/predict`,
    method: 'POST',
    headers: { 'content-type': body[0] === 0x7b ? 'application/json' : 'image/png', ...headers },
    body,
    connections,
    duration,
  });
  const wall = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  const s1 = await serverStats(url);
  const t1Threads = threadCpuMs(pid);
  const micros = [...t1Threads]
    .map(([tid, ms]) => ({
      tid,
      us: ((ms - (t0Threads.get(tid) ?? 0)) * 1000) / Math.max(1, r.requests.total),
    }))
    .filter((t) => t.us >= 1);
  const main = micros.find((t) => t.tid === pid);
  const threadMicros = main
    ? {
        main: Math.round(main.us),
        others: micros
          .filter((t) => t.tid !== pid)
          .map((t) => Math.round(t.us))
          .sort((a, b) => b - a),
      }
    : undefined;
  return {
    label,
    connections,
    batching,
    requestsPerSecond: Math.round(r.requests.average),
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
    clientCores: +((c.user + c.system) / 1e6 / wall).toFixed(2),
    serverCores: +((s1.cpuSeconds - s0.cpuSeconds) / wall).toFixed(2),
    load1: l,
    threadMicros,
  };
}

export async function benchServe(opts: BenchServeOptions = {}) {
  const tmp = await mkdtemp(join(tmpdir(), 'hcr-bench-serve-'));
  try {
    const { file, what } = await chooseModel(opts.model ?? process.env.HCR_MODEL, tmp);
    return await benchWithModel(file, what, opts);
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

async function chooseModel(flag: string | undefined, tmp: string): Promise<{ file: string; what: string }> {
  if (flag === 'heavy') {
    const file = join(tmp, 'heavy.onnx');
    await writeFile(file, heavyModel());
    return { file, what: 'heavy: random 784-2048-2048-36 MLP' };
  }
  if (flag === 'fixture') return { file: FIXTURE, what: 'the test fixture MLP (784-128-36)' };
  if (flag && flag !== 'hcrnet') return { file: resolve(flag), what: flag };
  if (!flag && existsSync(PIPELINE)) return { file: PIPELINE, what: 'the pipeline character model' };
  if (!flag && existsSync(LATEST)) return { file: LATEST, what: 'artifacts/model/latest' };
  const file = join(tmp, 'hcrnet.onnx');
  await writeFile(file, await randomHcrnet());
  return { file, what: 'hcrnet with random weights (no trained model in artifacts/; same inference cost)' };
}

/** The pipeline's architecture, seeded random weights, exported like a trained model. */
async function randomHcrnet(): Promise<Uint8Array> {
  const { buildHcrnet } = await import('@hcr/model');
  const { exportLayersModel } = await import('@hcr/export-onnx');
  const model = buildHcrnet({ seed: 1 });
  return exportLayersModel(model, {
    metadata: {
      [ONNX_METADATA_KEYS.classNames]: JSON.stringify(LABEL_SPACE_36.classes),
      [ONNX_METADATA_KEYS.inputNormalisation]: JSON.stringify(DEFAULT_INPUT_NORMALISATION),
      [ONNX_METADATA_KEYS.modelId]: 'bench-hcrnet-random',
    },
  }).bytes;
}

/** Random weights: only the cost matters here. */
function heavyModel(): Uint8Array {
  const rng = createRng(1);
  const layer = (inputs: number, units: number) => ({
    inputs,
    units,
    weights: Float32Array.from({ length: inputs * units }, () => rng.normal() * Math.sqrt(2 / inputs)),
    bias: new Float32Array(units),
  });
  return denseOnnxModel({
    modelId: 'bench-heavy-mlp',
    layers: [layer(784, 2048), layer(2048, 2048), layer(2048, 36)],
  });
}

async function benchWithModel(model: string, modelWhat: string, opts: BenchServeOptions) {
  const duration = opts.duration ?? 5;
  const soak = opts.soak ?? 60;
  const concurrencies = opts.concurrencies ?? [1, 16, 64];
  const extra = opts.prepareWorkers === undefined ? [] : ['--prepare-workers', String(opts.prepareWorkers)];

  // Request body: a real handwritten 7 (fixture photo) as the canonical 28x28 PNG a client would send.
  const rec = await createRecognizer({ model });
  const prepared = await rec.prepare(
    await readFile(
      join(await makeHandwritingFixtures(join(tmpdir(), 'hcr-handwriting-fixtures-v1')), '7-0.jpg'),
    ),
  );
  await rec.close();
  const body =
    opts.body === 'json'
      ? Buffer.from(JSON.stringify({ pixels: Array.from(prepared.pixels) }))
      : await encodeGreyPng(prepared.pixels);

  // What preparing one request body costs in-process (decoding, the photo pipeline, normalisation).
  const prepareMicros = opts.body === 'json' ? null : await prepareCost(body);

  // Equal budgets: this process (the load generator) on its own core, server and raw onnxruntime on the rest.
  const pinning = opts.pin === false ? undefined : planPinning();
  const cores = pinning?.serverCores;
  if (pinning) pinSelf(pinning.clientCore);
  const runs: HttpRun[] = [];
  let soakRssMiB: number[] | null = null;
  let soakExtendedS = 0;
  let soakHeapMiB: number[] | null = null;
  let rawBefore: RawRun;
  let rawAfter: RawRun;
  let raw1: RawRun;
  let shared: SharedRun | null = null;
  try {
    // Raw onnxruntime at its best: with its own default (spinning threads) and with hcr's (sleeping).
    rawBefore = await bestRaw(model, prepared.pixels, opts.threads, cores);
    raw1 = cores
      ? await rawOnCores(cores, model, 1, 2, prepared.pixels, opts.threads, false)
      : await rawImagesPerSecond(model, 1, 2, prepared.pixels, opts.threads, false);
    for (const batching of [true, false]) {
      const { url, child } = await startServe(model, batching, opts.threads, extra, cores);
      try {
        await load(url, body, 8, 1, 'warm-up', batching);
        for (const c of batching ? concurrencies : concurrencies.filter((c) => c > 1)) {
          const label = `${batching ? 'micro-batched' : 'one run per request'} c=${c}`;
          runs.push(await load(url, body, c, duration, label, batching, child.pid));
          process.stderr.write(`  ${label}: ${runs.at(-1)!.requestsPerSecond} req/s\n`);
        }
        if (batching && soak > 0) {
          const samples = [await serverStats(url)];
          const timer = setInterval(() => void serverStats(url).then((m) => samples.push(m)), 5000);
          runs.push(await load(url, body, 16, soak, `soak ${soak}s c=16`, batching));
          // RSS lows only say something once V8 has run a full collection (the heap's sawtooth turned):
          // without one, keep the load on, 15 s at a time, for up to another minute.
          for (let more = 0; more < 4 && !sawFullCollection(samples.map((m) => m.heap)); more++) {
            await load(url, body, 16, 15, 'soak extension', batching);
            soakExtendedS += 15;
          }
          clearInterval(timer);
          samples.push(await serverStats(url));
          soakRssMiB = samples.map((m) => m.rss);
          soakHeapMiB = samples.map((m) => m.heap);
        }
      } finally {
        await stopServe(child);
      }
    }
    rawAfter = await bestRaw(model, prepared.pixels, opts.threads, cores);
  } finally {
    if (pinning) pinSelf(pinning.original);
  }
  if (pinning) {
    // The same comparison unpinned: client, server and raw onnxruntime on every core.
    const before = await bestRaw(model, prepared.pixels, opts.threads);
    const { url, child } = await startServe(model, true, opts.threads, extra);
    let run: HttpRun;
    try {
      await load(url, body, 8, 1, 'warm-up', true);
      run = await load(url, body, 64, duration, 'unpinned micro-batched c=64', true, child.pid);
      process.stderr.write(`  ${run.label}: ${run.requestsPerSecond} req/s\n`);
    } finally {
      await stopServe(child);
    }
    const after = await bestRaw(model, prepared.pixels, opts.threads);
    const raw = Math.round((before.imagesPerSecond + after.imagesPerSecond) / 2);
    shared = {
      run,
      rawBefore: before,
      rawAfter: after,
      raw,
      ratio: +(run.requestsPerSecond / raw).toFixed(3),
    };
  }
  const raw64 = Math.round((rawBefore.imagesPerSecond + rawAfter.imagesPerSecond) / 2);

  const find = (batching: boolean, c: number) =>
    runs.find((r) => r.batching === batching && r.connections === c && !r.label.startsWith('soak'));
  const at64 = find(true, 64);
  const at64NoBatch = find(false, 64);
  const at16 = find(true, 16);
  const cpuPerRequest = (r: HttpRun) =>
    Math.round(((r.serverCores + r.clientCores) * 1e6) / Math.max(1, r.requestsPerSecond));
  return {
    model,
    modelWhat,
    threads: opts.threads ?? 'all cores (of the budget)',
    pinning: pinning ? { serverCores: pinning.serverCores, clientCore: pinning.clientCore } : null,
    shared,
    prepareWorkers: opts.prepareWorkers ?? 'hcr serve default (1)',
    body: opts.body ?? 'png',
    cpus: cpus().length,
    rawBatch64Before: rawBefore,
    rawBatch64After: rawAfter,
    rawImagesPerSecondBatch64: raw64,
    rawImagesPerSecondBatch1: raw1.imagesPerSecond,
    runs,
    ratioHttpToRawAt64: at64 ? +(at64.requestsPerSecond / raw64).toFixed(3) : null,
    microBatchingGainAt64:
      at64 && at64NoBatch ? +(at64.requestsPerSecond / at64NoBatch.requestsPerSecond).toFixed(2) : null,
    p99At16Ms: at16?.p99Ms ?? null,
    prepareMicros,
    load1At16: at16?.load1 ?? null,
    /** CPU per image: raw onnxruntime vs an HTTP request (server + load generator), in microseconds. */
    cpuMicrosPerImage: at64
      ? {
          raw: Math.round((rawBefore.cpuMicrosPerImage + rawAfter.cpuMicrosPerImage) / 2),
          httpServer: Math.round((at64.serverCores * 1e6) / Math.max(1, at64.requestsPerSecond)),
          httpTotal: cpuPerRequest(at64),
        }
      : null,
    soakRssMiB,
    soakHeapMiB,
    soakSeconds: soak,
    soakExtendedS,
    soakFullCollection: soakHeapMiB ? sawFullCollection(soakHeapMiB) : null,
    soakRssGrowth: soakRssMiB ? lowsGrowth(soakRssMiB) : null,
    soakHeapGrowth: soakHeapMiB ? lowsGrowth(soakHeapMiB) : null,
  };
}

/** CPU microseconds of prepareImage on the request body, in this process, after a warm-up. */
async function prepareCost(body: Uint8Array): Promise<number> {
  for (let i = 0; i < 2000; i++) await prepareImage(body);
  let n = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  while (performance.now() - t0 < 1500) {
    for (let i = 0; i < 100; i++) await prepareImage(body);
    n += 100;
  }
  const c = process.cpuUsage(c0);
  return Math.round((c.user + c.system) / n);
}

/** A drop of the V8 heap in use by a third or more between two samples: a full garbage collection. */
function sawFullCollection(heapMiB: number[]): boolean {
  return heapMiB.some((h, i) => i > 0 && h <= heapMiB[i - 1]! * (2 / 3));
}

/**
 * Whether the soak's RSS (or V8 heap) grows: the lowest sample of its second half against the lowest of its
 * first half. V8's heap is a sawtooth (it grows until a full garbage collection, then drops), so the last
 * sample alone says where in a tooth the soak ended; a leak shows as lows that rise. Also the second half's
 * change from its first sample to its last, as printed before.
 */
function lowsGrowth(samples: number[]): {
  firstHalfLowMiB: number;
  secondHalfLowMiB: number;
  lowGrowthPct: number;
  peakMiB: number;
  lastMiB: number;
  secondHalfChangePct: number;
} {
  const mid = Math.floor(samples.length / 2);
  const firstLow = Math.min(...samples.slice(0, mid + 1));
  const secondLow = Math.min(...samples.slice(mid));
  const last = samples.at(-1)!;
  return {
    firstHalfLowMiB: firstLow,
    secondHalfLowMiB: secondLow,
    lowGrowthPct: +(((secondLow - firstLow) / firstLow) * 100).toFixed(1),
    peakMiB: Math.max(...samples),
    lastMiB: last,
    secondHalfChangePct: +(((last - samples[mid]!) / samples[mid]!) * 100).toFixed(1),
  };
}

const spin = (r: RawRun) => (r.spinWait ? ', spinning' : ', sleeping');

function print(r: Awaited<ReturnType<typeof benchServe>>) {
  const out = process.stdout;
  out.write(
    `model: ${r.model}\n  (${r.modelWhat}; onnxruntime threads: ${r.threads}; prepare workers: ${r.prepareWorkers}; request body: ${r.body})\n`,
  );
  out.write(
    r.pinning
      ? `cpus: ${r.cpus}; equal CPU budgets: hcr serve and raw onnxruntime on core(s) ${r.pinning.serverCores}, the load generator alone on core ${r.pinning.clientCore} (taskset; --no-pin to share every core); the load average is printed beside each number\n`
      : `cpus: ${r.cpus} (not pinned: client, server and raw onnxruntime share them; the load average is printed beside each number)\n`,
  );
  out.write(
    `raw onnxruntime ${r.pinning ? `on core(s) ${r.pinning.serverCores}` : 'in-process'}, batch 64 (the better of spinning and sleeping threads): ${r.rawBatch64Before.imagesPerSecond} images/s before the HTTP runs (load ${r.rawBatch64Before.load1}${spin(r.rawBatch64Before)}), ${r.rawBatch64After.imagesPerSecond} after (load ${r.rawBatch64After.load1}${spin(r.rawBatch64After)}); batch 1: ${r.rawImagesPerSecondBatch1}\n\n`,
  );
  const cols = ['req/s', 'p50 ms', 'p99 ms', 'errors', 'client', 'server', 'load1'];
  out.write(`${'HTTP single-image requests'.padEnd(30)} ${cols.map((c) => c.padStart(7)).join(' ')}\n`);
  for (const x of r.runs)
    out.write(
      `${x.label.padEnd(30)} ${[x.requestsPerSecond, x.p50Ms, x.p99Ms, x.errors + x.non2xx, x.clientCores, x.serverCores, x.load1].map((v) => String(v).padStart(7)).join(' ')}\n`,
    );
  out.write('  (client / server: CPU cores used on average by the load generator / the server process)\n\n');
  const at64 = r.runs.find((x) => x.batching && x.connections === 64 && !x.label.startsWith('soak'));
  const budget = r.pinning ? `, equal budgets (core(s) ${r.pinning.serverCores} each)` : '';
  out.write(
    `HTTP/raw at c=64${budget}: ${r.ratioHttpToRawAt64} (goal >= 0.5): ${at64?.requestsPerSecond} HTTP images/s vs ${r.rawImagesPerSecondBatch64} raw batch-64 images/s (mean of before and after), measured side by side, load ${at64?.load1}\n`,
  );
  if (at64)
    out.write(
      `load generator's share at c=64: ${at64.clientCores} cores${r.pinning ? ` (on its own core ${r.pinning.clientCore})` : ` of ${r.cpus}`} (server ${at64.serverCores})\n`,
    );
  if (r.shared) {
    const x = r.shared;
    out.write(
      `HTTP/raw at c=64 unpinned (client, server and raw onnxruntime sharing all ${r.cpus} cores): ${x.ratio}: ${x.run.requestsPerSecond} HTTP images/s (p99 ${x.run.p99Ms} ms; load generator ${x.run.clientCores} cores, server ${x.run.serverCores}; load ${x.run.load1}) vs ${x.raw} raw (${x.rawBefore.imagesPerSecond} before, ${x.rawAfter.imagesPerSecond} after${spin(x.rawAfter)})\n`,
    );
  }
  if (r.cpuMicrosPerImage)
    out.write(
      `CPU per image: raw onnxruntime ${r.cpuMicrosPerImage.raw} us; HTTP request ${r.cpuMicrosPerImage.httpServer} us in the server + ${r.cpuMicrosPerImage.httpTotal - r.cpuMicrosPerImage.httpServer} us in the load generator\n`,
    );
  if (at64?.threadMicros)
    out.write(
      `  the server's threads at c=64, CPU per request: main (HTTP) ${at64.threadMicros.main} us; others ${at64.threadMicros.others.join(', ')} us (the inference thread, onnxruntime's pool, a preparation worker when images go to one, V8's GC helpers)\n`,
    );
  if (r.prepareMicros !== null)
    out.write(
      `  preparing the request body in-process (decode, photo pipeline, normalisation): ${r.prepareMicros} us\n`,
    );
  out.write(`p99 at c=16: ${r.p99At16Ms} ms (goal <= 50), load ${r.load1At16}\n`);
  out.write(`micro-batching gain at c=64: x${r.microBatchingGainAt64}\n`);
  if (r.soakRssMiB && r.soakRssGrowth) {
    out.write(`server RSS during the soak (MiB, every 5 s): ${r.soakRssMiB.join(' ')}\n`);
    out.write(`server V8 heap used during the soak (MiB):   ${r.soakHeapMiB!.join(' ')}\n`);
    const g = r.soakRssGrowth;
    const sign = (x: number) => `${x >= 0 ? '+' : ''}${x}`;
    if (r.soakExtendedS > 0)
      out.write(
        `  (no full garbage collection in the first ${r.soakSeconds} s: the load went on ${r.soakExtendedS} s more, sampled the same way)\n`,
      );
    // Without a full collection, garbage left in V8's old space lifts the lows like a leak would; unless the
    // heap's own lows stay level too: then nothing piles up, collected or not.
    const heapLevel = (r.soakHeapGrowth?.lowGrowthPct ?? Infinity) <= 5;
    const verdict = r.soakFullCollection
      ? g.lowGrowthPct <= 5
        ? 'flat'
        : 'NOT flat'
      : g.lowGrowthPct <= 5 && heapLevel
        ? `flat (no full garbage collection, but the V8 heap's lows did not rise either: ${r.soakHeapGrowth!.firstHalfLowMiB} -> ${r.soakHeapGrowth!.secondHalfLowMiB} MiB)`
        : 'inconclusive: V8 ran no full garbage collection during the soak and the lows rose, so they cannot tell a leak from a sawtooth that has not turned (try --soak 180)';
    out.write(
      `RSS lows, first vs second half of the soak: ${g.firstHalfLowMiB} -> ${g.secondHalfLowMiB} MiB (${sign(g.lowGrowthPct)}%): ${verdict} (peak ${g.peakMiB} MiB, last ${g.lastMiB}; second half first -> last sample ${sign(g.secondHalfChangePct)}%: where the garbage-collection sawtooth ended)\n`,
    );
  }
}

if (
  process.argv[1] &&
  resolve(process.argv[1]) === fileURLToPath(import.meta.url) &&
  process.argv[2] === '--raw-child'
) {
  // One raw onnxruntime measurement in this process (started by rawOnCores on the server's cores).
  const job = JSON.parse(process.argv[3]!);
  const image = new Uint8Array(Buffer.from(job.image, 'base64'));
  const run = await rawImagesPerSecond(job.model, job.batch, job.seconds, image, job.threads, job.spinWait);
  process.stdout.write(`${JSON.stringify(run)}\n`);
} else if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const flag = (name: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const num = (name: string) => (flag(name) === undefined ? undefined : Number(flag(name)));
  const result = await benchServe({
    model: flag('model'),
    duration: num('duration'),
    soak: num('soak'),
    threads: num('threads'),
    prepareWorkers: num('prepare-workers'),
    body: flag('body') === 'json' ? 'json' : 'png',
    pin: !args.includes('--no-pin'),
  });
  if (args.includes('--json')) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else print(result);
}
