import {
  _FusedMatMul,
  type _FusedMatMulAttrs,
  BatchMatMul,
  type BatchMatMulAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { dispose, stock, transpose, type WasmBackend } from './util.js';

/** Swap the last two axes (a real copy, via the stock wasm Transpose). */
function swapLast2(backend: WasmBackend, t: TensorInfo): TensorInfo {
  const r = t.shape.length;
  const perm = [...Array(r).keys()];
  perm[r - 2] = r - 1;
  perm[r - 1] = r - 2;
  return transpose(backend, t, perm);
}

/**
 * The stock wasm BatchMatMul hands the non-transposed case to XNNPACK (~15 GMAC/s here) but runs
 * transposeA / transposeB (every matmul of a backward pass) through a naive loop (~1 GMAC/s).
 * We materialize the transposes (cheap, O(size)) and always call the fast, non-transposed path.
 */
export function batchMatMulFast(args: {
  inputs: { a: TensorInfo; b: TensorInfo };
  backend: WasmBackend;
  attrs: BatchMatMulAttrs;
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { transposeA, transposeB } = attrs;
  const run = stock(BatchMatMul, backend);
  if (!transposeA && !transposeB) return run({ inputs, backend, attrs: attrs as never });
  if (inputs.a.dtype !== 'float32' || inputs.b.dtype !== 'float32') {
    return run({ inputs, backend, attrs: attrs as never });
  }
  const a = transposeA ? swapLast2(backend, inputs.a) : inputs.a;
  const b = transposeB ? swapLast2(backend, inputs.b) : inputs.b;
  const out = run({ inputs: { a, b }, backend, attrs: { transposeA: false, transposeB: false } });
  if (transposeA) dispose(backend, a);
  if (transposeB) dispose(backend, b);
  return out;
}

export function fusedMatMulFast(args: {
  inputs: { a: TensorInfo; b: TensorInfo; bias?: TensorInfo; preluActivationWeights?: TensorInfo };
  backend: WasmBackend;
  attrs: _FusedMatMulAttrs;
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { transposeA, transposeB } = attrs;
  const run = stock(_FusedMatMul, backend);
  if (!transposeA && !transposeB) return run({ inputs: inputs as never, backend, attrs: attrs as never });
  const a = transposeA ? swapLast2(backend, inputs.a) : inputs.a;
  const b = transposeB ? swapLast2(backend, inputs.b) : inputs.b;
  const out = run({
    inputs: { ...inputs, a, b } as never,
    backend,
    attrs: { ...attrs, transposeA: false, transposeB: false } as never,
  });
  if (transposeA) dispose(backend, a);
  if (transposeB) dispose(backend, b);
  return out;
}

export const batchMatMulConfig: KernelConfig = {
  kernelName: BatchMatMul,
  backendName: 'wasm',
  kernelFunc: batchMatMulFast as unknown as KernelFunc,
};

export const fusedMatMulConfig: KernelConfig = {
  kernelName: _FusedMatMul,
  backendName: 'wasm',
  kernelFunc: fusedMatMulFast as unknown as KernelFunc,
};
