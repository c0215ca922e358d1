import {
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
  Tile,
  type TileAttrs,
} from '@tensorflow/tfjs-core';
import { f32, stock, type WasmBackend } from './util.js';

/**
 * Tile that only repeats along leading axes where x has size 1 (e.g. [1,1,1,C] -> [N,H,W,C], as the
 * batch-norm gradient does) is the whole of x repeated: block copies instead of the stock
 * kernel's per-element index arithmetic. Everything else: stock.
 */
export function tileFast(args: {
  inputs: { x: TensorInfo };
  backend: WasmBackend;
  attrs: TileAttrs;
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x } = inputs;
  const { reps } = attrs;
  let last = -1;
  for (let i = 0; i < reps.length; i++) if (reps[i] !== 1) last = i;
  let ok = x.dtype === 'float32' && reps.length === x.shape.length && last >= 0;
  for (let i = 0; ok && i < last; i++) if (x.shape[i] !== 1) ok = false;
  if (!ok) return stock(Tile, backend)({ inputs, backend, attrs: attrs as never });
  const outShape = x.shape.map((d, i) => d * reps[i]);
  const out = backend.makeOutput(outShape, 'float32');
  const xv = f32(backend, x);
  const ov = f32(backend, out);
  const block = xv.length;
  if (block === 0) return out;
  ov.set(xv, 0);
  // Doubling copies: log2(repeats) memmoves.
  for (let filled = block; filled < ov.length; filled *= 2) {
    ov.copyWithin(filled, 0, Math.min(filled, ov.length - filled));
  }
  return out;
}

export const tileConfig: KernelConfig = {
  kernelName: Tile,
  backendName: 'wasm',
  kernelFunc: tileFast as unknown as KernelFunc,
};
