import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HcrError } from '@hcr/core';
import { resolveTrainConfig } from '../src/config.js';
import { train } from '../src/train.js';
import { trainLines } from '../src/train-lines.js';

/**
 * The pipeline's first run trains hcrnet beside the LSTM reader on 2 cores. This bench runs those two trainings
 * side by side and switches, in both at once, between every worker busy and one busy worker each, every
 * `phase` seconds (a clock both processes share), so each "one busy" window is compared with the windows on
 * either side of it, in the same minutes of the same machine. It prints each training's steps/s both ways.
 * Needs the pipeline's shards: `pnpm turbo run shards line-shards`.
 */
const REPO_ROOT = resolve(fileURLToPath(new URL('../../../', import.meta.url)));
const SCRIPT = fileURLToPath(import.meta.url);
const TRAININGS = {
  hcrnet: { config: 'configs/train.json', run: train },
  'lstm-reader': { config: 'configs/reader-bilstm.json', run: trainLines },
} as const;
type Training = keyof typeof TRAININGS;

/** Seconds after each switch left out, so that the other process has switched too. */
const SETTLE_S = 3;

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

/** Time (ms), optimizer step, epoch: logged at every step. */
type Tick = [number, number, number];

/** A child: one training whose busy workers follow the shared phase clock; logs a Tick at every step. */
async function child(name: Training, t0: number, phaseMs: number, outFile: string, runs: string) {
  const ticks: Tick[] = [];
  const size = resolveTrainConfig({}).workers;
  const save = async () => {
    await writeFile(`${outFile}.tmp`, JSON.stringify(ticks));
    await rename(`${outFile}.tmp`, outFile);
    process.exit(0);
  };
  process.on('SIGTERM', () => void save());
  const t = TRAININGS[name];
  const config = JSON.parse(await readFile(join(REPO_ROOT, t.config), 'utf8'));
  await t.run({
    config: { ...config, out: runs, checkpointEvery: 1_000_000 },
    run: name,
    force: true,
    log: () => {},
    progress: { start() {}, tick: (p) => void ticks.push([Date.now(), p.step, p.epoch]), stop() {} },
    activeWorkers: { next: () => (Math.floor((Date.now() - t0) / phaseMs) % 2 === 0 ? size : 1) },
  });
  await save();
}

/** The step reached at time `at`: the last step logged at or before it. */
function tickAt(ticks: Tick[], at: number): Tick | undefined {
  let last: Tick | undefined;
  for (const t of ticks) if (t[0] <= at) last = t;
  return last;
}

/** Phase i's measured span: after the settle time, to its end. */
const span = (t0: number, phaseMs: number, i: number) => [
  t0 + i * phaseMs + SETTLE_S * 1000,
  t0 + (i + 1) * phaseMs,
];

/** A phase in which either training ended an epoch (validation on every worker, then the other has the cores). */
function disturbed(all: Tick[][], t0: number, phaseMs: number, i: number): boolean {
  const [from, to] = span(t0, phaseMs, i);
  return all.some((ticks) => tickAt(ticks, from)?.[2] !== tickAt(ticks, to)?.[2]);
}

