/**
 * `pnpm bench batch-norm [--steps n] [--batch lines] [--char-batch characters] [--json]`
 *
 * One training shard (forward, CTC or cross-entropy loss, backward) of the models with batch norm, with
 * tfjs-layers' own batch-norm code and with @hcr/engine's fused training kernels, interleaved in one
 * process so both see the same machine load. Ms per shard are wall time and this thread's CPU time.
 * The reader uses real line shards when artifacts/data/lines exists (lines near the median width), else
 * random lines of that width: the cost depends on the shapes, not the pixels.
 */
import { loadavg } from 'node:os';
import { initEngine, useFusedBatchNormInTraining } from '@hcr/engine';
import * as tf from '@tensorflow/tfjs-core';
import { patchBatchNormGradient, patchConvInputGradient } from '../src/grad-patches.js';
import type { SharedSplit } from '../src/protocol.js';
import { Replica } from '../src/replica.js';
import { benchInit, numberFlag, readerShardLines } from './shards.js';

const steps = numberFlag('--steps', 6);
// Shard sizes as in training: reader batch 32 and hcrnet 128, each cut into 2 gradient shards.
const batch = numberFlag('--batch', 16);
const charBatch = numberFlag('--char-batch', 64);
const FUSED = 'HcrBatchNormTraining';

function characterSplit(): SharedSplit {
  const n = charBatch;
  return {
    count: n,
    pixels: new Uint8Array(n * 784).map((_, i) => (i * 2654435761) >>> 24),
    labels: new Uint8Array(n).map((_, i) => i % 36),
    sources: new Uint8Array(n),
  };
}

await initEngine({ engine: 'wasm', purpose: 'train', log: () => {} });
patchBatchNormGradient();
patchConvInputGradient();
useFusedBatchNormInTraining();
const fusedKernels = [FUSED, `${FUSED}Grad`].map((k) => tf.getKernel(k, 'wasm')!);
const setFused = (on: boolean) => {
  for (const k of fusedKernels) {
    if (tf.getKernel(k.kernelName, 'wasm')) tf.unregisterKernel(k.kernelName, 'wasm');
    if (on) tf.registerKernel(k);
  }
};

const base = benchInit(0.2);
const lines = await readerShardLines(batch);
const cases = [
  {
    name: 'reader',
    what: `${batch} lines (${lines.source})`,
    replica: new Replica({
      ...base,
      task: 'line',
      model: 'reader',
      classes: lines.classes,
      splits: { train: lines.split },
    }),
    samples: lines.samples,
  },
  {
    name: 'hcrnet',
    what: `${charBatch} characters 28x28`,
    replica: new Replica({
      ...base,
      task: 'character',
      model: 'hcrnet',
      classes: 36,
      splits: { train: characterSplit() },
    }),
    samples: Uint32Array.from({ length: charBatch }, (_, i) => i),
  },
];

const rows = [];
const load = loadavg()[0]!.toFixed(2);
for (const c of cases) {
  const job = { index: 0, samples: c.samples, position: 0 };
  const time = (fused: boolean) => {
    setFused(fused);
    const w0 = performance.now();
    const c0 = process.cpuUsage();
    c.replica.computeShard(job, 0, 0, false);
    const cpu = process.cpuUsage(c0);
    return { wall: performance.now() - w0, cpu: (cpu.user + cpu.system) / 1000 };
  };
  for (const fused of [false, true]) time(fused); // warm-up
  const acc = { stock: { wall: 0, cpu: 0 }, fused: { wall: 0, cpu: 0 } };
  for (let s = 0; s < steps; s++) {
    for (const fused of [false, true]) {
      const t = time(fused);
      const a = fused ? acc.fused : acc.stock;
      a.wall += t.wall / steps;
      a.cpu += t.cpu / steps;
    }
  }
  rows.push({
    model: c.name,
    shard: c.what,
    stockMs: acc.stock.wall,
    fusedMs: acc.fused.wall,
    stockCpuMs: acc.stock.cpu,
    fusedCpuMs: acc.fused.cpu,
    speedup: acc.stock.cpu / acc.fused.cpu,
  });
}
if (process.argv.includes('--json')) console.log(JSON.stringify({ load, steps, rows }));
else {
  console.log(`batch-norm in training, ${steps} interleaved shards each, load average ${load} at start`);
  for (const r of rows)
    console.log(
      `${r.model.padEnd(7)} ${r.shard}: tfjs-layers ${r.stockMs.toFixed(0)} ms (cpu ${r.stockCpuMs.toFixed(0)}), ` +
        `fused ${r.fusedMs.toFixed(0)} ms (cpu ${r.fusedCpuMs.toFixed(0)}): ${r.speedup.toFixed(2)}x by CPU time`,
    );
}
