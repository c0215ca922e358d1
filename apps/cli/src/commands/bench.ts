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
 * A benchmark's flags, each with what its value is: '' for a flag that takes none, 'n' for a number, 'count' for a
 * whole number >= 1, 's' for seconds (a number above 0), a list for one of those words, anything else for a text
 * (a file, a folder, a list). A name ending in '=' is a key=value
 * argument (`pnpm bench eval run=pipeline`). The scripts read their flags from argv by name and would run a
 * misspelt one at the defaults, so `hcr bench` checks them against these before starting the script.
 */
export type BenchFlags = Record<string, string | readonly string[]>;

export interface Benchmark {
  script: string;
  description: string;
  flags: BenchFlags;
  /** The one argument without a flag the script takes, if any (`pnpm bench cli 5`). */
  positional?: string;
  trains?: boolean;
}

/**
 * `hcr bench <name>`: every speed figure in the README comes from one of these scripts.
 * Benchmarks are repository tools (they live in packages/<pkg>/bench/, next to the code they measure),
 * so they run from a checkout, each in its own process so one cannot warm up another.
 */
export const benchmarks: Record<string, Benchmark> = {
  data: {
    script: 'packages/data/bench/data.ts',
    description: 'prepare time and shard read throughput',
    flags: { '--passes': 'count', '--batch': 'count' },
  },
  engine: {
    script: 'packages/engine/bench/engine.ts',
    description: 'training step speed: stock wasm vs our kernels',
    flags: { '--batch': 'count', '--steps': 'count', '--fast-only': '', '--json': '' },
  },
  kernels: {
    script: 'packages/engine/bench/kernels.ts',
    description: "CPU ms per training kernel at the seed model's shapes: stock wasm vs ours, with the ratio",
    flags: { '--batch': 'count', '--only': 'text' },
  },
  'shard-profile': {
    script: 'packages/train/bench/shard-profile.ts',
    description: "reader training shard: CPU ms and kernels, tfjs' Identity copies and fused convs vs ours",
    flags: {
      '--steps': 'count',
      '--lines': 'count',
      '--compare': ['identity-conv', 'filter-patches'],
      '--json': '',
    },
  },
  'batch-norm': {
    script: 'packages/train/bench/batch-norm.ts',
    description: 'training shard ms of reader and hcrnet: tfjs-layers batch norm vs fused kernels',
    flags: { '--steps': 'count', '--batch': 'count', '--char-batch': 'count', '--json': '' },
  },
  train: {
    script: 'packages/train/bench/train.ts',
    description: 'training images/s, ours vs the PyTorch peer',
    // trains with the default worker threads, so it runs as `hcr train` would (single-threaded-gc.ts)
    trains: true,
    flags: { '--images': 'count', '--batch': 'count' },
  },
  beside: {
    script: 'packages/train/bench/beside.ts',
    description: 'hcrnet beside the LSTM reader: steps/s with every worker busy vs one busy worker each',
    trains: true,
    flags: { '--seconds': 's', '--phase': 's' },
  },
  eval: {
    script: 'packages/eval/bench/eval.ts',
    description: 'evaluation images/s per runtime (tfjs, onnx)',
    flags: {
      'run=': 'id|dir',
      'model=': 'seed|hcrnet',
      'data=': 'dir',
      'runtimes=': 'onnx,tfjs',
      'engine=': 'name',
      'workers=': 'count',
    },
  },
  decode: {
    script: 'packages/decode/bench/decode.ts',
    description: 'decodes per CPU second of @hcr/decode on synthetic reader outputs',
    flags: {},
    positional: 'msPerCase',
  },
  export: {
    script: 'packages/export-onnx/bench/export.ts',
    description: 'ONNX export time, ORT vs tfjs inference',
    flags: { '--batch': 'count', '--seconds': 's' },
  },
  serve: {
    script: 'packages/serve-onnx/bench/serve.ts',
    description: 'HTTP requests/s and latency vs raw onnxruntime',
    flags: {
      '--model': 'file.onnx|hcrnet|heavy|fixture',
      '--duration': 's',
      '--soak': 'n',
      '--threads': 'count',
      '--prepare-workers': 'n',
      '--body': ['png', 'json'],
      '--no-pin': '',
      '--json': '',
    },
  },
  guards: {
    script: 'packages/serve-onnx/bench/guards.ts',
    description:
      'what API tokens and a rate limit cost POST /v1/predict: req/s and server CPU per request, open vs guarded',
    flags: {
      '--model': 'file.onnx',
      '--duration': 's',
      '--rounds': 'count',
      '--connections': 'count',
      '--json': '',
    },
  },
  image: {
    script: 'packages/image/bench/image.ts',
    description: 'line preprocessing ms per line: synthetic scans, real dev sets',
    flags: {},
  },
  formats: {
    script: 'packages/image/bench/formats.ts',
    description: 'decode ms of a scanned A4 page: its JPEG, a PDF holding it, a page of a fax TIFF',
    flags: {},
  },
  'photo-accuracy': {
    script: 'packages/serve-onnx/bench/photo-accuracy.ts',
    description:
      'accuracy kept through the photo pipeline: test images as given and as phone-photo-like JPEGs',
    flags: { '--n': 'count', '--edge-blur': 'n' },
    positional: 'model.onnx',
  },
  'glyph-oracle': {
    script: 'packages/eval/bench/glyph-oracle.ts',
    description: 'synthetic test lines: the character model on their glyphs cut perfectly, beside the reader',
    flags: { '--lines': 'dir', '--model': 'run', '--report': 'name' },
  },
  'case-fold': {
    script: 'packages/serve-onnx/bench/case-fold.ts',
    description:
      'classes=uppercase/lowercase on a 62-class model: the other case folded in for no letter, the alike ones, every one',
    flags: { '--model': 'file.onnx', '--data': 'dir' },
  },
  reject: {
    script: 'packages/serve-onnx/bench/reject.ts',
    description: 'rejection: false-accept rate on generated negatives, accuracy kept on real characters',
    flags: {
      '--model': 'file.onnx',
      '--data': 'dir',
      '--seed': 'n',
      '--per-kind': 'n',
      '--photos': 'n',
      '--json': '',
    },
  },
  framing: {
    script: 'packages/serve-onnx/bench/framing.ts',
    description:
      'the real dev sets read as cut, with paper borders and trimmed: how much the figures (and the bands kept) depend on the cut',
    flags: { '--reader': 'file.onnx', '--bands-only': '', '--figure': 'file.png' },
  },
  conditions: {
    script: 'packages/serve-onnx/bench/conditions.ts',
    description:
      'the real dev sets as users send them: recompressed, scaled, blurred, dim and noisy, shadowed, in colour',
    flags: { '--reader': 'file.onnx', '--only': 'name,name' },
  },
  drawn: {
    script: 'packages/serve-onnx/bench/drawn.ts',
    description:
      'texts drawn as the drawing page takes them (single-stroke capitals, straight segments), by pen width',
    flags: {
      '--reader': 'file.onnx',
      '--count': 'count',
      '--pens': 'n,n',
      '--seed': 'n',
      '--figure': 'file.png',
      '--write': 'dir',
    },
  },
  tilt: {
    script: 'packages/serve-onnx/bench/tilt.ts',
    description: 'the real dev sets turned by a few degrees, read with the line deskew on and off',
    flags: { '--reader': 'file.onnx', '--angles': 'd,d', '--figure': 'file.png' },
  },
  'text-lines': {
    script: 'packages/serve-onnx/bench/text-lines.ts',
    description: 'layout=lines on notes of 2-4 real cheque amounts: lines found, texts as read alone',
    flags: {
      '--notes': 'count',
      '--reader': 'file.onnx',
      '--seed': 'n',
      '--out': 'dir',
      '--figure': 'file.png',
      '--tilt': 'n',
      '--columns': '',
      '--sizes': 'n',
      '--sheet': 'n',
    },
  },
  documents: {
    script: 'packages/serve-onnx/bench/documents.ts',
    description:
      'hcr read over a scanned 10-page PDF, photos of fields on a sheet and the dev crops: seconds',
    flags: { '--reader': 'file.onnx', '--runs': 'count', '--only': 'words' },
  },
  read: {
    script: 'packages/serve-onnx/bench/read.ts',
    description: 'line reader: lines/s in onnxruntime (batch 1, 32), HTTP /v1/read req/s',
    flags: {
      '--reader': 'file.onnx[,more.onnx]',
      '--model': 'file.onnx',
      '--duration': 's',
      '--threads': 'count',
      '--trials': 'count',
      '--reader-thread': '',
      '--json': '',
    },
  },
  mixed: {
    script: 'packages/serve-onnx/bench/mixed.ts',
    description:
      '/healthz and /v1/predict latency under batch reads, the line reader on the HTTP thread vs its own thread',
    flags: {
      '--reader': 'file.onnx[,more.onnx]',
      '--model': 'file.onnx',
      '--clients': 'count',
      '--batch': 'count',
      '--duration': 's',
      '--trials': 'count',
      '--json': '',
    },
  },
  cli: {
    script: 'apps/cli/bench/start.ts',
    description: 'hcr --help start time: built JavaScript (the installed bin) vs sources (pnpm hcr)',
    flags: {},
    positional: 'runs',
  },
  'serve-install': {
    script: 'packages/serve-onnx/bench/install.ts',
    description: 'installed size of a serving-only npm install of the packed tarballs, by package',
    flags: { '--keep': '' },
  },
};

