/**
 * `pnpm bench guards [--model file.onnx] [--duration s] [--rounds n] [--connections c] [--json]`
 *
 * What guarding the API costs: POST /v1/predict through `hcr serve` (the real CLI, its own process) open, with an
 * API token file of several clients (`--api-token-file`), with those tokens and a rate limit no client reaches
 * (`--rate-limit`), and with limits of their own for the clients (`--rate-limit 10000000/min,client-0=...`, which
 * the plugin looks up per request), measured in alternating rounds, each starting with the next configuration
 * (open, tokens, limit, own limits; tokens, limit, own limits, open; ...), so that a drift of the machine's load or
 * clock falls on all alike. Each run: autocannon at `connections` for `duration` seconds after a warm-up; requests/s, p99, and the server's CPU per request (from its /metrics), with the 1-minute load average.
 * The load generator runs on a core of its own when there are 2 or more (as `pnpm bench serve`).
 *
 * Default model: the pipeline's character model (artifacts/model/pipeline), else the tests' small MLP.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeGreyPng } from '../src/index.js';
import { pinSelf, planPinning } from './pinning.js';
import { type HttpRun, load, startServe, stopServe } from './serve.js';

const ROOT = resolve(fileURLToPath(new URL('../../../', import.meta.url)));
const PIPELINE = resolve(ROOT, 'artifacts/model/pipeline/model.onnx');
const FIXTURE = resolve(ROOT, 'packages/serve-onnx/test/fixtures/hcr-mlp.onnx');

interface GuardsOptions {
  model?: string;
  duration?: number;
  rounds?: number;
  connections?: number;
}

const CONFIGS = ['open', 'tokens', 'tokens + rate limit', 'tokens + own limits'] as const;
type Config = (typeof CONFIGS)[number];

/** A 28x28 PNG of one vertical stroke: what a client sends; the guards' cost does not depend on the image. */
async function strokePng(): Promise<Buffer> {
  const pixels = new Uint8Array(28 * 28);
  for (let y = 4; y < 24; y++) for (let x = 12; x < 16; x++) pixels[y * 28 + x] = 255;
  return Buffer.from(await encodeGreyPng(pixels));
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

export async function benchGuards(opts: GuardsOptions = {}) {
  const model = opts.model ?? (existsSync(PIPELINE) ? PIPELINE : FIXTURE);
  const duration = opts.duration ?? 5;
  const rounds = opts.rounds ?? 3;
  const connections = opts.connections ?? 16;
  const tmp = await mkdtemp(join(tmpdir(), 'hcr-bench-guards-'));
  const tokens = join(tmp, 'tokens');
  // eight clients: every request's token is compared with each of them
  const clients = Array.from({ length: 8 }, (_, i) => ({
    name: `client-${i}`,
    token: `${String(i).repeat(8)}${'f'.repeat(24)}`,
  }));
  await writeFile(tokens, clients.map((c) => `${c.name} ${c.token}\n`).join(''));
  const auth = { authorization: `Bearer ${clients.at(-1)!.token}` };
  const flags: Record<Config, string[]> = {
    open: [],
    tokens: ['--api-token-file', tokens],
    'tokens + rate limit': ['--api-token-file', tokens, '--rate-limit', '10000000/min'],
    'tokens + own limits': [
      '--api-token-file',
      tokens,
      '--rate-limit',
      ['10000000/min', ...clients.map((c) => `${c.name}=10000000/min`)].join(','),
    ],
  };
  const body = await strokePng();
  const pinning = planPinning();
  if (pinning) pinSelf(pinning.clientCore);
  const runs: (HttpRun & { config: Config; round: number })[] = [];
  try {
    for (let round = 1; round <= rounds; round++)
      // each round starts with another configuration, so none is always measured first (or last)
      for (const config of CONFIGS.map((_, i) => CONFIGS[(i + round - 1) % CONFIGS.length]!)) {
        const { url, child } = await startServe(model, true, undefined, flags[config], pinning?.serverCores);
        try {
          const headers = config === 'open' ? {} : auth;
          await load(url, body, 8, 1, 'warm-up', true, undefined, headers);
          const run = await load(url, body, connections, duration, config, true, child.pid, headers);
          if (run.non2xx > 0 || run.errors > 0)
            throw new Error(
              `${config}: ${run.non2xx} answers not 2xx, ${run.errors} errors (the guards refused requests)`,
            );
          runs.push({ ...run, config, round });
          process.stderr.write(
            `  round ${round} ${config}: ${run.requestsPerSecond} req/s (load ${run.load1})\n`,
          );
        } finally {
          await stopServe(child);
        }
      }
  } finally {
    if (pinning) pinSelf(pinning.original);
    await rm(tmp, { recursive: true, force: true });
  }
  const summary = CONFIGS.map((config) => {
    const mine = runs.filter((r) => r.config === config);
    const rps = median(mine.map((r) => r.requestsPerSecond));
    const serverMicros = median(mine.map((r) => (r.serverCores * 1e6) / Math.max(1, r.requestsPerSecond)));
    return {
      config,
      requestsPerSecond: Math.round(rps),
      serverMicrosPerRequest: Math.round(serverMicros),
      p99Ms: median(mine.map((r) => r.p99Ms)),
    };
  });
  const open = summary[0]!;
  return {
    model,
    connections,
    duration,
    rounds,
    pinning: pinning ? { serverCores: pinning.serverCores, clientCore: pinning.clientCore } : null,
    load1After: +loadavg()[0]!.toFixed(2),
    summary: summary.map((s) => ({
      ...s,
      ratioToOpen: +(s.requestsPerSecond / open.requestsPerSecond).toFixed(3),
      addedServerMicros: s.serverMicrosPerRequest - open.serverMicrosPerRequest,
    })),
    runs,
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const flag = (name: string) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const num = (name: string) => (flag(name) === undefined ? undefined : Number(flag(name)));
  const r = await benchGuards({
    model: flag('model'),
    duration: num('duration'),
    rounds: num('rounds'),
    connections: num('connections'),
  });
  if (args.includes('--json')) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
  else {
    console.log(
      `POST /v1/predict at c=${r.connections}, ${r.rounds} rounds of ${r.duration} s, model ${r.model}${r.pinning ? `, server on cores ${r.pinning.serverCores}, load generator on ${r.pinning.clientCore}` : ''}; medians:`,
    );
    for (const s of r.summary)
      console.log(
        `  ${s.config.padEnd(20)} ${String(s.requestsPerSecond).padStart(6)} req/s (x${s.ratioToOpen.toFixed(3)})  server ${s.serverMicrosPerRequest} us/request (${s.addedServerMicros >= 0 ? '+' : ''}${s.addedServerMicros})  p99 ${s.p99Ms} ms`,
      );
    console.log(`  1-minute load average at the end: ${r.load1After}`);
  }
}
