import {
  backend_util,
  type KernelConfig,
  type KernelFunc,
  MaxPoolGrad,
  type MaxPoolGradAttrs,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { f32, type WasmBackend } from './util.js';

/**
 * dx = scatter-add of dy to the first maximum of each pooling window (row-major window order,
 * strictly-greater comparison: the same tie rule as the cpu backend, which matters after ReLU
 * where whole windows are 0). One pass over the input in channel-contiguous order, tracking
 * the running max per channel; handles any window, stride, padding and dilation.
 */
export function maxPoolGradFast(args: {
  inputs: { dy: TensorInfo; input: TensorInfo; output: TensorInfo };
  backend: WasmBackend;
  attrs: MaxPoolGradAttrs;
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { dy, input } = inputs;
  const { filterSize, strides, pad, dimRoundingMode } = attrs;
  const info = backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    filterSize,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const { batchSize: N, inHeight: H, inWidth: W, inChannels: C, outHeight: oH, outWidth: oW } = info;
  const { strideHeight: sh, strideWidth: sw, dilationHeight: dh, dilationWidth: dw } = info;
  const efh = info.effectiveFilterHeight;
  const efw = info.effectiveFilterWidth;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const dx = backend.makeOutput(input.shape, 'float32');
  const xv = f32(backend, input);
  const dyv = f32(backend, dy);
  const dxv = f32(backend, dx);
  dxv.fill(0);
  const best = new Float32Array(C);
  const bidx = new Int32Array(C);
  for (let n = 0; n < N; n++) {
    for (let p = 0; p < oH; p++) {
      const r0 = p * sh - top;
      const rMin = Math.max(0, r0);
      const rMax = Math.min(H, r0 + efh);
      for (let q = 0; q < oW; q++) {
        const c0 = q * sw - left;
        const cMin = Math.max(0, c0);
        const cMax = Math.min(W, c0 + efw);
        best.fill(Number.NEGATIVE_INFINITY);
        bidx.fill(-1);
        // Start on the dilation grid, as the cpu backend does (r from rMin in steps of dh).
        for (let r = rMin; r < rMax; r += dh) {
          for (let c = cMin; c < cMax; c += dw) {
            const base = ((n * H + r) * W + c) * C;
            for (let d = 0; d < C; d++) {
              const v = xv[base + d];
              if (v > best[d]) {
                best[d] = v;
                bidx[d] = base + d;
              }
            }
          }
        }
        const ob = ((n * oH + p) * oW + q) * C;
        for (let d = 0; d < C; d++) {
          const i = bidx[d];
          if (i >= 0) dxv[i] += dyv[ob + d];
        }
      }
    }
  }
  return dx;
}

export const maxPoolGradConfig: KernelConfig = {
  kernelName: MaxPoolGrad,
  backendName: 'wasm',
  kernelFunc: maxPoolGradFast as unknown as KernelFunc,
};
