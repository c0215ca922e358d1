// Per-kernel timings at the seed model's shapes, stock wasm vs @hcr/engine, in CPU milliseconds
// (process.cpuUsage, min of 5: robust to a busy machine).
// Usage: node --conditions=source --import tsx packages/engine/bench/kernels.ts [--batch 128]
import { loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import { initEngine } from '../src/index.js';
import { naiveConv2DBackpropFilterConfig } from '../src/kernels/conv2d_backprop_filter.js';
import { stock, type WasmBackend } from '../src/kernels/util.js';

await initEngine({ engine: 'wasm', log: () => {} });
const load0 = loadavg()[0]!;
const be = tf.backend() as unknown as WasmBackend;
const args = process.argv.slice(2);
const bi = args.indexOf('--batch');
const N = bi >= 0 ? Number(args[bi + 1]) : 128;

type Info = { dataId: object; shape: number[]; dtype: string };
type Run = () => Info;
function cpuMin(f: Run, reps = 5): number {
  f();
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < reps; i++) {
    const t0 = process.cpuUsage();
    const o = f();
    const u = process.cpuUsage(t0);
    best = Math.min(best, (u.user + u.system) / 1000);
    be.disposeData(o.dataId);
  }
  return best;
}
const fast = (name: string) => tf.getKernel(name, 'wasm')?.kernelFunc as unknown as (a: object) => Info;
const old = (name: string) => stock(name, be) as unknown as (a: object) => Info;
const naiveBpf = naiveConv2DBackpropFilterConfig.kernelFunc as unknown as (a: object) => Info;

const x1 = tf.randomNormal([N, 28, 28, 1]);
const dy1 = tf.randomNormal([N, 28, 28, 32]);
const r1 = tf.relu(tf.randomNormal([N, 28, 28, 32]));
const p1 = tf.maxPool(r1 as tf.Tensor4D, 2, 2, 'valid');
const dp1 = tf.randomNormal(p1.shape);
const x2 = tf.randomNormal([N, 14, 14, 32]);
const dy2 = tf.randomNormal([N, 14, 14, 64]);
const w2 = tf.randomNormal([3, 3, 32, 64]);
const h = tf.randomNormal([N, 3136]);
const w3 = tf.randomNormal([3136, 128]);
const dy3 = tf.randomNormal([N, 128]);
const conv = { strides: [1, 1], pad: 'same', dataFormat: 'NHWC' };
// A stride-2 'valid' convolution on an even size: the last row and column are never read (a negative pad).
const xs = tf.randomNormal([N, 28, 28, 16]);
const dys = tf.randomNormal([N, 13, 13, 32]);
const s2valid = { strides: [2, 2], pad: 'valid', dataFormat: 'NHWC' };

const rows: Array<[string, (k: (a: object) => Info) => Info, (a: object) => Info, (a: object) => Info]> = [
  [
    'Conv2DBackpropInput conv2',
    (k) =>
      k({ inputs: { dy: dy2, filter: w2 }, backend: be, attrs: { ...conv, inputShape: [N, 14, 14, 32] } }),
    old('Conv2DBackpropInput'),
    fast('Conv2DBackpropInput'),
  ],
  [
    'Conv2DBackpropFilter conv1',
    (k) => k({ inputs: { x: x1, dy: dy1 }, backend: be, attrs: { ...conv, filterShape: [3, 3, 1, 32] } }),
    naiveBpf,
    fast('Conv2DBackpropFilter'),
  ],
  [
    'Conv2DBackpropFilter conv2',
    (k) => k({ inputs: { x: x2, dy: dy2 }, backend: be, attrs: { ...conv, filterShape: [3, 3, 32, 64] } }),
    naiveBpf,
    fast('Conv2DBackpropFilter'),
  ],
  [
    'Conv2DBackpropFilter s2 valid 28',
    (k) => k({ inputs: { x: xs, dy: dys }, backend: be, attrs: { ...s2valid, filterShape: [3, 3, 16, 32] } }),
    naiveBpf,
    fast('Conv2DBackpropFilter'),
  ],
  [
    'BatchMatMul dy.W^T (dense1 dx)',
    (k) => k({ inputs: { a: dy3, b: w3 }, backend: be, attrs: { transposeA: false, transposeB: true } }),
    old('BatchMatMul'),
    fast('BatchMatMul'),
  ],
  [
    'BatchMatMul x^T.dy (dense1 dW)',
    (k) => k({ inputs: { a: h, b: dy3 }, backend: be, attrs: { transposeA: true, transposeB: false } }),
    old('BatchMatMul'),
    fast('BatchMatMul'),
  ],
  [
    'MaxPoolGrad pool1',
    (k) =>
      k({
        inputs: { dy: dp1, input: r1, output: p1 },
        backend: be,
        attrs: { filterSize: 2, strides: 2, pad: 'valid' },
      }),
    old('MaxPoolGrad'),
    fast('MaxPoolGrad'),
  ],
  [
    'Sum bias grad conv1',
    (k) => k({ inputs: { x: dy1 }, backend: be, attrs: { axis: [0, 1, 2], keepDims: false } }),
    old('Sum'),
    fast('Sum'),
  ],
];
// --only <text>: just the rows whose name contains it.
const oi = args.indexOf('--only');
const only = oi >= 0 ? (args[oi + 1] ?? '') : '';
// a text no row holds (--only maxpool: the row says MaxPoolGrad) printed the header alone
if (!rows.some(([name]) => name.includes(only))) {
  process.stderr.write(
    `--only '${only}' is in no row's name: ${rows.map(([name]) => `'${name}'`).join(', ')}.\n`,
  );
  process.exit(1);
}
console.log(`batch ${N}; CPU ms, min of 5 (stock Conv2DBackpropFilter: none in wasm, plain loops shown)`);
console.log(`${'kernel'.padEnd(32)} ${'stock'.padStart(9)} ${'fast'.padStart(9)} ${'x'.padStart(7)}`);
for (const [name, call, s, f] of rows) {
  if (!name.includes(only)) continue;
  const a = cpuMin(() => call(s), name.startsWith('Conv2DBackpropFilter') ? 2 : 5);
  const b = cpuMin(() => call(f));
  console.log(
    `${name.padEnd(32)} ${a.toFixed(2).padStart(9)} ${b.toFixed(2).padStart(9)} ${(a / b).toFixed(1).padStart(7)}`,
  );
}
console.log(`load average ${load0.toFixed(2)} -> ${loadavg()[0]!.toFixed(2)}`);
