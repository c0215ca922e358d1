import {
  BatchMatMul,
  backend_util,
  Conv2DBackpropFilter,
  type Conv2DBackpropFilterAttrs,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { offsetOf } from './simd.js';
import { conv2dExplicit, dispose, f32, stock, transpose, view, type WasmBackend } from './util.js';

/**
 * dW[a][b][i][o] = sum_{n,p,q} x[n][p*s + a - padTop][q*s + b - padLeft][i] * dy[n][p][q][o].
 *
 * That is a convolution over the batch axis: the "image" is x transposed to [Cin, H, W, N]
 * (Cin images with N channels), the "filter" is dy transposed to [oH, oW, N, Cout], applied
 * with dilation = stride and the forward paddings; the [Cin, fh, fw, Cout] result transposed
 * to [fh, fw, Cin, Cout] is dW. All the arithmetic runs in XNNPACK.
 */
export function conv2DBackpropFilterFast(args: {
  inputs: { x: TensorInfo; dy: TensorInfo };
  backend: WasmBackend;
  attrs: Conv2DBackpropFilterAttrs;
}): TensorInfo {
  const { inputs, backend, attrs } = args;
  const { x, dy } = inputs;
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs;
  const $dataFormat = backend_util.convertConv2DDataFormat(dataFormat);
  const info = backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    $dataFormat,
  );
  if (info.dataFormat !== 'channelsLast') {
    throw new Error(`wasm backend Conv2DBackpropFilter does not support dataFormat '${info.dataFormat}'`);
  }
  const { filterHeight: fh, filterWidth: fw, inHeight, inWidth } = info;
  const { outHeight, outWidth, strideHeight: sh, strideWidth: sw } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  // The last input row (column) the filter reaches; a negative bottom (right) pad means the rows
  // (columns) after it are never read, e.g. a stride-2 'valid' convolution on an even size.
  const lastRow = (outHeight - 1) * sh + fh - 1 - top;
  const lastCol = (outWidth - 1) * sw + fw - 1 - left;
  if (top < 0 || left < 0 || lastRow < 0 || lastCol < 0) return naiveBackpropFilter(backend, x, dy, info);
  if (lastRow < inHeight - 1 || lastCol < inWidth - 1) {
    // Crop them off: the same sums over a smaller image whose pads are all >= 0.
    const h = Math.min(inHeight, lastRow + 1);
    const w = Math.min(inWidth, lastCol + 1);
    const xc = crop(backend, x, h, w);
    const cropped = { ...info, inHeight: h, inWidth: w, inShape: [info.batchSize, h, w, info.inChannels] };
    const dw = backpropFilter(backend, xc, dy, cropped as backend_util.Conv2DInfo);
    dispose(backend, xc);
    return dw;
  }
  return backpropFilter(backend, x, dy, info);
}

/** x [N, H, W, C] -> its top-left [N, h, w, C], copied inside the wasm heap. */
function crop(backend: WasmBackend, x: TensorInfo, h: number, w: number): TensorInfo {
  const [n, H, W, c] = x.shape as [number, number, number, number];
  const out = backend.makeOutput([n, h, w, c], 'float32');
  // One view of the whole heap, taken after the last allocation.
  const heap = new Float32Array(backend.wasm.HEAPU8.buffer);
  const src = offsetOf(backend, x.dataId) / 4;
  const dst = offsetOf(backend, out.dataId) / 4;
  const run = w * c;
  for (let i = 0; i < n; i++) {
    for (let r = 0; r < h; r++) {
      const s = src + (i * H + r) * W * c;
      heap.copyWithin(dst + (i * h + r) * run, s, s + run);
    }
  }
  return out;
}