function summarise(name: string, ticks: Tick[], skip: boolean[], t0: number, phaseMs: number) {
  // steps/s in each phase; phases before the first step, or with an epoch's end, are left out
  const rates = skip.map((s, i) => {
    const [from, to] = span(t0, phaseMs, i);
    const a = tickAt(ticks, from);
    const b = tickAt(ticks, to);
    return s || !a || !b ? undefined : ((b[1] - a[1]) * 1000) / (to - from);
  });
  const phases = rates.length;
  // each one-busy phase (odd) against the mean of the all-busy phases around it: drift cancels
  const ratios: number[] = [];
  for (let i = 1; i + 1 < phases; i += 2) {
    const [before, one, after] = [rates[i - 1], rates[i], rates[i + 1]];
    if (before && one && after) ratios.push(one / ((before + after) / 2));
  }
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  const all = rates.filter((r, i) => r !== undefined && i % 2 === 0) as number[];
  const one = rates.filter((r, i) => r !== undefined && i % 2 === 1) as number[];
  if (!ratios.length) {
    console.log(`${name.padEnd(12)} too few steps to compare: run longer (--seconds)`);
    return;
  }
  console.log(
    `${name.padEnd(12)} every worker busy ${mean(all).toFixed(3)} steps/s, one busy ${mean(one).toFixed(3)} steps/s; ` +
      `one/every ${mean(ratios).toFixed(3)}x (${ratios.length} windows, ${Math.min(...ratios).toFixed(3)}-${Math.max(...ratios).toFixed(3)})`,
  );
}

async function main() {
  const seconds = Number(arg('seconds') ?? 600);
  const phaseS = Number(arg('phase') ?? 30);
  const dir = await mkdtemp(join(tmpdir(), 'hcr-bench-beside-'));
  // phases count from a little after the start, when both trainings are stepping
  const t0 = Date.now() + 30_000;
  const phases = Math.floor((seconds - 30) / phaseS);
  console.log(
    `beside bench: hcrnet and the LSTM reader side by side for ${seconds} s, switching every ${phaseS} s; ` +
      `${availableParallelism()} cores, load average ${loadavg()[0]!.toFixed(2)} before`,
  );
  try {
    const names = Object.keys(TRAININGS) as Training[];
    const children = names.map((name) =>
      spawn(
        process.execPath,
        [
          ...process.execArgv,
          SCRIPT,
          '--child',
          name,
          '--t0',
          String(t0),
          '--phase',
          String(phaseS),
          '--out',
          join(dir, `${name}.json`),
          '--runs',
          join(dir, 'runs'),
        ],
        { cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'inherit'] },
      ),
    );
    // a training that stops on its own with an error (no dataset prepared) ends the bench at once: the other
    // alone measures nothing, and waiting out --seconds (10 minutes by default) ended on a stack trace
    let stopping = false;
    let failed: string | undefined;
    let wake: () => void = () => {};
    const exited = children.map(
      (c, k) =>
        new Promise((done) =>
          c.on('exit', (code, signal) => {
            if (!stopping && code !== 0) {
              failed ??= `${names[k]} training (exit ${code ?? signal})`;
              wake();
            }
            done(code);
          }),
        ),
    );
    const start = Date.now();
    // progress: the bench says nothing else for --seconds
    const ticker = setInterval(
      () => process.stderr.write(`  ${Math.round((Date.now() - start) / 1000)} s of ${seconds}\n`),
      Math.max(phaseS, 60) * 1000,
    );
    await new Promise<void>((done) => {
      wake = done;
      setTimeout(done, seconds * 1000);
    });
    clearInterval(ticker);
    stopping = true;
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(exited);
    if (failed)
      throw new HcrError(
        'BENCH_TRAINING_FAILED',
        `The ${failed} stopped after ${Math.round((Date.now() - start) / 1000)} s of the ${seconds}; its error is above.`,
        {
          hint: 'Fix that (the trainings read artifacts/data/shards and artifacts/data/lines), then run again.',
        },
      );
    console.log(`load average after: ${loadavg()[0]!.toFixed(2)}`);
    const ticks: Tick[][] = [];
    for (const name of names) ticks.push(JSON.parse(await readFile(join(dir, `${name}.json`), 'utf8')));
    const skip = Array.from({ length: phases }, (_, i) => disturbed(ticks, t0, phaseS * 1000, i));
    for (const [k, name] of names.entries()) summarise(name, ticks[k]!, skip, t0, phaseS * 1000);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const name = arg('child') as Training | undefined;
  if (name) await child(name, Number(arg('t0')), Number(arg('phase')) * 1000, arg('out')!, arg('runs')!);
  else await main();
}
