import {
  engine,
  type GradConfig,
  type KernelConfig,
  type KernelFunc,
  type NamedAttrMap,
  type Tensor,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { offsetOf, simdKernels } from './simd.js';
import { dispose, f32, type WasmBackend } from './util.js';

/**
 * Batch normalisation in training mode as two kernels (forward, gradient), each two streaming passes
 * over the activations. tfjs composes the same maths from moments (Mean, Sub, Square, Mean), FusedBatchNorm
 * and, backwards, about fifteen broadcasting element-wise ops: measured on the line reader, that was 45% of
 * a training step's kernel time, more than the convolutions of the layers it normalises.
 *
 * Channels are the last axis; every other axis is reduced (the layout of a Keras BatchNormalization over
 * NHWC or [batch, features]). The variance is the biased one, as tfjs's. The SIMD passes (C % 4 == 0)
 * accumulate in float32 in row order, as tfjs's own Mean does, with the moments shifted by the first row
 * so the variance is not the difference of two large sums; the JavaScript path accumulates in float64.
 */
export const BatchNormTraining = 'HcrBatchNormTraining';
export const BatchNormTrainingGrad = 'HcrBatchNormTrainingGrad';

export interface BatchNormTrainingAttrs {
  varianceEpsilon: number;
}

type Args<I extends string> = {
  inputs: Record<I, TensorInfo>;
  backend: WasmBackend;
  attrs: NamedAttrMap;
};

function rowsAndChannels(x: TensorInfo): [number, number] {
  const c = x.shape[x.shape.length - 1] ?? 1;
  let size = 1;
  for (const d of x.shape) size *= d;
  return [c === 0 ? 0 : size / c, c];
}

/** Per-channel sums of a and of a*b over the rows of [rows, C] arrays (b omitted: a*a). */
function channelSums(a: Float32Array, b: Float32Array | null, rows: number, C: number) {
  const s = new Float64Array(C);
  const p = new Float64Array(C);
  let i = 0;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < C; c++, i++) {
      const v = a[i]!;
      s[c] += v;
      p[c] += v * (b ? b[i]! : v);
    }
  }
  return { s, p };
}

/** out[i] = scale[c] * x[i] + shift[c] (+ k[c] * y[i] when y is given), c = i % C. */
function affine(
  out: Float32Array,
  x: Float32Array,
  scale: Float64Array,
  shift: Float64Array,
  rows: number,
  C: number,
  y?: Float32Array,
  k?: Float64Array,
): void {
  let i = 0;
  if (y && k) {
    for (let r = 0; r < rows; r++)
      for (let c = 0; c < C; c++, i++) out[i] = scale[c]! * x[i]! + k[c]! * y[i]! + shift[c]!;
  } else {
    for (let r = 0; r < rows; r++) for (let c = 0; c < C; c++, i++) out[i] = scale[c]! * x[i]! + shift[c]!;
  }
}

/** What both kernels start with: sizes, an output shaped like x and two per-channel outputs, the SIMD module. */
function begin(x: TensorInfo, backend: WasmBackend, attrs: NamedAttrMap) {
  const eps = (attrs as unknown as BatchNormTrainingAttrs).varianceEpsilon;
  const [rows, C] = rowsAndChannels(x);
  const outputs = [
    backend.makeOutput(x.shape, 'float32'),
    backend.makeOutput([C], 'float32'),
    backend.makeOutput([C], 'float32'),
  ] as const;
  const simd = C % 4 === 0 && rows > 0 ? simdKernels(backend) : null;
  return { eps, rows, C, M: Math.max(1, rows), outputs, simd };
}

/** inputs x, scale, offset -> outputs y, mean, variance (biased). */
function batchNormTrainingKernel({ inputs, backend, attrs }: Args<'x' | 'scale' | 'offset'>): TensorInfo[] {
  const { x, scale, offset } = inputs;
  const { eps, rows, C, M, outputs, simd } = begin(x, backend, attrs);
  const [y, meanOut, varOut] = outputs;
  // Per channel: y = a x + b with a = gamma / sqrt(var + eps), b = beta - mean a.
  const a = new Float64Array(C);
  const b = new Float64Array(C);
  const setStats = (mean: Float64Array, variance: Float64Array) => {
    const gamma = f32(backend, scale);
    const beta = f32(backend, offset);
    const mv = f32(backend, meanOut);
    const vv = f32(backend, varOut);
    for (let c = 0; c < C; c++) {
      mv[c] = mean[c]!;
      vv[c] = variance[c]!;
      a[c] = gamma[c]! / Math.sqrt(variance[c]! + eps);
      b[c] = beta[c]! - mean[c]! * a[c]!;
    }
  };
  if (simd) {
    // Scratch in the wasm heap: shift k (the first row), sums s and q, then a and b.
    const scratch = backend.makeOutput([4 * C], 'float32');
    const base = offsetOf(backend, scratch.dataId);
    const [kOff, sOff, qOff] = [base, base + 4 * C, base + 8 * C];
    const sv = f32(backend, scratch);
    sv.set(f32(backend, x).subarray(0, C), 0);
    simd.bn_moments(offsetOf(backend, x.dataId), rows, C, kOff, sOff, qOff);
    const mean = new Float64Array(C);
    const variance = new Float64Array(C);
    for (let c = 0; c < C; c++) {
      const d = sv[C + c]! / M;
      mean[c] = sv[c]! + d;
      variance[c] = Math.max(0, sv[2 * C + c]! / M - d * d);
    }
    setStats(mean, variance);
    sv.set(a, 0); // k, s and q are read: a and b take their place
    sv.set(b, C);
    simd.bn_affine(
      offsetOf(backend, x.dataId),
      0,
      rows,
      C,
      base,
      base + 4 * C,
      0,
      offsetOf(backend, y.dataId),
    );
    dispose(backend, scratch);
  } else {
    const { s, p } = channelSums(f32(backend, x), null, rows, C);
    const mean = s.map((v) => v / M);
    setStats(
      mean,
      p.map((v, c) => Math.max(0, v / M - mean[c]! * mean[c]!)),
    );
    affine(f32(backend, y), f32(backend, x), a, b, rows, C);
  }
  return [y, meanOut, varOut];
}

