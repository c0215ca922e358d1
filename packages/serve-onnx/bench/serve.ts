/**
 * `pnpm bench serve [--model file.onnx | heavy] [--duration s] [--soak s] [--threads n] [--body png|json] [--json]`
 *
 * HTTP throughput and latency of `hcr serve` (autocannon against 127.0.0.1, single-image requests) at
 * concurrency 1, 16 and 64, with micro-batching and without, next to raw in-process onnxruntime images/s
 * measured in the same run; then a soak at concurrency 16 sampling the server's resident memory.
 * The server runs in its own process (the real CLI), so the load generator does not share its event loop.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRng } from '@hcr/core';
import autocannon from 'autocannon';
import { createRecognizer, encodeGreyPng } from '../src/index.js';
import { denseOnnxModel } from '../test/support/dense-onnx.js';
import { makeHandwritingFixtures } from '../test/support/make-handwriting-fixtures.js';

const ROOT = resolve(fileURLToPath(new URL('../../../', import.meta.url)));
const FIXTURE = resolve(ROOT, 'packages/serve-onnx/test/fixtures/hcr-mlp.onnx');
const LATEST = resolve(ROOT, 'artifacts/model/latest/model.onnx');

export interface BenchServeOptions {
  /** ONNX model; `heavy` = a random 784-2048-2048-36 MLP (~5.9 M multiply-adds per image, CNN-like cost). */
  model?: string;
  /** Seconds per autocannon run. */
  duration?: number;
  /** Seconds of the memory soak (0 = skip). */
  soak?: number;
  concurrencies?: number[];
  /** onnxruntime intra-op threads, in-process and in the server (default: all cores). */
  threads?: number;
  /** Request body: a 28x28 PNG (default; decoded by sharp) or JSON pixels (no image decoding). */
  body?: 'png' | 'json';
}

interface HttpRun {
  label: string;
  connections: number;
  batching: boolean;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
}

async function rawImagesPerSecond(
  model: string,
  batch: number,
  seconds: number,
  images: Uint8Array[],
  threads?: number,
) {
  const rec = await createRecognizer({ model, intraOpThreads: threads });
  const input = Array.from({ length: batch }, (_, i) => images[i % images.length]!);
  for (let i = 0; i < 5; i++) await rec.infer(input);
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) {
    await rec.infer(input);
    n += batch;
  }
  const rate = n / ((performance.now() - t0) / 1000);
  await rec.close();
  return rate;
}

/** `hcr serve` in its own process (the real CLI); `extra` flags are appended (e.g. --reader for bench read). */
export async function startServe(
  model: string,
  batching: boolean,
  threads?: number,
  extra: string[] = [],
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
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  const url = await new Promise<string>((res, rej) => {
    let err = '';
    child.stderr!.on('data', (d) => {
      err += d;
      const m = /hcr serve: (http:\/\/[^ ]+)/.exec(err);
      if (m) res(m[1]!);
    });
    child.on('exit', (code) => rej(new Error(`hcr serve exited ${code}: ${err}`)));
  });
  return { url, child };
}

