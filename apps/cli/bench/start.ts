/**
 * Dev-only: how long `hcr --help` takes to start, built JavaScript (what the installed `hcr` runs) against the
 * sources through tsx (what `pnpm hcr` runs in the repository). Builds @hcr/cli and its dependencies first
 * (turbo, cached when nothing changed).
 * Usage: pnpm bench cli [runs]   (or node --conditions=source --import tsx apps/cli/bench/start.ts)
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../../..');
const RUNS = Number(process.argv[2] ?? 10);
// before the build: `cli 0` or `cli x` built everything, then died on the median of no runs (a TypeError)
if (!Number.isInteger(RUNS) || RUNS < 1) {
  process.stderr.write(
    `pnpm bench cli [runs]: runs is a whole number >= 1 (default 10), got '${process.argv[2]}'.\n`,
  );
  process.exit(1);
}
const REPORT = resolve(import.meta.dirname, 'report-exit.mjs');

interface Sample {
  wall: number;
  cpu?: number;
}

/** One start: wall time seen from here, and the child's own CPU time when it reports it. */
function once(cmd: string, args: string[]): Sample {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  const wall = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  const m = /hcr-bench-exit ([\d.]+) ([\d.]+)/.exec(r.stderr);
  return { wall, cpu: m ? Number(m[1]) : undefined };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function measure(label: string, cmd: string, args: string[], runs = RUNS): void {
  once(cmd, args); // warm the file cache
  const samples = Array.from({ length: runs }, () => once(cmd, args));
  const walls = samples.map((s) => s.wall);
  const cpu = samples.flatMap((s) => (s.cpu === undefined ? [] : [s.cpu]));
  console.log(
    `${label.padEnd(52)} median ${(median(walls) / 1000).toFixed(3)} s, best ${(Math.min(...walls) / 1000).toFixed(3)} s` +
      (cpu.length ? `, CPU ${(median(cpu) / 1000).toFixed(3)} s` : '') +
      ` (${runs} runs)`,
  );
}

execFileSync('pnpm', ['turbo', 'run', 'build', '--filter=@hcr/cli...', '--output-logs=errors-only'], {
  cwd: ROOT,
  stdio: ['ignore', 'ignore', 'inherit'],
});
const load = loadavg().map((l) => l.toFixed(2));
console.log(`hcr start time; ${cpus().length} cores, load average ${load.join(' ')} (1/5/15 min)`);
const node = process.execPath;
const built = ['--import', REPORT, 'apps/cli/dist/bin.js'];
const source = ['--conditions=source', '--import', 'tsx', '--import', REPORT, 'apps/cli/src/bin.ts'];
measure('built  hcr --help       (node apps/cli/dist/bin.js)', node, [...built, '--help']);
measure('built  hcr --version', node, [...built, '--version']);
measure('built  hcr predict --help (loads onnxruntime, sharp)', node, [...built, 'predict', '--help']);
measure('source hcr --help       (node --import tsx src/bin.ts)', node, [...source, '--help']);
measure(
  'source pnpm hcr --help  (pnpm + bin/hcr-dev.js + tsx)',
  'pnpm',
  ['hcr', '--help'],
  Math.ceil(RUNS / 2),
);
console.log(
  `load average after: ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
