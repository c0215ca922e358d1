/**
 * `pnpm bench read [--reader file.onnx[,more.onnx]] [--duration s] [--threads n] [--trials n] [--reader-thread] [--json]`
 *
 * The line reader's speed: lines per second in onnxruntime (in-process, batch 1 and 32, inference alone and
 * end to end with PNG decoding, line preprocessing and beam decoding), then HTTP requests per second of
 * POST /v1/read (autocannon, one PNG line per request, concurrency 1 and 16) against `hcr serve` in its own
 * process, with lines prepared on the main thread (--prepare-workers 0) and in a worker thread (1, the default),
 * the reader where hcr serve puts it by default (in a thread of its own on 2+ cores, since 2026-12-08)
 * (`--reader-thread`: one worker, the reader on the HTTP thread and in its own instead), and @hcr/decode's
 * benchDecode table. Prints the load average before and after: 2 shared cores.
 *
 * Reader: --reader, else HCR_READER, else the pipeline's artifacts/model/reader/model.onnx when it exists, else
 * the random-weight reader of the tests (same architecture and cost as a trained one; its text is noise).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchDecode } from '@hcr/decode';
import autocannon from 'autocannon';
import { createLineReader, type LineReader, type PreparedLine } from '../src/index.js';
import { lineScan } from '../test/support/line-synth.js';
import { RANDOM_READER } from '../test/support/paths.js';
import { startServe, stopServe } from './serve.js';

const ROOT = resolve(fileURLToPath(new URL('../../../', import.meta.url)));
const PIPELINE_READER = resolve(ROOT, 'artifacts/model/reader/model.onnx');
const FIXTURE = resolve(ROOT, 'packages/serve-onnx/test/fixtures/hcr-mlp.onnx');
/** Lines like the fields hcr reads: short codes to names and amounts (5 to 14 characters). */
export const TEXTS = [
  '7140',
  'TAX 41',
  'LATTA 7',
  '1 740 10',
  'TALL 0 TAX',
  'A7 4LT',
  '40 410 71',
  'LATX 4107 TA',
];

export interface BenchReadOptions {
  reader?: string;
  /** Seconds per measurement. */
  duration?: number;
  threads?: number;
  /** HTTP trials per configuration (default 2). */
  trials?: number;
  /** Compare the reader on the HTTP thread and in its own (`hcr serve --reader-thread`), one prepare worker. */
  readerThread?: boolean;
}

export function readerPath(flag?: string): string {
  const path =
    flag ?? process.env.HCR_READER ?? (existsSync(PIPELINE_READER) ? PIPELINE_READER : RANDOM_READER);
  if (path === RANDOM_READER && !existsSync(RANDOM_READER)) {
    const maker = resolve(ROOT, 'packages/serve-onnx/test/support/make-reader-model.ts');
    execFileSync(process.execPath, ['--conditions=source', '--import', 'tsx', maker, RANDOM_READER], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }
  return path;
}

/** Repeats `step` (which handles `n` lines) for `seconds`; lines per second of wall time. */
async function rate(seconds: number, n: number, step: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 3; i++) await step();
  let done = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) {
    await step();
    done += n;
  }
  return done / ((performance.now() - t0) / 1000);
}

async function inProcess(reader: LineReader, pngs: Buffer[], lines: PreparedLine[], seconds: number) {
  const batch32 = Array.from({ length: 32 }, (_, i) => lines[i % lines.length]!);
  const compiled = reader.compile({});
  let k = 0;
  return {
    inferBatch1: await rate(seconds, 1, () => reader.infer([lines[k++ % lines.length]!])),
    inferBatch32: await rate(seconds, 32, () => reader.infer(batch32)),
    endToEndBatch1: await rate(seconds, 1, () => reader.read(pngs[k++ % pngs.length]!)),
    endToEndBatch32: await rate(seconds, 32, () =>
      reader.read(Array.from({ length: 32 }, (_, i) => pngs[i % pngs.length]!)),
    ),
    // Decoding alone (default beam 8), on the reader's own outputs for these lines.
    decodeBeam8: await (async () => {
      const probs = await reader.infer(lines);
      return rate(seconds, probs.length, async () => {
        for (const p of probs) reader.decode(p, compiled);
      });
    })(),
  };
}

async function http(url: string, body: Buffer, connections: number, duration: number) {
  const r = await autocannon({
    url: `${url}/v1/read`,
    method: 'POST',
    headers: { 'content-type': 'image/png' },
    body,
    connections,
    duration,
  });
  return {
    connections,
    requestsPerSecond: Math.round(r.requests.average),
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    errors: r.errors + r.timeouts + r.non2xx,
  };
}