/** The fast formulations, for paddings that are all >= 0. */
function backpropFilter(
  backend: WasmBackend,
  x: TensorInfo,
  dy: TensorInfo,
  info: backend_util.Conv2DInfo,
): TensorInfo {
  const { filterHeight: fh, filterWidth: fw, inChannels: ci, outChannels: co, inHeight, inWidth } = info;
  const { outHeight, outWidth, strideHeight: sh, strideWidth: sw } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const bottom = fh - 1 - inHeight - top + (outHeight - 1) * sh + 1;
  const right = fw - 1 - inWidth - left + (outWidth - 1) * sw + 1;
  const fewRows = fh * fw * ci <= IM2COL_MAX_ROWS;
  const patchesFit = fh * fw * ci * info.batchSize * outHeight * outWidth <= PATCHES_MAX_FLOATS;
  if (fewRows && sw === 1 && patchesFit) return patchesBackpropFilter(backend, x, dy, info, 'image-major');
  if (fewRows) return im2colBackpropFilter(backend, x, dy, info);
  if (sh === 1 && sw === 1 && patchesFit && tuning.patches) {
    return patchesBackpropFilter(backend, x, dy, info, 'pixel-major');
  }
  if (sh === 1 && sw === 1) return swappedBackpropFilter(backend, x, dy, info);
  const xt = transpose(backend, x, [3, 1, 2, 0]);
  const dyt = transpose(backend, dy, [1, 2, 0, 3]);
  const out = conv2dExplicit(backend, xt, dyt, { top, bottom, left, right }, [1, 1], [sh, sw]);
  dispose(backend, xt, dyt);
  if (ci === 1) return view(out, [fh, fw, 1, co]);
  const dw = transpose(backend, out, [1, 2, 0, 3]);
  dispose(backend, out);
  return dw;
}

/**
 * Stride 1: the same batch-axis convolution with the roles swapped, which XNNPACK runs ~1.4x
 * faster here (fewer packed weights: x is smaller than dy when Cin < Cout; more output pixels):
 * the "image" is dy transposed to [Cout, oH, oW, N], the "filter" is x transposed to
 * [H, W, N, Cin], with paddings (fh-1-padTop) / (H-oH+padTop) (and the same for columns). Its
 * output [Cout, fh, fw, Cin] is dW flipped spatially: dW[a][b][i][o] = out[o][fh-1-a][fw-1-b][i].
 */
function swappedBackpropFilter(
  backend: WasmBackend,
  x: TensorInfo,
  dy: TensorInfo,
  info: backend_util.Conv2DInfo,
): TensorInfo {
  const {
    filterHeight: fh,
    filterWidth: fw,
    inChannels: ci,
    outChannels: co,
    inHeight: H,
    inWidth: W,
  } = info;
  const { outHeight: oH, outWidth: oW } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const pads = { top: fh - 1 - top, bottom: H - oH + top, left: fw - 1 - left, right: W - oW + left };
  const dyt = transpose(backend, dy, [3, 1, 2, 0]);
  const xt = transpose(backend, x, [1, 2, 0, 3]);
  const out = conv2dExplicit(backend, dyt, xt, pads);
  dispose(backend, dyt, xt);
  const dw = backend.makeOutput([fh, fw, ci, co], 'float32');
  const ov = f32(backend, out);
  const wv = f32(backend, dw);
  for (let o = 0; o < co; o++) {
    for (let a = 0; a < fh; a++) {
      for (let b = 0; b < fw; b++) {
        const src = ((o * fh + (fh - 1 - a)) * fw + (fw - 1 - b)) * ci;
        const dst = (a * fw + b) * ci * co + o;
        for (let i = 0; i < ci; i++) wv[dst + i * co] = ov[src + i];
      }
    }
  }
  dispose(backend, out);
  return dw;
}

/**
 * Few filter taps x input channels (e.g. the first layer, Cin = 1): the batch-axis convolution
 * has only fh*fw*Cin output pixels and XNNPACK runs it poorly (~1 GMAC/s). Instead build the
 * transposed patch matrix P^T [fh*fw*Cin, N*oH*oW] and compute dW = P^T . dy with the stock
 * (XNNPACK) matmul.
 */
const IM2COL_MAX_ROWS = 64;

/** Largest patch matrix (floats) built in one piece (128 MB); larger ones use the batch-axis convolution. */
const PATCHES_MAX_FLOATS = 32 * 1024 * 1024;

/**
 * Switches for A/B measurements and tests; the defaults are the measured winners. `patches: false` sends
 * stride-1 convolutions with many filter rows to the batch-axis convolution instead of the patch matrix
 * (both give the same bytes).
 */
