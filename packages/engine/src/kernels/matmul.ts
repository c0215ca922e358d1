import {
  _FusedMatMul,
  type _FusedMatMulAttrs,
  BatchMatMul,
  type BatchMatMulAttrs,
  broadcast_util,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { dispose, stock, transpose, view, type WasmBackend } from './util.js';

/** Swap the last two axes (a real copy, via the stock wasm Transpose). */
function swapLast2(backend: WasmBackend, t: TensorInfo): TensorInfo {
  const r = t.shape.length;
  const perm = [...Array(r).keys()];
  perm[r - 2] = r - 1;
  perm[r - 1] = r - 2;
  return transpose(backend, t, perm);
}

/**
 * The shape checks of the stock kernel, on the caller's shapes and flags (ours pass transposed copies with
 * both flags false, so the stock message would name shapes and flags the caller never used).
 */
function checkShapes(a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean): void {
  const ar = a.shape.length;
  const br = b.shape.length;
  const innerA = transposeA ? a.shape[ar - 2] : a.shape[ar - 1];
  const innerB = transposeB ? b.shape[br - 1] : b.shape[br - 2];
  if (innerA !== innerB) {
    throw new Error(
      `Error in matMul: inner shapes (${innerA}) and (${innerB}) of Tensors with shapes ${a.shape} and ` +
        `${b.shape} and transposeA=${transposeA} and transposeB=${transposeB} must match.`,
    );
  }
  broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
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
  checkShapes(inputs.a, inputs.b, transposeA, transposeB);
  const ar = inputs.a.shape.length;
  const br = inputs.b.shape.length;
  const M = inputs.a.shape[transposeA ? ar - 1 : ar - 2];
  const N = inputs.b.shape[transposeB ? br - 2 : br - 1];
  const batchA = inputs.a.shape.slice(0, -2).reduce((p, q) => p * q, 1);
  const batchB = inputs.b.shape.slice(0, -2).reduce((p, q) => p * q, 1);
  if (transposeB && batchA === 1 && batchB === 1 && N > 2 * M) {
    // XNNPACK packs the right operand afresh for every new tensor (every training step), at a
    // cost comparable to the multiply itself. C = A.B^T with a wide B (dx = dy.W^T of a Dense
    // layer): compute C^T = B.A^T instead, which packs the small A^T rather than the big B.
    const K = inputs.b.shape[br - 1];
    const at = transposeA ? view(inputs.a, [1, K, M]) : swapLast2(backend, view(inputs.a, [1, M, K]));
    const ct = run({
      inputs: { a: view(inputs.b, [1, N, K]), b: at },
      backend,
      attrs: { transposeA: false, transposeB: false },
    });
    if (!transposeA) dispose(backend, at);
    const c = transpose(backend, ct, [0, 2, 1]);
    dispose(backend, ct);
    const outShape = [...(ar >= br ? inputs.a.shape : inputs.b.shape).slice(0, -2), M, N];
    return view(c, outShape);
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
  checkShapes(inputs.a, inputs.b, transposeA, transposeB);
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
