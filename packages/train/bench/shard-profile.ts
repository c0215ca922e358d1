/**
 * `pnpm bench shard-profile [--steps n] [--lines n] [--compare identity-conv|filter-patches] [--json]`
 *
 * Where a reader training shard's time goes, and what the two exact training patches save: one shard (forward,
 * CTC loss, backward) of the line reader, run alternately with tfjs' own behaviour ("before": a copying Identity,
 * fused convs that also compute the image's gradient) and with ours ("after": @hcr/engine's buffer-sharing
 * Identity, `patchConvInputGradient`), in one process so both see the same machine load. Prints CPU ms per shard
 * (this thread's time; the median over `steps`), the gradients' equality, and the kernels by CPU time.
 * `--compare filter-patches` instead compares @hcr/engine's two exact paths for the convolutions' filter
 * gradients ("before": the batch-axis convolution, "after": the patch matrix; both with our Identity and patch).
 * Uses real lines near the median width when artifacts/data/lines exists, else random lines 164 px wide.
 */
import { createHash } from 'node:crypto';
import { loadavg } from 'node:os';
import { initEngine, kernelTuning, useFusedBatchNormInTraining } from '@hcr/engine';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { patchBatchNormGradient, patchConvInputGradient } from '../src/grad-patches.js';
import { Replica } from '../src/replica.js';
import { benchInit, numberFlag, readerShardLines } from './shards.js';

const steps = numberFlag('--steps', 8);
// One worker's shard: the reader trains at batch 16 in 2 slices, one per worker thread.
const batch = numberFlag('--lines', 8);

await initEngine({ engine: 'wasm', purpose: 'train', log: () => {} });
patchBatchNormGradient();
useFusedBatchNormInTraining();

// Per-kernel CPU time (process.cpuUsage around every wasm kernel call), recorded for one shard per variant.
const byKernel = new Map<string, { ms: number; calls: number }>();
let recording = false;
function timed(name: string, inner: tf.KernelFunc): tf.KernelFunc {
  return (a) => {
    if (!recording) return inner(a);
    const t0 = process.cpuUsage();
    try {
      return inner(a);
    } finally {
      const u = process.cpuUsage(t0);
      const e = byKernel.get(name) ?? { ms: 0, calls: 0 };
      e.ms += (u.user + u.system) / 1000;
      e.calls += 1;
      byKernel.set(name, e);
    }
  };
}
for (const cfg of tf.getKernelsForBackend('wasm')) {
  tf.unregisterKernel(cfg.kernelName, 'wasm');
  tf.registerKernel({ ...cfg, setupFunc: undefined, kernelFunc: timed(cfg.kernelName, cfg.kernelFunc) });
}

// "after": @hcr/engine's Identity (registered by initEngine) and the conv patch; "before": tfjs' behaviour, a
// copying Identity (what the stock wasm kernel does) and Conv2D's own fused call.
const sharedIdentity = tf.getKernel('Identity', 'wasm')!;
const copyingIdentity: tf.KernelConfig = {
  kernelName: 'Identity',
  backendName: 'wasm',
  kernelFunc: timed('Identity', ({ inputs, backend }) => {
    const x = inputs.x as tf.TensorInfo;
    const b = backend as unknown as {
      makeOutput(shape: number[], dtype: string): tf.TensorInfo;
      typedArrayFromHeap(t: tf.TensorInfo): Float32Array;
    };
    const out = b.makeOutput(x.shape, x.dtype);
    b.typedArrayFromHeap(out).set(b.typedArrayFromHeap(x));
    return out;
  }),
};
const convProto = Object.getPrototypeOf(tfl.layers.conv2d({ filters: 1, kernelSize: 1 })) as object;
const ownCall = Object.getOwnPropertyDescriptor(convProto, 'call');
patchConvInputGradient();
const patchedCall = Object.getOwnPropertyDescriptor(convProto, 'call')!;
const compare = process.argv.includes('--compare')
  ? process.argv[process.argv.indexOf('--compare') + 1]
  : 'identity-conv';
if (compare !== 'identity-conv' && compare !== 'filter-patches')
  throw new Error(`--compare ${compare}: expected identity-conv or filter-patches`);
function use(variant: 'before' | 'after'): void {
  kernelTuning.patches = compare === 'identity-conv' || variant === 'after';
  const ours = compare === 'filter-patches' || variant === 'after';
  tf.unregisterKernel('Identity', 'wasm');
  tf.registerKernel(ours ? sharedIdentity : copyingIdentity);
  if (ours) Object.defineProperty(convProto, 'call', patchedCall);
  else if (ownCall) Object.defineProperty(convProto, 'call', ownCall);
  else delete (convProto as { call?: unknown }).call;
}

const lines = await readerShardLines(batch);
const replica = new Replica({
  ...benchInit(0),
  task: 'line',
  model: 'reader',
  classes: lines.classes,
  splits: { train: lines.split },
});
const job = { index: 0, samples: lines.samples, position: 0 };

const variants = ['before', 'after'] as const;
const cpu: Record<string, number[]> = { before: [], after: [] };
const kernels: Record<string, Map<string, { ms: number; calls: number }>> = {};
const gradHash: Record<string, string> = {};
const load = loadavg()[0]!.toFixed(2);
for (const v of variants) {
  use(v);
  const r = replica.computeShard(job, 0, 0, true); // warm-up; also the gradients to compare
  gradHash[v] = createHash('sha256').update(Buffer.from(r.grads.buffer)).digest('hex').slice(0, 16);
}
for (let s = 0; s < steps; s++)
  for (const v of variants) {
    use(v);
    byKernel.clear();
    recording = s === steps - 1;
    const c0 = process.cpuUsage();
    replica.computeShard(job, 0, 0, true);
    const c = process.cpuUsage(c0);
    recording = false;
    cpu[v]!.push((c.user + c.system) / 1000);
    if (s === steps - 1) kernels[v] = new Map(byKernel);
  }
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
const result = {
  load,
  steps,
  compare,
  shard: `${batch} lines near the median width ${lines.medianWidth} px (${lines.source})`,
  gradientsEqual: gradHash.before === gradHash.after,
  cpuMsPerShard: { before: med(cpu.before!), after: med(cpu.after!) },
  kernels: Object.fromEntries(
    variants.map((v) => [
      v,
      [...kernels[v]!]
        .sort((a, b) => b[1].ms - a[1].ms)
        .slice(0, 12)
        .map(([name, k]) => ({ name, ms: +k.ms.toFixed(2), calls: k.calls })),
    ]),
  ),
};
if (process.argv.includes('--json')) console.log(JSON.stringify(result, null, 2));
else {
  console.log(`reader training shard: ${result.shard}; load average ${load} at start; comparing ${compare}`);
  console.log(
    `CPU ms per shard (median of ${steps}, interleaved): before ${result.cpuMsPerShard.before.toFixed(1)}, after ${result.cpuMsPerShard.after.toFixed(1)} ` +
      `(${(result.cpuMsPerShard.before / result.cpuMsPerShard.after).toFixed(2)}x); gradients ${result.gradientsEqual ? 'identical' : 'DIFFERENT'}`,
  );
  for (const v of variants) {
    console.log(`${v}: kernels by CPU ms in one shard (profiled, so slower than above)`);
    for (const k of result.kernels[v]!)
      console.log(
        `  ${k.name.padEnd(26)} ${k.ms.toFixed(2).padStart(8)} ms ${String(k.calls).padStart(5)} calls`,
      );
  }
}
