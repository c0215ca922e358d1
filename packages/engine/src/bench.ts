import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from './engine.js';
import { naiveConv2DBackpropFilterConfig } from './kernels/conv2d_backprop_filter.js';
import { registerFastWasmKernels, unregisterFastWasmKernels } from './register.js';

export interface BenchEngineOptions {
  /** Images per training step (default 128). */
  batch?: number;
  /** Timed steps per variant (default 10, after 2 warm-up steps). */
  steps?: number;
  model?: 'seed';
  /**
   * Which variants to run (default all three): stock kernels with model.trainOnBatch, our kernels
   * with model.trainOnBatch, and our kernels with a custom optimizer.minimize loop.
   */
  variants?: BenchVariant[];
  /** Steps timed per kernel, in CPU time (default 2; 0 to skip). */
  profileSteps?: number;
  log?: (line: string) => void;
}

export interface KernelTime {
  name: string;
  /** CPU milliseconds per training step spent in this kernel (process.cpuUsage around each call). */
  ms: number;
  /** Share of the summed kernel time. */
  pct: number;
  calls: number;
}

export type BenchVariant = 'stock' | 'fast' | 'fast-minimize';

export interface BenchVariantResult {
  variant: BenchVariant;
  imagesPerSec: number;
  msPerStep: number;
  /**
   * Images per second of this thread's CPU time (process.cpuUsage): what the step costs without
   * the waiting caused by other processes on a busy machine.
   */
  cpuImagesPerSec: number;
  kernels: KernelTime[];
}

export interface BenchEngineResult {
  model: 'seed';
  batch: number;
  steps: number;
  results: BenchVariantResult[];
  /** fast images/s over stock images/s, when both ran. */
  speedup?: number;
}

const NUM_CLASSES = 36;

/** The reference "seed" CNN, defined here so the benchmark does not depend on @hcr/model. */
// biome-ignore lint/suspicious/noExplicitAny: tfjs-layers is imported lazily
function seedModel(tfl: any): any {
  const model = tfl.sequential({
    layers: [
      tfl.layers.conv2d({
        inputShape: [28, 28, 1],
        filters: 32,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
      }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.conv2d({ filters: 64, kernelSize: 3, padding: 'same', activation: 'relu' }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 128, activation: 'relu' }),
      tfl.layers.dense({ units: NUM_CLASSES, activation: 'softmax' }),
    ],
  });
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'categoricalCrossentropy' });
  return model;
}

/** Wraps every registered wasm kernel with a CPU-time accumulator; returns the undo. */
function timeKernels(byName: Map<string, { ms: number; calls: number }>): () => void {
  const originals = tf.getKernelsForBackend('wasm');
  for (const cfg of originals) {
    const inner = cfg.kernelFunc;
    const e = byName.get(cfg.kernelName) ?? { ms: 0, calls: 0 };
    byName.set(cfg.kernelName, e);
    tf.unregisterKernel(cfg.kernelName, 'wasm');
    tf.registerKernel({
      ...cfg,
      setupFunc: undefined,
      kernelFunc: (args) => {
        const t0 = process.cpuUsage();
        try {
          return inner(args);
        } finally {
          const u = process.cpuUsage(t0);
          e.ms += (u.user + u.system) / 1000;
          e.calls += 1;
        }
      },
    });
  }
  return () => {
    for (const cfg of originals) {
      tf.unregisterKernel(cfg.kernelName, 'wasm');
      tf.registerKernel(cfg);
    }
    for (const [k, v] of byName) if (v.calls === 0) byName.delete(k);
  };
}

function useStock(): void {
  unregisterFastWasmKernels();
  // Stock wasm has no Conv2DBackpropFilter: stand in the plain-loop kernel so training runs.
  if (tf.getKernel('Conv2DBackpropFilter', 'wasm')) tf.unregisterKernel('Conv2DBackpropFilter', 'wasm');
  tf.registerKernel(naiveConv2DBackpropFilterConfig);
}

function useFast(): void {
  unregisterFastWasmKernels();
  if (tf.getKernel('Conv2DBackpropFilter', 'wasm')) tf.unregisterKernel('Conv2DBackpropFilter', 'wasm');
  registerFastWasmKernels();
}