/** `pnpm bench <name> [flags]`: what the benchmark takes, one line. */
export function benchUsage(name: string): string {
  const b = benchmarks[name]!;
  const parts = Object.entries(b.flags).map(([flag, value]) => {
    if (flag.endsWith('=')) return `[${flag}${value}]`;
    if (value === '') return `[${flag}]`;
    return `[${flag} ${typeof value === 'string' ? value : value.join('|')}]`;
  });
  if (b.positional) parts.unshift(`[${b.positional}]`);
  return `pnpm bench ${name}${parts.length ? ` ${parts.join(' ')}` : ''}`;
}

/** What a value given for `spec` should have been, or undefined when it is one (numbers: 0 steps printed NaN). */
function valueProblem(spec: string | readonly string[], given: string): string | undefined {
  const n = given.trim() === '' ? Number.NaN : Number(given);
  if (spec === 'n') return Number.isFinite(n) ? undefined : 'a number';
  if (spec === 'count') return Number.isInteger(n) && n >= 1 ? undefined : 'a whole number >= 1';
  if (spec === 's') return Number.isFinite(n) && n > 0 ? undefined : 'seconds above 0';
  return undefined;
}

/**
 * Checks `args` against the benchmark's flags before its script starts (a misspelt flag would otherwise run
 * the whole benchmark at its defaults): an unknown flag, a flag without its value, a number that is none, a
 * word not among the flag's choices, `--flag=value` (the scripts read the value from the next argument) and a
 * second positional argument are each BAD_OPTION, naming the flags the benchmark takes.
 */
