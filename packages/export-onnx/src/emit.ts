/** Building blocks shared by the LayersModel and GraphModel converters. */
import { attr, type OnnxGraphBuilder, type Value } from './graph-builder.js';
import { channelsFirstPerm, identityPerm, onnxAxis, type Perm, samePerm, transposeArray } from './layout.js';

/** Activation names as tfjs-layers serialises them (`activation: 'relu'`). */
export const SUPPORTED_ACTIVATIONS = [
  'linear',
  'relu',
  'relu6',
  'elu',
  'selu',
  'sigmoid',
  'hardSigmoid',
  'tanh',
  'softmax',
  'logSoftmax',
  'softplus',
  'softsign',
  'swish',
  'mish',
  'gelu',
  'gelu_new',
] as const;

// TensorFlow's SELU constants (tf.nn.selu), more digits than ONNX's defaults.
const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;

/** Apply a tfjs activation by name; `axis` (TF axis) is used by softmax/logSoftmax. */
export function emitActivation(g: OnnxGraphBuilder, v: Value, name: string, axis = -1): Value {
  const x = v.name;
  const out = (n: string): Value => ({ ...v, name: n });
  switch (name) {
    case 'linear':
      return v;
    case 'relu':
      return out(g.op('Relu', [x]));
    case 'relu6':
      return out(g.clip(x, 0, 6));
    case 'elu':
      return out(g.op('Elu', [x], { alpha: attr.float(1) }));
    case 'selu':
      return out(g.op('Selu', [x], { alpha: attr.float(SELU_ALPHA), gamma: attr.float(SELU_SCALE) }));
    case 'sigmoid':
      return out(g.op('Sigmoid', [x]));
    case 'hardSigmoid':
      return out(g.op('HardSigmoid', [x], { alpha: attr.float(0.2), beta: attr.float(0.5) }));
    case 'tanh':
      return out(g.op('Tanh', [x]));
    case 'softmax':
      return out(g.op('Softmax', [x], { axis: attr.int(onnxAxis(v.perm, axis)) }));
    case 'logSoftmax':
      return out(g.op('LogSoftmax', [x], { axis: attr.int(onnxAxis(v.perm, axis)) }));
    case 'softplus':
      return out(g.op('Softplus', [x]));
    case 'softsign':
      return out(g.op('Softsign', [x]));
    case 'swish':
      return out(g.op('Mul', [x, g.op('Sigmoid', [x])]));
    case 'mish':
      return out(g.op('Mul', [x, g.op('Tanh', [g.op('Softplus', [x])])]));
    case 'gelu': {
      // x * 0.5 * (1 + erf(x / sqrt 2)); the Gelu op only exists from opset 20
      const erf = g.op('Erf', [g.mulScalar(x, Math.SQRT1_2)]);
      return out(g.op('Mul', [x, g.mulScalar(g.addScalar(erf, 1), 0.5)]));
    }
    case 'gelu_new': {
      // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
      const x3 = g.op('Mul', [x, g.op('Mul', [x, x])]);
      const inner = g.mulScalar(g.op('Add', [x, g.mulScalar(x3, 0.044715)]), Math.sqrt(2 / Math.PI));
      return out(g.op('Mul', [g.mulScalar(x, 0.5), g.addScalar(g.op('Tanh', [inner]), 1)]));
    }
    default:
      throw new Error(`unsupported activation '${name}'`);
  }
}

/** TensorFlow 'SAME' padding for one spatial dim: [before, after] (extra pixel goes after). */
export function samePads(inSize: number, kernel: number, stride: number, dilation: number): [number, number] {
  const effK = (kernel - 1) * dilation + 1;
  const outSize = Math.ceil(inSize / stride);
  const total = Math.max((outSize - 1) * stride + effK - inSize, 0);
  const before = Math.floor(total / 2);
  return [before, total - before];
}

export type Padding = 'valid' | 'same' | 'causal' | { explicit: [number, number][] };

/** ONNX `pads` ([b1..bk, e1..ek]) or auto_pad for TF padding; `spatial` is the TF-order input size. */
export function padAttrs(
  padding: Padding,
  spatial: (number | null)[],
  kernel: number[],
  strides: number[],
  dilations: number[],
): Record<string, ReturnType<typeof attr.ints> | ReturnType<typeof attr.str>> {
  const k = kernel.length;
  if (padding === 'valid') return { pads: attr.ints(new Array(2 * k).fill(0)) };
  if (padding === 'causal') return { pads: attr.ints([(kernel[0] - 1) * dilations[0], 0]) };
  if (typeof padding === 'object') {
    return { pads: attr.ints([...padding.explicit.map((p) => p[0]), ...padding.explicit.map((p) => p[1])]) };
  }
  // With stride 1, TF's SAME padding does not depend on the input size (total = effective kernel - 1, the
  // odd pixel after), so unknown sizes (a free width) still get explicit pads. Only a strided dim of
  // unknown size needs auto_pad; SAME_UPPER is TF's rule (extra pixel at the end) for every size.
  const known = spatial.map((s, i) => (s === null ? (strides[i] === 1 ? kernel[i] : null) : s));
  if (known.some((s) => s === null)) return { auto_pad: attr.str('SAME_UPPER') };
  const pairs = known.map((s, i) => samePads(s as number, kernel[i], strides[i], dilations[i]));
  return { pads: attr.ints([...pairs.map((p) => p[0]), ...pairs.map((p) => p[1])]) };
}

