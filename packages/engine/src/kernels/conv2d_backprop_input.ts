import {
  backend_util,
  Conv2DBackpropInput,
  type Conv2DBackpropInputAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { conv2dExplicit, dispose, f32, stock, type WasmBackend } from './util.js';

/**
 * dx = conv2d(dilate(dy, strides), flip(filter) with in/out channels swapped), on XNNPACK.
 *
 * Forward: y[o] = sum_k x[o*s + k - padTop] * f[k]. Hence dx[i] = sum_k dy'[i + padTop - k] * f[k]
 * where dy' is dy with (s-1) zeros inserted between rows/columns: a stride-1 correlation of dy'
 * with the spatially flipped filter, padded by (fh-1-padTop) on top and whatever makes the
 * output inH tall at the bottom.
 */
export function conv2DBackpropInputFast(args: {
  inputs: { dy: TensorInfo; filter: TensorInfo };
  backend: WasmBackend;
  attrs: Conv2DBackpropInputAttrs;
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { dy, filter } = inputs;
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs;
  const $dataFormat = backend_util.convertConv2DDataFormat(dataFormat);
  const info = backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    $dataFormat,
  );
  const {
    batchSize,
    filterHeight: fh,
    filterWidth: fw,
    inChannels: ci,
    outChannels: co,
    inHeight,
    inWidth,
    outHeight,
    outWidth,
    strideHeight: sh,
    strideWidth: sw,
  } = info;
  const padTop = fh - 1 - info.padInfo.top;
  const padLeft = fw - 1 - info.padInfo.left;
  const dilH = (outHeight - 1) * sh + 1;
  const dilW = (outWidth - 1) * sw + 1;
  const padBottom = inHeight - dilH - padTop + fh - 1;
  const padRight = inWidth - dilW - padLeft + fw - 1;
  // conv2dTranspose takes any outputShape; when dy is not the shape the forward convolution of that
  // output would give, the dilated-convolution layout below does not apply (the stock kernel reads dy
  // by its own shape).
  const dyMatches =
    dy.shape.length === 4 &&
    dy.shape[0] === batchSize &&
    dy.shape[1] === outHeight &&
    dy.shape[2] === outWidth &&
    dy.shape[3] === co;
  if (
    !dyMatches ||
    info.dataFormat !== 'channelsLast' ||
    padTop < 0 ||
    padLeft < 0 ||
    padBottom < 0 ||
    padRight < 0 ||
    dy.dtype !== 'float32'
  ) {
    return stock(Conv2DBackpropInput, backend)({ inputs, backend, attrs: attrs as never });
  }

  // Flipped, in/out-swapped filter: g[a][b][o][i] = f[fh-1-a][fw-1-b][i][o].
  const g = backend.makeOutput([fh, fw, co, ci], 'float32');
  {
    const fv = f32(backend, filter);
    const gv = f32(backend, g);
    let bad = 0; // stays 0 unless some weight is NaN or +-Infinity (v - v is NaN for those)
    for (let a = 0; a < fh; a++) {
      for (let b = 0; b < fw; b++) {
        const src = ((fh - 1 - a) * fw + (fw - 1 - b)) * ci * co;
        const dst = (a * fw + b) * co * ci;
        for (let i = 0; i < ci; i++) {
          const srow = src + i * co;
          for (let o = 0; o < co; o++) {
            const v = fv[srow + o];
            bad += v - v;
            gv[dst + o * ci + i] = v;
          }
        }
      }
    }
    if (bad !== 0) {
      // A NaN or infinite weight times the zeros this formulation adds (padding, dilation) is NaN where
      // tfjs (which skips those positions) keeps dx finite: such filters take the stock kernel.
      dispose(backend, g);
      return stock(Conv2DBackpropInput, backend)({ inputs, backend, attrs: attrs as never });
    }
  }
  let dyd: TensorInfo = dy;
  if (sh > 1 || sw > 1) {
    dyd = backend.makeOutput([batchSize, dilH, dilW, co], 'float32');
    const sv = f32(backend, dy);
    const dv = f32(backend, dyd);
    dv.fill(0);
    for (let n = 0; n < batchSize; n++) {
      for (let r = 0; r < outHeight; r++) {
        for (let c = 0; c < outWidth; c++) {
          const s0 = ((n * outHeight + r) * outWidth + c) * co;
          const d0 = ((n * dilH + r * sh) * dilW + c * sw) * co;
          for (let o = 0; o < co; o++) dv[d0 + o] = sv[s0 + o];
        }
      }
    }
  }
  const dx = conv2dExplicit(backend, dyd, g, {
    top: padTop,
    bottom: padBottom,
    left: padLeft,
    right: padRight,
  });
  dispose(backend, g);
  if (dyd !== dy) dispose(backend, dyd);
  return dx;
}

export const conv2DBackpropInputConfig: KernelConfig = {
  kernelName: Conv2DBackpropInput,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropInputFast as unknown as KernelFunc,
};