export async function stopServe(child: ChildProcess) {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

async function load(url: string, body: Buffer, connections: number, duration: number) {
  return autocannon({
    url: `${url}/v1/predict`,
    method: 'POST',
    headers: { 'content-type': body[0] === 0x7b ? 'application/json' : 'image/png' },
    body,
    connections,
    duration,
  });
}

/** Server memory from its /metrics: resident set and V8 heap in use (MiB). */
async function memory(url: string): Promise<{ rss: number; heap: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const mib = (re: RegExp) => +(Number(re.exec(text)?.[1] ?? Number.NaN) / 2 ** 20).toFixed(1);
  return {
    rss: mib(/^hcr_process_resident_memory_bytes (\d+)/m),
    heap: mib(/^hcr_nodejs_heap_size_used_bytes (\d+)/m),
  };
}

export async function benchServe(opts: BenchServeOptions = {}) {
  let model = opts.model ?? process.env.HCR_MODEL ?? (existsSync(LATEST) ? LATEST : FIXTURE);
  let tmp: string | undefined;
  if (model === 'heavy') {
    tmp = await mkdtemp(join(tmpdir(), 'hcr-bench-serve-'));
    model = join(tmp, 'heavy.onnx');
    await writeFile(model, heavyModel());
  }
  try {
    return await benchWithModel(model, opts);
  } finally {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  }
}

/** Random weights: only the cost matters here (the inference work of a small CNN, in a graph we can write). */
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

async function benchWithModel(model: string, opts: BenchServeOptions) {
  const duration = opts.duration ?? 5;
  const soak = opts.soak ?? 60;
  const concurrencies = opts.concurrencies ?? [1, 16, 64];
  const load0 = loadavg()[0]!;

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

  const raw64 = await rawImagesPerSecond(model, 64, 3, [prepared.pixels], opts.threads);
  const raw1 = await rawImagesPerSecond(model, 1, 2, [prepared.pixels], opts.threads);

  const runs: HttpRun[] = [];
  for (const batching of [true, false]) {
    const { url, child } = await startServe(model, batching, opts.threads);
    try {
      await load(url, body, 8, 1); // warm-up
      for (const c of batching ? concurrencies : concurrencies.filter((c) => c > 1)) {
        const r = await load(url, body, c, duration);
        runs.push({
          label: `${batching ? 'micro-batched' : 'one run per request'} c=${c}`,
          connections: c,
          batching,
          requestsPerSecond: Math.round(r.requests.average),
          p50Ms: r.latency.p50,
          p99Ms: r.latency.p99,
          errors: r.errors + r.timeouts,
          non2xx: r.non2xx,
        });
        process.stderr.write(`  ${runs.at(-1)!.label}: ${runs.at(-1)!.requestsPerSecond} req/s\n`);
      }
      if (batching && soak > 0) {
        const samples = [await memory(url)];
        const timer = setInterval(() => void memory(url).then((m) => samples.push(m)), 5000);
        const r = await load(url, body, 16, soak);
        clearInterval(timer);
        samples.push(await memory(url));
        runs.push({
          label: `soak ${soak}s c=16`,
          connections: 16,
          batching,
          requestsPerSecond: Math.round(r.requests.average),
          p50Ms: r.latency.p50,
          p99Ms: r.latency.p99,
          errors: r.errors + r.timeouts,
          non2xx: r.non2xx,
        });
        Object.assign(runs.at(-1)!, {
          rssMiB: samples.map((m) => m.rss),
          heapMiB: samples.map((m) => m.heap),
        });
      }
    } finally {
      await stopServe(child);
    }
  }

  const at64 = runs.find((r) => r.batching && r.connections === 64 && r.label.startsWith('micro'));
  const at64NoBatch = runs.find((r) => !r.batching && r.connections === 64);
  const at16 = runs.find((r) => r.batching && r.connections === 16 && r.label.startsWith('micro'));
  const soakRun = runs.find((r) => r.label.startsWith('soak')) as
    | (HttpRun & { rssMiB?: number[]; heapMiB?: number[] })
    | undefined;
  const result = {
    model,
    threads: opts.threads ?? 'all cores',
    body: opts.body ?? 'png',
    cpus: cpus().length,
    load1Before: +load0.toFixed(2),
    load1After: +loadavg()[0]!.toFixed(2),
    rawImagesPerSecondBatch64: Math.round(raw64),
    rawImagesPerSecondBatch1: Math.round(raw1),
    runs,
    ratioHttpToRawAt64: at64 ? +(at64.requestsPerSecond / raw64).toFixed(3) : null,
    ratioHttpToRawBatch1At64: at64 ? +(at64.requestsPerSecond / raw1).toFixed(3) : null,
    microBatchingGainAt64:
      at64 && at64NoBatch ? +(at64.requestsPerSecond / at64NoBatch.requestsPerSecond).toFixed(2) : null,
    p99At16Ms: at16?.p99Ms ?? null,
    soakRssMiB: soakRun?.rssMiB ?? null,
    soakHeapMiB: soakRun?.heapMiB ?? null,
  };
  return result;
}

function print(r: Awaited<ReturnType<typeof benchServe>>) {
  const out = process.stdout;
  out.write(`model: ${r.model} (onnxruntime threads: ${r.threads}; request body: ${r.body})\n`);
  out.write(`cpus: ${r.cpus}, load average (1 min) before ${r.load1Before}, after ${r.load1After}\n`);
  out.write(
    `raw onnxruntime in-process: ${r.rawImagesPerSecondBatch64} images/s at batch 64, ${r.rawImagesPerSecondBatch1} at batch 1\n\n`,
  );
  out.write(
    `${'HTTP single-image requests'.padEnd(34)} ${'req/s'.padStart(7)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'errors'.padStart(7)}\n`,
  );
  for (const x of r.runs)
    out.write(
      `${x.label.padEnd(34)} ${String(x.requestsPerSecond).padStart(7)} ${String(x.p50Ms).padStart(7)} ${String(x.p99Ms).padStart(7)} ${String(x.errors + x.non2xx).padStart(7)}\n`,
    );
  out.write(`\nHTTP images/s at c=64 / raw batch-64 images/s: ${r.ratioHttpToRawAt64} (goal >= 0.5)\n`);
  out.write(`HTTP images/s at c=64 / raw batch-1 images/s: ${r.ratioHttpToRawBatch1At64}\n`);
  out.write(`micro-batching gain at c=64: x${r.microBatchingGainAt64}\n`);
  out.write(`p99 at c=16: ${r.p99At16Ms} ms (goal <= 50)\n`);
  if (r.soakRssMiB) out.write(`server RSS during the soak (MiB, every 5 s): ${r.soakRssMiB.join(' ')}\n`);
  if (r.soakHeapMiB) out.write(`server V8 heap used during the soak (MiB):   ${r.soakHeapMiB.join(' ')}\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const flag = (name: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const result = await benchServe({
    model: flag('model'),
    duration: flag('duration') ? Number(flag('duration')) : undefined,
    soak: flag('soak') ? Number(flag('soak')) : undefined,
    threads: flag('threads') ? Number(flag('threads')) : undefined,
    body: flag('body') === 'json' ? 'json' : 'png',
  });
  if (args.includes('--json')) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else print(result);
}