export const tuning = { patches: true };

/**
 * dW = P^T . D with the transposed patch matrix built by block copies inside the wasm heap, and the
 * multiply in the stock (XNNPACK) matmul. Each row of P^T holds one filter tap (a, b) of one input
 * channel i over every output pixel; the column order fixes the order of each sum:
 * - `image-major` (n, p, q), D = dy: the order of the plain im2col formulation (any vertical stride);
 * - `pixel-major` (p, q, n), D = dy transposed to [oH, oW, N, Cout]: the order in which the batch-axis
 *   convolution (`swappedBackpropFilter`) adds the same products, so it gives the same bytes, 1.2-3x faster
 *   on the line reader's wide, short images (its packed filter was [H*W] taps of only N channels each).
 * Source rows are contiguous runs: x transposed to [Cin, N, H, W] (resp. [Cin, H, W, N]); Cin = 1 needs no
 * transpose in image-major order. Horizontal stride 1 only.
 */
function patchesBackpropFilter(
  backend: WasmBackend,
  x: TensorInfo,
  dy: TensorInfo,
  info: backend_util.Conv2DInfo,
  order: 'image-major' | 'pixel-major',
): TensorInfo {
  const { filterHeight: fh, filterWidth: fw, inChannels: ci } = info;
  const { inHeight: H, inWidth: W, outHeight: oH, outWidth: oW, strideHeight: sh, batchSize: N } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const M = N * oH * oW;
  const pixelMajor = order === 'pixel-major';
  // Source layout [Cin, outer, H, W, inner]: image-major has outer = N, inner = 1; pixel-major outer = 1, inner = N.
  const outer = pixelMajor ? 1 : N;
  const inner = pixelMajor ? N : 1;
  const xt = !pixelMajor && ci === 1 ? x : transpose(backend, x, pixelMajor ? [3, 1, 2, 0] : [3, 0, 1, 2]);
  const d = pixelMajor ? transpose(backend, dy, [1, 2, 0, 3]) : dy;
  const pt = backend.makeOutput([1, fh * fw * ci, M], 'float32');
  // One view of the whole heap, taken after the last allocation: copies run inside it.
  const heap = new Float32Array(backend.wasm.HEAPU8.buffer);
  const xBase = offsetOf(backend, xt.dataId) / 4;
  let o = offsetOf(backend, pt.dataId) / 4;
  const run = oW * inner;
  for (let a = 0; a < fh; a++) {
    for (let b = 0; b < fw; b++) {
      const c0 = b - left; // input column of output column 0
      const qLo = Math.min(oW, Math.max(0, -c0));
      const qHi = Math.max(qLo, Math.min(oW, W - c0));
      for (let i = 0; i < ci; i++) {
        for (let n = 0; n < outer; n++) {
          for (let p = 0; p < oH; p++, o += run) {
            const r = p * sh + a - top;
            if (r < 0 || r >= H) {
              heap.fill(0, o, o + run);
              continue;
            }
            const src = xBase + (((i * outer + n) * H + r) * W + c0) * inner;
            heap.fill(0, o, o + qLo * inner);
            heap.copyWithin(o + qLo * inner, src + qLo * inner, src + qHi * inner);
            heap.fill(0, o + qHi * inner, o + run);
          }
        }
      }
    }
  }
  if (xt !== x) dispose(backend, xt);
  const dw = multiplyPatches(backend, pt, d, info);
  if (d !== dy) dispose(backend, d);
  return dw;
}

/** dW [fh, fw, Cin, Cout] = P^T . D in the stock (XNNPACK) matmul, P^T [1, fh*fw*Cin, M] freed after. */
function multiplyPatches(
  backend: WasmBackend,
  pt: TensorInfo,
  d: TensorInfo,
  info: backend_util.Conv2DInfo,
): TensorInfo {
  const { filterHeight: fh, filterWidth: fw, inChannels: ci, outChannels: co } = info;
  const out = stock(
    BatchMatMul,
    backend,
  )({
    inputs: { a: pt, b: view(d, [1, pt.shape[2]!, co]) },
    backend,
    attrs: { transposeA: false, transposeB: false },
  });
  dispose(backend, pt);
  return view(out, [fh, fw, ci, co]);
}

