import {
  type KernelConfig,
  type KernelFunc,
  Mean,
  Sum,
  type SumAttrs,
  type TensorInfo,
  util,
} from '@tensorflow/tfjs-core';
import { offsetOf, simdKernels } from './simd.js';
import { f32, stock, type WasmBackend } from './util.js';

/**
 * Sum over leading axes (the bias gradient: dy [N,H,W,C] summed over N,H,W) as one streaming pass
 * (the stock kernel transposes the reduced axes innermost first). Other reductions: stock.
 */
type ReduceArgs = { inputs: { x: TensorInfo }; backend: WasmBackend; attrs: SumAttrs };

export function sumFast(args: ReduceArgs): TensorInfo {
  return leadingReduce(args, Sum, false);
}

/** Mean over leading axes (batch-norm moments and their gradients), as Sum then one scale. */
export function meanFast(args: ReduceArgs): TensorInfo {
  return leadingReduce(args, Mean, true);
}

function leadingReduce(args: ReduceArgs, kernel: string, mean: boolean): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x } = inputs;
  const rank = x.shape.length;
  const axes = util.parseAxisParam(attrs.axis, x.shape).sort((a, b) => a - b);
  const leading = axes.length > 0 && axes.length < rank && axes.every((a, i) => a === i);
  if (x.dtype !== 'float32' || !leading)
    return stock(kernel, backend)({ inputs, backend, attrs: attrs as never });
  const k = axes.length;
  let rows = 1;
  for (let i = 0; i < k; i++) rows *= x.shape[i];
  const inner = x.shape.slice(k);
  const cols = inner.reduce((a, b) => a * b, 1);
  const outShape = attrs.keepDims ? [...Array(k).fill(1), ...inner] : inner;
  const out = backend.makeOutput(outShape, 'float32');
  const simd = cols % 4 === 0 ? simdKernels(backend) : null;
  if (simd) {
    simd.sum_rows(offsetOf(backend, x.dataId), rows, cols, offsetOf(backend, out.dataId));
    if (mean) {
      const ov = f32(backend, out);
      for (let c = 0; c < cols; c++) ov[c] /= rows;
    }
    return out;
  }
  const xv = f32(backend, x);
  const ov = f32(backend, out);
  const acc = new Float64Array(cols);
  for (let r = 0, o = 0; r < rows; r++, o += cols) {
    for (let c = 0; c < cols; c++) acc[c] += xv[o + c];
  }
  if (mean) for (let c = 0; c < cols; c++) acc[c] /= rows;
  ov.set(acc);
  return out;
}

export const sumConfig: KernelConfig = {
  kernelName: Sum,
  backendName: 'wasm',
  kernelFunc: sumFast as unknown as KernelFunc,
};

export const meanConfig: KernelConfig = {
  kernelName: Mean,
  backendName: 'wasm',
  kernelFunc: meanFast as unknown as KernelFunc,
};
