import {
  backend_util,
  type KernelConfig,
  type KernelFunc,
  MaxPoolGrad,
  type MaxPoolGradAttrs,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { offsetOf, simdKernels } from './simd.js';
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
  if (
    efh === 2 &&
    efw === 2 &&
    sh === 2 &&
    sw === 2 &&
    top === 0 &&
    left === 0 &&
    2 * oH <= H &&
    2 * oW <= W
  ) {
    const simd = C % 4 === 0 ? simdKernels(backend) : null;
    if (simd) {
      if (2 * oH < H || 2 * oW < W) dxv.fill(0);
      simd.maxpool_grad_2x2(
        offsetOf(backend, input.dataId),
        offsetOf(backend, dy.dataId),
        offsetOf(backend, dx.dataId),
        N,
        H,
        W,
        C,
        oH,
        oW,
      );
    } else {
      pool2x2Grad(xv, dyv, dxv, N, H, W, C, oH, oW);
    }
    return dx;
  }
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

/** The common 2x2 / stride 2 case: every window fully inside, no overlap; each dx written once. */
function pool2x2Grad(
  xv: Float32Array,
  dyv: Float32Array,
  dxv: Float32Array,
  N: number,
  H: number,
  W: number,
  C: number,
  oH: number,
  oW: number,
): void {
  if (2 * oH < H || 2 * oW < W) dxv.fill(0);
  const rowStride = W * C;
  for (let n = 0; n < N; n++) {
    for (let p = 0; p < oH; p++) {
      for (let q = 0; q < oW; q++) {
        const i00 = ((n * H + 2 * p) * W + 2 * q) * C;
        const i01 = i00 + C;
        const i10 = i00 + rowStride;
        const i11 = i10 + C;
        const o = ((n * oH + p) * oW + q) * C;
        for (let d = 0; d < C; d++) {
          const g = dyv[o + d];
          const v00 = xv[i00 + d];
          const v01 = xv[i01 + d];
          const v10 = xv[i10 + d];
          const v11 = xv[i11 + d];
          // First maximum in row-major order wins (strictly greater replaces), starting from -Infinity as
          // the general path and the cpu backend do: NaN never wins; a window of -Infinity and NaN gets none.
          let m = Number.NEGATIVE_INFINITY;
          let k = -1;
          if (v00 > m) {
            m = v00;
            k = 0;
          }
          if (v01 > m) {
            m = v01;
            k = 1;
          }
          if (v10 > m) {
            m = v10;
            k = 2;
          }
          if (v11 > m) k = 3;
          dxv[i00 + d] = k === 0 ? g : 0;
          dxv[i01 + d] = k === 1 ? g : 0;
          dxv[i10 + d] = k === 2 ? g : 0;
          dxv[i11 + d] = k === 3 ? g : 0;
        }
      }
    }
  }
}

export const maxPoolGradConfig: KernelConfig = {
  kernelName: MaxPoolGrad,
  backendName: 'wasm',
  kernelFunc: maxPoolGradFast as unknown as KernelFunc,
};