/** The image-major patch matrix built element by element: for horizontal strides > 1 or huge matrices. */
function im2colBackpropFilter(
  backend: WasmBackend,
  x: TensorInfo,
  dy: TensorInfo,
  info: backend_util.Conv2DInfo,
): TensorInfo {
  const { filterHeight: fh, filterWidth: fw, inChannels: ci, inHeight: H, inWidth: W } = info;
  const { outHeight: oH, outWidth: oW, strideHeight: sh, strideWidth: sw, batchSize: N } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const rows = fh * fw * ci;
  const M = N * oH * oW;
  const pt = backend.makeOutput([1, rows, M], 'float32');
  const xv = f32(backend, x);
  const pv = f32(backend, pt);
  for (let a = 0; a < fh; a++) {
    for (let b = 0; b < fw; b++) {
      for (let i = 0; i < ci; i++) {
        let o = ((a * fw + b) * ci + i) * M;
        for (let n = 0; n < N; n++) {
          for (let p = 0; p < oH; p++) {
            const r = p * sh + a - top;
            if (r < 0 || r >= H) {
              pv.fill(0, o, o + oW);
              o += oW;
              continue;
            }
            const rowBase = (n * H + r) * W;
            for (let q = 0; q < oW; q++) {
              const c = q * sw + b - left;
              pv[o++] = c >= 0 && c < W ? xv[(rowBase + c) * ci + i] : 0;
            }
          }
        }
      }
    }
  }
  return multiplyPatches(backend, pt, dy, info);
}

/** Direct loops: the benchmark's stock baseline, and negative top/left paddings (which tfjs does not produce). */
function naiveBackpropFilter(
  backend: WasmBackend,
  x: TensorInfo,
  dy: TensorInfo,
  info: backend_util.Conv2DInfo,
): TensorInfo {
  const {
    filterHeight: fh,
    filterWidth: fw,
    inChannels: ci,
    outChannels: co,
    inHeight: H,
    inWidth: W,
  } = info;
  const { outHeight: oH, outWidth: oW, strideHeight: sh, strideWidth: sw, batchSize: N } = info;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const dw = backend.makeOutput([fh, fw, ci, co], 'float32');
  const xv = f32(backend, x);
  const dyv = f32(backend, dy);
  const dwv = f32(backend, dw);
  dwv.fill(0);
  for (let a = 0; a < fh; a++) {
    for (let b = 0; b < fw; b++) {
      for (let nn = 0; nn < N; nn++) {
        for (let p = 0; p < oH; p++) {
          const r = p * sh + a - top;
          if (r < 0 || r >= H) continue;
          for (let q = 0; q < oW; q++) {
            const c = q * sw + b - left;
            if (c < 0 || c >= W) continue;
            const xo = ((nn * H + r) * W + c) * ci;
            const yo = ((nn * oH + p) * oW + q) * co;
            for (let i = 0; i < ci; i++) {
              const xval = xv[xo + i];
              const wo = ((a * fw + b) * ci + i) * co;
              for (let o = 0; o < co; o++) dwv[wo + o] += xval * dyv[yo + o];
            }
          }
        }
      }
    }
  }
  return dw;
}

/**
 * The stock wasm backend has no Conv2DBackpropFilter at all; the benchmark's "stock" baseline
 * uses these plain loops (what a cpu-style kernel does) so a model can train at all.
 */
export const naiveConv2DBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: ((args: {
    inputs: { x: TensorInfo; dy: TensorInfo };
    backend: WasmBackend;
    attrs: Conv2DBackpropFilterAttrs;
  }) => {
    const { x, dy } = args.inputs;
    const { strides, pad, dataFormat, dimRoundingMode, filterShape } = args.attrs;
    const info = backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filterShape,
      strides,
      1,
      pad,
      dimRoundingMode,
      false,
      backend_util.convertConv2DDataFormat(dataFormat),
    );
    return naiveBackpropFilter(args.backend, x, dy, info);
  }) as unknown as KernelFunc,
};

export const conv2DBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2DBackpropFilterFast as unknown as KernelFunc,
};