export function checkBenchArgs(name: string, args: readonly string[]): void {
  const b = benchmarks[name]!;
  const bad = (problem: string) =>
    new HcrError('BAD_OPTION', `pnpm bench ${name}: ${problem}`, {
      hint: `Usage: ${benchUsage(name)} (pnpm bench ${name} --help).`,
    });
  let positionals = 0;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const keyValue = /^([A-Za-z][\w-]*)=/.exec(arg);
    if (keyValue && Object.keys(b.flags).some((f) => f.endsWith('='))) {
      const spec = b.flags[`${keyValue[1]}=`];
      if (spec === undefined) throw bad(`unknown argument '${keyValue[1]}='.`);
      const given = arg.slice(keyValue[0].length);
      const problem = valueProblem(spec, given);
      if (problem) throw bad(`${keyValue[0]} takes ${problem}, got '${given}'.`);
      continue;
    }
    if (!arg.startsWith('--')) {
      if (!b.positional || ++positionals > 1) throw bad(`unexpected argument '${arg}'.`);
      continue;
    }
    const eq = arg.indexOf('=');
    if (eq > 0 && arg.slice(0, eq) in b.flags)
      throw bad(`write '${arg.slice(0, eq)} ${arg.slice(eq + 1)}': the value goes after a space.`);
    const value = b.flags[arg];
    if (value === undefined || arg.endsWith('=')) throw bad(`unknown flag '${arg}'.`);
    if (value === '') continue;
    const given = args[i + 1];
    if (given === undefined || given.startsWith('--')) throw bad(`${arg} takes a value (${arg} ${value}).`);
    i++;
    const problem = valueProblem(value, given);
    if (problem) throw bad(`${arg} takes ${problem}, got '${given}'.`);
    if (typeof value !== 'string' && !value.includes(given))
      throw bad(`${arg} takes ${value.join(' or ')}, got '${given}'.`);
  }
}

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
  const command = program
    .command('bench')
    .description(`run a benchmark and print its numbers (${Object.keys(benchmarks).join(', ')})`)
    .argument('[name]', 'benchmark name; omit to list them')
    .argument('[args...]', 'passed to the benchmark script (pnpm bench <name> --help lists them)')
    // --help is ours to read: after a benchmark's name it asks for that benchmark's flags, not this help
    .helpOption(false)
    .option('-h, --help', 'display help for command (after a name: the flags that benchmark takes)')
    .allowUnknownOption()
    .action(async (name: string | undefined, args: string[], opts: { help?: boolean }) => {
      if (opts.help && !name) {
        command.outputHelp();
        return;
      }
      if (!name) {
        const width = Math.max(...Object.keys(benchmarks).map((n) => n.length));
        for (const [n, b] of Object.entries(benchmarks))
          process.stdout.write(`${n.padEnd(width)}  ${b.description}\n`);
        process.stdout.write(`\npnpm bench <name> --help: the flags a benchmark takes.\n`);
        return;
      }
      const bench = benchmarks[name];
      if (!bench)
        throw new HcrError('UNKNOWN_BENCHMARK', `Unknown benchmark '${name}'.`, {
          hint: `Known: ${Object.keys(benchmarks).join(', ')}.`,
        });
      if (opts.help) {
        process.stdout.write(
          `Usage: ${benchUsage(name)}\n\n${bench.description}\n(${bench.script}: its header says what each flag does)\n`,
        );
        return;
      }
      checkBenchArgs(name, args);
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