async function runVariant(
  variant: BenchVariant,
  batch: number,
  steps: number,
  profileSteps: number,
): Promise<BenchVariantResult> {
  if (variant === 'stock') useStock();
  else useFast();
  const tfl = await import('@tensorflow/tfjs-layers');
  const model = seedModel(tfl);
  const x = tf.randomUniform([batch, 28, 28, 1]);
  const labels = tf.randomUniform([batch], 0, NUM_CLASSES, 'int32');
  const y = tf.cast(tf.oneHot(labels, NUM_CLASSES), 'float32');
  const vars = model.trainableWeights.map((w: { read(): tf.Variable }) => w.read());
  const optimizer = tf.train.adam(1e-3);
  // What a custom training loop does: forward, loss, backward, Adam; read the loss each step.
  const minimizeStep = async () => {
    const loss = optimizer.minimize(
      () => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
      true,
      vars,
    );
    await loss?.data();
    loss?.dispose();
  };
  const step = variant === 'fast-minimize' ? minimizeStep : async () => void (await model.trainOnBatch(x, y));
  for (let i = 0; i < 2; i++) await step();
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  for (let i = 0; i < steps; i++) await step();
  const ms = (performance.now() - t0) / steps;
  const cpu = process.cpuUsage(c0);
  const cpuMs = (cpu.user + cpu.system) / 1000 / steps;
  const byName = new Map<string, { ms: number; calls: number }>();
  if (profileSteps > 0) {
    // Time every wasm kernel call by this thread's CPU time (robust on a busy machine, unlike
    // tf.profile's wall time). Kernels call each other's functions directly, not through the
    // registry, so nothing is counted twice.
    const restore = timeKernels(byName);
    try {
      for (let i = 0; i < profileSteps; i++) await step();
    } finally {
      restore();
    }
  }
  let total = 0;
  for (const v of byName.values()) total += v.ms;
  const kernels = [...byName.entries()]
    .map(([name, v]) => ({
      name,
      ms: v.ms / profileSteps,
      pct: total > 0 ? v.ms / total : 0,
      calls: v.calls / profileSteps,
    }))
    .sort((a, b) => b.ms - a.ms);
  tf.dispose([x, labels, y]);
  optimizer.dispose();
  model.dispose();
  return {
    variant,
    imagesPerSec: (batch * 1000) / ms,
    msPerStep: ms,
    cpuImagesPerSec: (batch * 1000) / cpuMs,
    kernels,
  };
}

/**
 * Trains the seed CNN on random data with Adam on the stock wasm kernels and on ours, in the same
 * process (so both see the same machine load), and reports images/s and a per-kernel breakdown.
 */
export async function benchEngine(opts: BenchEngineOptions = {}): Promise<BenchEngineResult> {
  const batch = opts.batch ?? 128;
  const steps = opts.steps ?? 10;
  const profileSteps = opts.profileSteps ?? 2;
  const variants = opts.variants ?? ['stock', 'fast', 'fast-minimize'];
  const log = opts.log ?? ((line: string) => console.log(line));
  await initEngine({ engine: 'wasm', purpose: 'train', log: () => {} });
  const results: BenchVariantResult[] = [];
  for (const v of variants) {
    const r = await runVariant(v, batch, steps, profileSteps);
    results.push(r);
    log(
      `${v.padEnd(13)}  batch ${batch}: ${r.imagesPerSec.toFixed(0)} images/s (${r.msPerStep.toFixed(1)} ms/step), ` +
        `${r.cpuImagesPerSec.toFixed(0)} images per CPU-second`,
    );
    for (const k of r.kernels.slice(0, 12)) {
      log(
        `    ${k.name.padEnd(24)} ${k.ms.toFixed(1).padStart(7)} ms/step ${(k.pct * 100).toFixed(1).padStart(5)}%  x${k.calls}`,
      );
    }
  }
  useFast();
  const stock = results.find((r) => r.variant === 'stock');
  const fast = results.find((r) => r.variant === 'fast');
  const speedup = stock && fast ? fast.imagesPerSec / stock.imagesPerSec : undefined;
  if (speedup !== undefined && stock && fast) {
    log(
      `speedup: ${speedup.toFixed(2)}x wall, ${(fast.cpuImagesPerSec / stock.cpuImagesPerSec).toFixed(2)}x CPU time`,
    );
  }
  return { model: 'seed', batch, steps, results, speedup };
}