export async function benchRead(opts: BenchReadOptions = {}) {
  const seconds = opts.duration ?? 3;
  const load1Before = loadavg()[0]!;
  // a comma-separated list is an ensemble of readers, run one after the other on each batch
  const model = readerPath(opts.reader);
  const members = model.split(',').filter(Boolean);
  const pngs = await Promise.all(TEXTS.map((t, i) => lineScan(t, { seed: i + 1, noise: 4 })));
  const reader = await createLineReader({ model: members, intraOpThreads: opts.threads });
  const lines = await Promise.all(pngs.map((p) => reader.prepare(p)));
  const widths = lines.map((l) => l.width);
  // The HTTP body: the line of median width.
  const median = [...widths.keys()].sort((a, b) => widths[a]! - widths[b]!)[widths.length >> 1]!;
  const raw = await inProcess(reader, pngs, lines, seconds);
  await reader.close();

  // Interleaved trials (0, 1, 0, 1 prepare workers; or, with readerThread, one worker and the reader on the HTTP
  // thread then in its own): on a shared machine the load moves between runs.
  const runs = [];
  const setups = opts.readerThread
    ? [
        { workers: 1, thread: false },
        { workers: 1, thread: true },
      ]
    : [
        { workers: 0, thread: false },
        { workers: 1, thread: false },
      ];
  for (let trial = 1; trial <= (opts.trials ?? 2); trial++)
    for (const { workers, thread } of setups) {
      const extra = ['--reader', model, '--prepare-workers', String(workers)];
      if (opts.readerThread) extra.push(thread ? '--reader-thread' : '--no-reader-thread');
      const { url, child } = await startServe(FIXTURE, true, opts.threads, extra);
      try {
        await http(url, pngs[median]!, 4, 1); // warm-up
        for (const c of [1, 16]) {
          runs.push({
            trial,
            prepareWorkers: workers,
            readerThread: thread,
            ...(await http(url, pngs[median]!, c, Math.max(2, seconds))),
          });
          process.stderr.write(
            `  trial ${trial}, prepare workers ${workers}${thread ? ', reader thread' : ''}, c=${c}: ${runs.at(-1)!.requestsPerSecond} req/s\n`,
          );
        }
      } finally {
        await stopServe(child);
      }
    }
  const decode = benchDecode({ msPerCase: 500, print: false });
  return {
    reader: model,
    readers: members.length,
    threads: opts.threads ?? 'all cores',
    cpus: cpus().length,
    lineWidths: { min: Math.min(...widths), max: Math.max(...widths), httpBody: lines[median]!.width },
    load1Before: +load1Before.toFixed(2),
    load1After: +loadavg()[0]!.toFixed(2),
    linesPerSecond: Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, Math.round(v)])),
    http: runs,
    decode: decode.map((r) => ({ name: r.name, decodesPerSecond: Math.round(r.decodesPerSecond) })),
  };
}

function print(r: Awaited<ReturnType<typeof benchRead>>) {
  const out = process.stdout;
  out.write(`reader: ${r.reader} (onnxruntime threads: ${r.threads})\n`);
  out.write(`cpus: ${r.cpus}, load average (1 min) before ${r.load1Before}, after ${r.load1After}\n`);
  out.write(
    `lines: ${TEXTS.length} synthetic scans of ${r.lineWidths.min}-${r.lineWidths.max} px at height 32 (HTTP body: ${r.lineWidths.httpBody} px)\n\n`,
  );
  const l = r.linesPerSecond;
  out.write('in-process onnxruntime, lines/s        batch 1   batch 32\n');
  out.write(
    `  inference alone                   ${String(l.inferBatch1).padStart(9)} ${String(l.inferBatch32).padStart(10)}\n`,
  );
  out.write(
    `  PNG -> text (decode, preprocess,   ${String(l.endToEndBatch1).padStart(9)} ${String(l.endToEndBatch32).padStart(10)}\n     inference, beam 8)\n`,
  );
  out.write(`  beam-8 decoding alone: ${l.decodeBeam8} lines/s\n\n`);
  out.write(
    `${'HTTP POST /v1/read, one PNG line'.padEnd(50)} ${'req/s'.padStart(7)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'errors'.padStart(7)}\n`,
  );
  for (const x of r.http)
    out.write(
      `${`trial ${x.trial}: c=${x.connections}, prepare workers ${x.prepareWorkers}${x.readerThread ? ', reader thread' : ''}`.padEnd(50)} ${String(x.requestsPerSecond).padStart(7)} ${String(x.p50Ms).padStart(7)} ${String(x.p99Ms).padStart(7)} ${String(x.errors).padStart(7)}\n`,
    );
  out.write('\n@hcr/decode benchDecode (100-frame synthetic lines, decodes per CPU second)\n');
  for (const d of r.decode) out.write(`  ${d.name.padEnd(30)} ${String(d.decodesPerSecond).padStart(8)}\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const flag = (name: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const result = await benchRead({
    reader: flag('reader') ?? flag('model'),
    duration: flag('duration') ? Number(flag('duration')) : undefined,
    threads: flag('threads') ? Number(flag('threads')) : undefined,
    trials: flag('trials') ? Number(flag('trials')) : undefined,
    readerThread: args.includes('--reader-thread'),
  });
  if (args.includes('--json')) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else print(result);
}
