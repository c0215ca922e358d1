// Usage: node --conditions=source --import tsx packages/engine/bench/engine.ts
//          [--batch 128] [--steps 10] [--fast-only] [--json]
// Trains the seed CNN on random data: stock wasm kernels vs @hcr/engine's, in one process.
import { loadavg } from 'node:os';
import { benchEngine } from '../src/index.js';

const args = process.argv.slice(2);
const num = (flag: string, dflt: number) => {
  const i = args.indexOf(flag);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const load0 = loadavg()[0]!;
const res = await benchEngine({
  batch: num('--batch', 128),
  steps: num('--steps', 10),
  variants: args.includes('--fast-only') ? ['fast', 'fast-minimize'] : ['stock', 'fast', 'fast-minimize'],
});
// timing moves with load: each bench prints it
const load1 = [load0, loadavg()[0]!];
console.log(`load average ${load1[0]!.toFixed(2)} -> ${load1[1]!.toFixed(2)}`);
if (args.includes('--json')) console.log(JSON.stringify({ ...res, load1 }));
