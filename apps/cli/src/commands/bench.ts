import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HcrError } from '@hcr/core';
import type { Command } from 'commander';
import { GC_FLAG, wantsSingleThreadedGc } from '../single-threaded-gc.js';

/** The preload that prints a benchmark's HcrError as the CLI does (../bench-errors.ts, or .js when built). */
const here = fileURLToPath(import.meta.url);
const BENCH_ERRORS = join(dirname(here), '..', `bench-errors${here.slice(here.lastIndexOf('.'))}`);

/**
 * `hcr bench <name>`: every speed figure in the README comes from one of these scripts.
 * Benchmarks are repository tools (they live in packages/<pkg>/bench/, next to the code they measure),
 * so they run from a checkout, each in its own process so one cannot warm up another.
 */
export const benchmarks: Record<string, { script: string; description: string; trains?: boolean }> = {
  data: { script: 'packages/data/bench/data.ts', description: 'prepare time and shard read throughput' },
  engine: {
    script: 'packages/engine/bench/engine.ts',
    description: 'training step speed: stock wasm vs our kernels',
  },
  'shard-profile': {
    script: 'packages/train/bench/shard-profile.ts',
    description: "reader training shard: CPU ms and kernels, tfjs' Identity copies and fused convs vs ours",
  },
  'batch-norm': {
    script: 'packages/train/bench/batch-norm.ts',
    description: 'training shard ms of reader and hcrnet: tfjs-layers batch norm vs fused kernels',
  },
  train: {
    script: 'packages/train/bench/train.ts',
    description: 'training images/s, ours vs the PyTorch peer',
    // trains with the default worker threads, so it runs as `hcr train` would (single-threaded-gc.ts)
    trains: true,
  },
  beside: {
    script: 'packages/train/bench/beside.ts',
    description: 'hcrnet beside the LSTM reader: steps/s with every worker busy vs one busy worker each',
    trains: true,
  },
  eval: {
    script: 'packages/eval/bench/eval.ts',
    description: 'evaluation images/s per runtime (tfjs, onnx)',
  },
  export: {
    script: 'packages/export-onnx/bench/export.ts',
    description: 'ONNX export time, ORT vs tfjs inference',
  },
  serve: {
    script: 'packages/serve-onnx/bench/serve.ts',
    description: 'HTTP requests/s and latency vs raw onnxruntime',
  },
  guards: {
    script: 'packages/serve-onnx/bench/guards.ts',
    description:
      'what API tokens and a rate limit cost POST /v1/predict: req/s and server CPU per request, open vs guarded',
  },
  image: {
    script: 'packages/image/bench/image.ts',
    description: 'line preprocessing ms per line: synthetic scans, real dev sets',
  },
  formats: {
    script: 'packages/image/bench/formats.ts',
    description: 'decode ms of a scanned A4 page: its JPEG, a PDF holding it, a page of a fax TIFF',
  },
  'glyph-oracle': {
    script: 'packages/eval/bench/glyph-oracle.ts',
    description: 'synthetic test lines: the character model on their glyphs cut perfectly, beside the reader',
  },
  'case-fold': {
    script: 'packages/serve-onnx/bench/case-fold.ts',
    description:
      'classes=uppercase/lowercase on a 62-class model: the other case folded in for no letter, the alike ones, every one',
  },
  reject: {
    script: 'packages/serve-onnx/bench/reject.ts',
    description: 'rejection: false-accept rate on generated negatives, accuracy kept on real characters',
  },
  framing: {
    script: 'packages/serve-onnx/bench/framing.ts',
    description:
      'the real dev sets read as cut, with paper borders and trimmed: how much the figures (and the bands kept) depend on the cut',
  },
  conditions: {
    script: 'packages/serve-onnx/bench/conditions.ts',
    description:
      'the real dev sets as users send them: recompressed, scaled, blurred, dim and noisy, shadowed, in colour',
  },
  drawn: {
    script: 'packages/serve-onnx/bench/drawn.ts',
    description:
      'texts drawn as the drawing page takes them (single-stroke capitals, straight segments), by pen width',
  },
  tilt: {
    script: 'packages/serve-onnx/bench/tilt.ts',
    description: 'the real dev sets turned by a few degrees, read with the line deskew on and off',
  },
  'text-lines': {
    script: 'packages/serve-onnx/bench/text-lines.ts',
    description: 'layout=lines on notes of 2-4 real cheque amounts: lines found, texts as read alone',
  },
  documents: {
    script: 'packages/serve-onnx/bench/documents.ts',
    description:
      'hcr read over a scanned 10-page PDF, photos of fields on a sheet and the dev crops: seconds',
  },
  read: {
    script: 'packages/serve-onnx/bench/read.ts',
    description: 'line reader: lines/s in onnxruntime (batch 1, 32), HTTP /v1/read req/s',
  },
  cli: {
    script: 'apps/cli/bench/start.ts',
    description: 'hcr --help start time: built JavaScript (the installed bin) vs sources (pnpm hcr)',
  },
  'serve-install': {
    script: 'packages/serve-onnx/bench/install.ts',
    description: 'installed size of a serving-only npm install of the packed tarballs, by package',
  },
};

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'pnpm-workspace.yaml'))) {
    const up = dirname(dir);
    if (up === dir)
      throw new HcrError('NOT_A_CHECKOUT', 'hcr bench runs from a checkout of the hcr repository.');
    dir = up;
  }
  return dir;
}

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description(`run a benchmark and print its numbers (${Object.keys(benchmarks).join(', ')})`)
    .argument('[name]', 'benchmark name; omit to list them')
    .argument('[args...]', 'passed to the benchmark script')
    .allowUnknownOption()
    .action(async (name: string | undefined, args: string[]) => {
      if (!name) {
        for (const [n, b] of Object.entries(benchmarks))
          process.stdout.write(`${n.padEnd(8)} ${b.description}\n`);
        return;
      }
      const bench = benchmarks[name];
      if (!bench)
        throw new HcrError('UNKNOWN_BENCHMARK', `Unknown benchmark '${name}'.`, {
          hint: `Known: ${Object.keys(benchmarks).join(', ')}.`,
        });
      const root = repoRoot();
      const script = resolve(root, bench.script);
      if (!existsSync(script))
        throw new HcrError('BENCHMARK_MISSING', `Benchmark script ${bench.script} is missing.`);
      // imported only here: listing the benchmarks need not load tfjs
      const workers = bench.trains ? (await import('@hcr/train')).resolveTrainConfig({}).workers : 0;
      const gc = bench.trains && wantsSingleThreadedGc(workers) ? [GC_FLAG] : [];
      const code = await new Promise<number>((done) => {
        const child = spawn(
          process.execPath,
          [...gc, '--conditions=source', '--import', 'tsx', '--import', BENCH_ERRORS, script, ...args],
          {
            cwd: root,
            stdio: 'inherit',
          },
        );
        child.on('exit', (c, signal) => done(c ?? (signal ? 1 : 0)));
      });
      process.exitCode = code;
    });
}