/**
 * inputs dy, x, mean, variance, scale, dMean, dVariance -> dx, dScale, dOffset. dMean and dVariance are
 * the gradients reaching the mean and variance outputs (zeros when, as in a Keras layer, they only feed
 * the moving averages), so the op stays correct wherever its statistics are used.
 */
function batchNormTrainingGradKernel({
  inputs,
  backend,
  attrs,
}: Args<'dy' | 'x' | 'mean' | 'variance' | 'scale' | 'dMean' | 'dVariance'>): TensorInfo[] {
  const { dy, x, mean, variance, scale, dMean, dVariance } = inputs;
  const { eps, rows, C, M, outputs, simd } = begin(x, backend, attrs);
  const [dx, dScale, dOffset] = outputs;
  const scratch = simd ? backend.makeOutput([5 * C], 'float32') : undefined;
  // s = sum(dy), p = sum(dy (x - mean)) per channel; sum(dy xhat) = rstd p.
  const mv = f32(backend, mean);
  let s: ArrayLike<number>;
  let p: ArrayLike<number>;
  if (simd && scratch) {
    const base = offsetOf(backend, scratch.dataId);
    simd.bn_grad_sums(
      offsetOf(backend, dy.dataId),
      offsetOf(backend, x.dataId),
      rows,
      C,
      offsetOf(backend, mean.dataId),
      base,
      base + 4 * C,
    );
    const sv = f32(backend, scratch);
    s = Float64Array.from(sv.subarray(0, C));
    p = Float64Array.from(sv.subarray(C, 2 * C));
  } else {
    const sums = channelSums(f32(backend, dy), f32(backend, x), rows, C);
    s = sums.s;
    p = sums.p.map((v, c) => v - mv[c]! * sums.s[c]!);
  }
  const vv = f32(backend, variance);
  const gamma = f32(backend, scale);
  const dmv = f32(backend, dMean);
  const dvv = f32(backend, dVariance);
  const dsv = f32(backend, dScale);
  const dov = f32(backend, dOffset);
  const A = new Float64Array(C);
  const B = new Float64Array(C);
  const D = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    const m = mv[c]!;
    const r = 1 / Math.sqrt(vv[c]! + eps);
    const g = gamma[c]!;
    const sumDyXhat = r * p[c]!;
    dsv[c] = sumDyXhat;
    dov[c] = s[c]!;
    // dx = g r (dy - sum(dy)/M - xhat sum(dy xhat)/M) + dMean/M + 2 dVar (x - m)/M, written A dy + B x + D.
    A[c] = g * r;
    B[c] = (-g * r * r * sumDyXhat + 2 * dvv[c]!) / M;
    D[c] = (-g * r * s[c]!) / M - B[c]! * m + dmv[c]! / M;
  }
  if (simd && scratch) {
    const base = offsetOf(backend, scratch.dataId);
    const sv = f32(backend, scratch);
    sv.set(B, 2 * C);
    sv.set(D, 3 * C);
    sv.set(A, 4 * C);
    simd.bn_affine(
      offsetOf(backend, x.dataId),
      offsetOf(backend, dy.dataId),
      rows,
      C,
      base + 8 * C,
      base + 12 * C,
      base + 16 * C,
      offsetOf(backend, dx.dataId),
    );
    dispose(backend, scratch);
  } else {
    affine(f32(backend, dx), f32(backend, x), B, D, rows, C, f32(backend, dy), A);
  }
  return [dx, dScale, dOffset];
}

export const batchNormTrainingConfig: KernelConfig = {
  kernelName: BatchNormTraining,
  backendName: 'wasm',
  kernelFunc: batchNormTrainingKernel as unknown as KernelFunc,
};

export const batchNormTrainingGradConfig: KernelConfig = {
  kernelName: BatchNormTrainingGrad,
  backendName: 'wasm',
  kernelFunc: batchNormTrainingGradKernel as unknown as KernelFunc,
};

export const batchNormTrainingGradient: GradConfig = {
  kernelName: BatchNormTraining,
  inputsToSave: ['x', 'scale'],
  outputsToSave: [false, true, true],
  gradFunc: (dys, saved, attrs) => {
    const [dy, dMean, dVariance] = dys as Tensor[];
    const [x, scale, mean, variance] = saved;
    // One kernel gives all three gradients; computed here (in the gradient's scope), not in each closure,
    // whose own tidy would dispose the two it does not return.
    const [dx, dScale, dOffset] = engine().runKernel(
      BatchNormTrainingGrad,
      {
        dy: dy!,
        x: x!,
        mean: mean!,
        variance: variance!,
        scale: scale!,
        dMean: dMean!,
        dVariance: dVariance!,
      },
      attrs,
    ) as Tensor[];
    return { x: () => dx!, scale: () => dScale!, offset: () => dOffset! };
  },
};