/** TF kernel [k1..kn, in, out] -> ONNX Conv weight [out, in, k1..kn]. */
export function tfKernelToOnnx(
  data: Float32Array,
  shape: readonly number[],
): { data: Float32Array; dims: number[] } {
  const r = shape.length;
  const perm = [r - 1, r - 2, ...identityPerm(r - 2)];
  return { data: transposeArray(data, shape, perm), dims: perm.map((p) => shape[p]) };
}

export interface ConvSpec {
  /** ONNX-layout weight [out, in/group, k...]. */
  weight: { data: Float32Array; dims: number[] };
  bias?: Float32Array;
  strides: number[];
  dilations: number[];
  padding: Padding;
  group: number;
  /** Initializer name suffix (a separable conv has two kernels). */
  weightName?: string;
  /** TF-order output shape. */
  outShape: (number | null)[];
}

/** One ONNX Conv on a channels-last TF value; the result stays channels-first. */
export function emitConv(g: OnnxGraphBuilder, x: Value, spec: ConvSpec): Value {
  const rank = x.perm.length;
  const kernel = spec.weight.dims.slice(2);
  const inputs = [
    g.asChannelsFirst(x),
    g.weight(`${g.scope}/${spec.weightName ?? 'kernel'}`, spec.weight.data, spec.weight.dims),
  ];
  if (spec.bias) inputs.push(g.weight(`${g.scope}/bias`, spec.bias, [spec.bias.length]));
  const out = g.op('Conv', inputs, {
    kernel_shape: attr.ints(kernel),
    strides: attr.ints(spec.strides),
    dilations: attr.ints(spec.dilations),
    group: attr.int(spec.group),
    ...padAttrs(spec.padding, x.shape.slice(1, rank - 1), kernel, spec.strides, spec.dilations),
  });
  return { name: out, perm: channelsFirstPerm(rank), shape: spec.outShape };
}

/** MaxPool / AveragePool with TF semantics (padding excluded from averages, like TF). */
export function emitPool(
  g: OnnxGraphBuilder,
  x: Value,
  kind: 'max' | 'avg',
  pool: number[],
  strides: number[],
  padding: Padding,
  outShape: (number | null)[],
): Value {
  const rank = x.perm.length;
  const ones = pool.map(() => 1);
  const attrs = {
    kernel_shape: attr.ints(pool),
    strides: attr.ints(strides),
    ...padAttrs(padding, x.shape.slice(1, rank - 1), pool, strides, ones),
    ...(kind === 'avg' ? { count_include_pad: attr.int(0) } : {}),
  };
  const out = g.op(kind === 'max' ? 'MaxPool' : 'AveragePool', [g.asChannelsFirst(x)], attrs);
  return { name: out, perm: channelsFirstPerm(rank), shape: outShape };
}

/**
 * A per-channel constant (bias, BN scale...) shaped to broadcast against `v` along TF axis `tfAxis`,
 * whatever `v`'s layout: [C] followed by as many 1s as ONNX dims after the channel dim.
 */
export function channelConst(g: OnnxGraphBuilder, values: Float32Array, v: Value, tfAxis: number): string {
  const ax = onnxAxis(v.perm, tfAxis);
  const trailing = v.perm.length - ax - 1;
  return g.constFloat(values, [values.length, ...new Array(trailing).fill(1)]);
}

/** y = x * scale + shift per channel (folded batch norm, Rescaling...). */
export function emitAffine(
  g: OnnxGraphBuilder,
  v: Value,
  tfAxis: number,
  scale: Float32Array | null,
  shift: Float32Array | null,
): Value {
  let x = v.name;
  if (scale) x = g.op('Mul', [x, channelConst(g, scale, v, tfAxis)]);
  if (shift) x = g.op('Add', [x, channelConst(g, shift, v, tfAxis)]);
  return { ...v, name: x };
}

/**
 * Bring several values to one layout for an element-wise op. Same-rank inputs adopt the first input's
 * perm (so a residual add between two channels-first tensors needs no transpose); mixed ranks fall back
 * to TF order, where ONNX broadcasting is TF's (numpy's, right-aligned) one. tfjs Merge layers broadcast
 * differently and expand their inputs before calling this (expandToMaxRank in layer-converters.ts).
 */
export function alignLayouts(g: OnnxGraphBuilder, values: Value[]): { names: string[]; perm: number[] } {
  const rank = values[0].perm.length;
  const perm: Perm = values.every((v) => v.perm.length === rank) ? values[0].perm : identityPerm(rank);
  if (!values.every((v) => v.perm.length === rank)) {
    return {
      names: values.map((v) => g.asTf(v)),
      perm: identityPerm(Math.max(...values.map((v) => v.perm.length))),
    };
  }
  return { names: values.map((v) => (samePerm(v.perm, perm) ? v.name : g.toPerm(v, perm))), perm: [...perm] };
}

/** Pads or slices per TF axis, expressed on ONNX axes of `v`. */
export function perAxisToOnnx(v: Value, perTfAxis: number[]): number[] {
  return v.perm.map((tfDim) => perTfAxis[tfDim]);
}
