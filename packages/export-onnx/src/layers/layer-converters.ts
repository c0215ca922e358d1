/**
 * One converter per tfjs-layers class. Each gets the layer, its config (as `getConfig()` serialises it),
 * the converted inputs and the TF-order output shapes, and returns the converted outputs.
 */

import {
  alignLayouts,
  emitActivation,
  emitAffine,
  emitConv,
  emitPool,
  type Padding,
  tfKernelToOnnx,
} from '../emit.js';
import type { OnnxGraphBuilder, Value } from '../graph-builder.js';
import { attr } from '../graph-builder.js';
import {
  channelsFirstPerm,
  identityPerm,
  onnxAxis,
  permAfterRemovingAxes,
  transposeArray,
} from '../layout.js';

// biome-ignore lint/suspicious/noExplicitAny: tfjs layers expose their weights and settings as untyped fields
type AnyLayer = any;
type Shape = (number | null)[];

export interface LayerContext {
  g: OnnxGraphBuilder;
  layer: AnyLayer;
  // biome-ignore lint/suspicious/noExplicitAny: layer configs are free-form JSON
  config: Record<string, any>;
  inputs: Value[];
  outputShapes: Shape[];
}

export type LayerConverter = (ctx: LayerContext) => Value[];

/**
 * A layer configuration refused on purpose, with the fix as `hint`: convertLayersModel reports it as
 * LAYER_CONVERSION_FAILED naming the layer (a plain Error gets a generic hint).
 */
export class RefusedConfig extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}

/** Weight values and shape of a layer's LayerVariable field (`kernel`, `bias`, `gamma`...). */
export function weightOf(layer: AnyLayer, field: string): { data: Float32Array; shape: number[] } | null {
  const v = layer[field];
  if (!v) return null;
  const t = v.read();
  return { data: t.dataSync() as Float32Array, shape: [...t.shape] };
}

function tuple(v: number | number[] | undefined, n: number, dflt: number): number[] {
  if (v === undefined || v === null) return new Array(n).fill(dflt);
  return Array.isArray(v)
    ? v.length === 1 && n > 1
      ? new Array(n).fill(v[0])
      : [...v]
    : new Array(n).fill(v);
}

function one(ctx: LayerContext): Value {
  return ctx.inputs[0];
}

function isChannelsFirst(config: Record<string, unknown>): boolean {
  return config.dataFormat === 'channelsFirst';
}

/** Value seen by conv/pool code: channelsFirst TF tensors are already in ONNX order. */
function spatialView(x: Value, channelsFirst: boolean): Value {
  if (!channelsFirst) return x;
  // Relabel so that emit* helpers (which assume channels-last TF) see the right order.
  const r = x.perm.length;
  const toCl = [0, ...identityPerm(r).slice(2), 1];
  return { name: x.name, perm: x.perm.map((d) => toCl.indexOf(d)), shape: toCl.map((d) => x.shape[d]) };
}

function unview(v: Value, channelsFirst: boolean, outShape: Shape): Value {
  if (!channelsFirst) return v;
  const r = v.perm.length;
  const toCl = [0, ...identityPerm(r).slice(2), 1];
  return { name: v.name, perm: v.perm.map((d) => toCl[d]), shape: outShape };
}

function padding(config: Record<string, unknown>): Padding {
  return config.padding as Padding;
}

function withActivation(ctx: LayerContext, v: Value): Value {
  const act = ctx.config.activation ?? 'linear';
  return emitActivation(ctx.g, v, act);
}

function convLike(ctx: LayerContext, nSpatial: number): Value {
  const { layer, config } = ctx;
  const cf = isChannelsFirst(config);
  const x = spatialView(one(ctx), cf);
  const k = weightOf(layer, 'kernel')!;
  const outShape = ctx.outputShapes[0];
  const outTf = cf ? [outShape[0], ...outShape.slice(2), outShape[1]] : outShape;
  const strides = tuple(config.strides, nSpatial, 1);
  if (config.padding === 'causal') assertCausalShape(x.shape[1], strides[0], outTf[1], x.shape[2]);
  const y = emitConv(ctx.g, x, {
    weight: tfKernelToOnnx(k.data, k.shape),
    bias: config.useBias ? weightOf(layer, 'bias')!.data : undefined,
    strides,
    dilations: tuple(config.dilationRate, nSpatial, 1),
    padding: padding(config),
    group: 1,
    outShape: outTf,
  });
  return withActivation(ctx, unview(y, cf, outShape));
}

/**
 * The export computes Keras' causal Conv1D (the input left-padded by (k - 1) * dilation: length ceil(len / stride)),
 * but tfjs 4.22 cannot run one and gives the layer, and every layer after it, the length of 'valid' padding. With a
 * free length the shapes stay symbolic; a fixed length would be declared wrong, so it is refused.
 */
function assertCausalShape(
  len: number | null,
  stride: number,
  tfjsLen: number | null,
  channels: number | null,
) {
  if (len === null || Math.ceil(len / stride) === tfjsLen) return;
  throw new RefusedConfig(
    `padding 'causal' on a fixed length (${len}) is not supported: tfjs 4.22 cannot run causal padding and gives this layer and every layer after it the length 'valid' padding would (${tfjsLen}, not ${Math.ceil(len / stride)}), so the exported graph's shapes would be wrong`,
    `Give the model a free sequence length (input shape [null, ${channels ?? 'C'}]): the export keeps it symbolic and computes Keras' causal convolution. tfjs cannot run it, so check the ONNX model against the Keras model it came from.`,
  );
}

/** Depthwise kernel [kh, kw, cin, mult] -> ONNX grouped Conv weight [cin*mult, 1, kh, kw]. */
function depthwiseWeight(k: { data: Float32Array; shape: number[] }): { data: Float32Array; dims: number[] } {
  const [kh, kw, cin, mult] = k.shape;
  const data = transposeArray(k.data, k.shape, [2, 3, 0, 1]);
  return { data, dims: [cin * mult, 1, kh, kw] };
}

function depthwise(ctx: LayerContext, withPointwise: boolean): Value {
  const { layer, config, g } = ctx;
  const cf = isChannelsFirst(config);
  const x = spatialView(one(ctx), cf);
  const dk = weightOf(layer, 'depthwiseKernel')!;
  const cin = dk.shape[2];
  const strides = tuple(config.strides, 2, 1);
  // tfjs 4.22's DepthwiseConv2D ignores dilationRate (its call() passes null, and its output shape leaves
  // it out too), so the layer it runs is undilated; SeparableConv2D does apply it.
  const dilations = withPointwise ? tuple(config.dilationRate, 2, 1) : [1, 1];
  const outShape = ctx.outputShapes[0];
  const outTf = cf ? [outShape[0], ...outShape.slice(2), outShape[1]] : outShape;
  const bias = config.useBias ? weightOf(layer, 'bias')!.data : undefined;
  let y = emitConv(g, x, {
    weight: depthwiseWeight(dk),
    bias: withPointwise ? undefined : bias,
    strides,
    dilations,
    padding: padding(config),
    group: cin,
    weightName: 'depthwise_kernel',
    outShape: withPointwise ? [...outTf.slice(0, 3), cin * dk.shape[3]] : outTf,
  });
  if (withPointwise) {
    const pk = weightOf(layer, 'pointwiseKernel')!;
    y = emitConv(g, y, {
      weight: tfKernelToOnnx(pk.data, pk.shape),
      bias,
      strides: [1, 1],
      dilations: [1, 1],
      padding: 'valid',
      group: 1,
      weightName: 'pointwise_kernel',
      outShape: outTf,
    });
  }
  return withActivation(ctx, unview(y, cf, outShape));
}

function conv2dTranspose(ctx: LayerContext): Value {
  const { layer, config, g } = ctx;
  const cf = isChannelsFirst(config);
  const x = spatialView(one(ctx), cf);
  const k = weightOf(layer, 'kernel')!; // [kh, kw, out, in]
  const [kh, kw] = k.shape;
  const data = transposeArray(k.data, k.shape, [3, 2, 0, 1]); // ONNX ConvTranspose: [in, out, kh, kw]
  const strides = tuple(config.strides, 2, 1);
  const outShape = ctx.outputShapes[0];
  const outTf = cf ? [outShape[0], ...outShape.slice(2), outShape[1]] : outShape;
  const inSp = x.shape.slice(1, 3);
  const outSp = outTf.slice(1, 3);
  if (inSp.some((s) => s === null) || outSp.some((s) => s === null)) {
    throw new Error('Conv2DTranspose needs static height and width');
  }
  // ONNX: out = s*(in-1) + output_padding + k - pad_begin - pad_end; solve for TF's output size.
  const pads = [0, 0, 0, 0];
  const outputPadding = [0, 0];
  [kh, kw].forEach((kk, i) => {
    const total = strides[i] * ((inSp[i] as number) - 1) + kk - (outSp[i] as number);
    if (total >= 0) {
      pads[i] = Math.floor(total / 2);
      pads[i + 2] = total - pads[i];
    } else outputPadding[i] = -total;
  });
  const inputs = [
    g.asChannelsFirst(x),
    g.weight(`${g.scope}/kernel`, data, [k.shape[3], k.shape[2], kh, kw]),
  ];
  if (config.useBias) {
    const b = weightOf(layer, 'bias')!.data;
    inputs.push(g.weight(`${g.scope}/bias`, b, [b.length]));
  }
  const y = g.op('ConvTranspose', inputs, {
    kernel_shape: attr.ints([kh, kw]),
    strides: attr.ints(strides),
    pads: attr.ints(pads),
    output_padding: attr.ints(outputPadding),
  });
  return withActivation(ctx, unview({ name: y, perm: channelsFirstPerm(4), shape: outTf }, cf, outShape));
}

function batchNorm(ctx: LayerContext): Value {
  const { layer, config } = ctx;
  const x = one(ctx);
  const axis = Array.isArray(config.axis) ? config.axis[0] : config.axis;
  const mean = weightOf(layer, 'movingMean')!.data;
  const variance = weightOf(layer, 'movingVariance')!.data;
  const gamma = config.scale ? weightOf(layer, 'gamma')!.data : null;
  const beta = config.center ? weightOf(layer, 'beta')!.data : null;
  const scale = new Float32Array(mean.length);
  const shift = new Float32Array(mean.length);
  for (let c = 0; c < mean.length; c++) {
    const s = (gamma ? gamma[c] : 1) / Math.sqrt(variance[c] + config.epsilon);
    scale[c] = s;
    shift[c] = (beta ? beta[c] : 0) - mean[c] * s;
  }
  return emitAffine(ctx.g, x, axis, scale, shift);
}

function dense(ctx: LayerContext): Value {
  const { layer, config, g } = ctx;
  const x = one(ctx);
  const rank = x.perm.length;
  const k = weightOf(layer, 'kernel')!;
  const w = g.weight(`${g.scope}/kernel`, k.data, k.shape);
  const outPerm = x.perm[rank - 1] === rank - 1 ? x.perm : identityPerm(rank);
  const xin = g.toPerm(x, outPerm);
  let y = g.op('MatMul', [xin, w]);
  if (config.useBias) {
    const b = weightOf(layer, 'bias')!.data;
    y = g.op('Add', [y, g.weight(`${g.scope}/bias`, b, [b.length])]);
  }
  return withActivation(ctx, { name: y, perm: [...outPerm], shape: ctx.outputShapes[0] });
}

function flatten(ctx: LayerContext): Value {
  const { g, config } = ctx;
  const x = one(ctx);
  const rank = x.perm.length;
  // tfjs Flatten with channelsFirst moves channels last first; either way we need TF's element order.
  const order =
    isChannelsFirst(config) && rank > 2 ? [0, ...identityPerm(rank).slice(2), 1] : identityPerm(rank);
  const y = g.op('Flatten', [g.toPerm(x, order)], { axis: attr.int(1) });
  return { name: y, perm: [0, 1], shape: ctx.outputShapes[0] };
}

function reshape(ctx: LayerContext): Value {
  const { g, config } = ctx;
  const x = one(ctx);
  // getConfig() serialises the inferred dimension (-1) as null
  const target = (config.targetShape as (number | null)[]).map((d) => d ?? -1);
  const y = g.op('Reshape', [g.asTf(x), g.constInt64([0, ...target])]);
  return { name: y, perm: identityPerm(target.length + 1), shape: ctx.outputShapes[0] };
}

function permute(ctx: LayerContext): Value {
  const x = one(ctx);
  const P = [0, ...(ctx.config.dims as number[])];
  // Pure relabelling: the ONNX tensor does not move, only which TF axis each ONNX axis holds.
  return { name: x.name, perm: x.perm.map((d) => P.indexOf(d)), shape: ctx.outputShapes[0] };
}

function repeatVector(ctx: LayerContext): Value {
  const { g, config } = ctx;
  const x = g.asTf(one(ctx));
  const y = g.op('Tile', [g.unsqueeze(x, [1]), g.constInt64([1, config.n, 1])]);
  return { name: y, perm: [0, 1, 2], shape: ctx.outputShapes[0] };
}

function zeroPadding2d(ctx: LayerContext): Value {
  const { g, config } = ctx;
  const x = one(ctx);
  const [[t, b], [l, r]] = config.padding as [[number, number], [number, number]];
  const cf = isChannelsFirst(config);
  const before = cf ? [0, 0, t, l] : [0, t, l, 0];
  const after = cf ? [0, 0, b, r] : [0, b, r, 0];
  const pads = [...x.perm.map((d) => before[d]), ...x.perm.map((d) => after[d])];
  const y = g.op('Pad', [x.name, g.constInt64(pads)], { mode: attr.str('constant') });
  return { ...x, name: y, shape: ctx.outputShapes[0] };
}

function cropping2d(ctx: LayerContext): Value {
  const { g, config } = ctx;
  const x = one(ctx);
  const [[t, b], [l, r]] = config.cropping as [[number, number], [number, number]];
  const cf = isChannelsFirst(config);
  const hAxis = onnxAxis(x.perm, cf ? 2 : 1);
  const wAxis = onnxAxis(x.perm, cf ? 3 : 2);
  const end = (c: number) => (c > 0 ? -c : 2 ** 31 - 1);
  const y = g.op('Slice', [
    x.name,
    g.constInt64([t, l]),
    g.constInt64([end(b), end(r)]),
    g.constInt64([hAxis, wAxis]),
  ]);
  return { ...x, name: y, shape: ctx.outputShapes[0] };
}

/** Resize on channels-first data with tfjs' image-op convention (alignCorners and halfPixelCenters false). */
function emitResize(ctx: LayerContext, mode: 'nearest' | 'bilinear', scales: number[]): Value {
  const { g } = ctx;
  const xin = g.asChannelsFirst(one(ctx));
  const y = g.op('Resize', [xin, '', g.constFloat([1, 1, ...scales])], {
    mode: attr.str(mode === 'nearest' ? 'nearest' : 'linear'),
    coordinate_transformation_mode: attr.str('asymmetric'),
    ...(mode === 'nearest' ? { nearest_mode: attr.str('floor') } : {}),
  });
  return { name: y, perm: channelsFirstPerm(4), shape: ctx.outputShapes[0] };
}

function upSampling2d(ctx: LayerContext): Value {
  if (isChannelsFirst(ctx.config)) throw new Error('UpSampling2D with channelsFirst is not supported');
  const [sh, sw] = ctx.config.size as number[];
  return emitResize(ctx, ctx.config.interpolation ?? 'nearest', [sh, sw]);
}

function pooling(kind: 'max' | 'avg', nSpatial: number): LayerConverter {
  return (ctx) => {
    const { config } = ctx;
    const cf = isChannelsFirst(config);
    const x = spatialView(one(ctx), cf);
    const pool = tuple(config.poolSize, nSpatial, 2);
    const strides = config.strides == null ? pool : tuple(config.strides, nSpatial, 1);
    const outShape = ctx.outputShapes[0];
    const outTf = cf ? [outShape[0], ...outShape.slice(2), outShape[1]] : outShape;
    return [unview(emitPool(ctx.g, x, kind, pool, strides, padding(config), outTf), cf, outShape)];
  };
}

function globalPool(kind: 'max' | 'avg', nSpatial: number): LayerConverter {
  return (ctx) => {
    const { g, config } = ctx;
    const x = one(ctx);
    const rank = x.perm.length;
    const spatial = isChannelsFirst(config)
      ? identityPerm(nSpatial).map((i) => i + 2)
      : identityPerm(nSpatial).map((i) => i + 1);
    const keep = Boolean(config.keepDims);
    const y = g.reduce(
      kind === 'max' ? 'ReduceMax' : 'ReduceMean',
      x.name,
      spatial.map((a) => onnxAxis(x.perm, a)),
      keep,
    );
    const perm = keep ? x.perm : permAfterRemovingAxes(x.perm, spatial);
    if (rank !== nSpatial + 2) throw new Error(`expected rank ${nSpatial + 2} input`);
    return [{ name: y, perm, shape: ctx.outputShapes[0] }];
  };
}

/**
 * tfjs' Merge layers bring inputs of lower rank up by inserting axes right after the batch axis
 * ([N, 4] -> [N, 1, 1, 4] against a rank-4 input); ONNX broadcasting would align dims from the right
 * instead ([N, 4] as [1, 1, N, 4]), wrong as soon as the batch is not 1. Do tfjs' expansion here.
 */
function expandToMaxRank(g: OnnxGraphBuilder, inputs: Value[]): Value[] {
  const maxRank = Math.max(...inputs.map((v) => v.perm.length));
  return inputs.map((v) => {
    const missing = maxRank - v.perm.length;
    if (missing === 0) return v;
    const axes = identityPerm(missing).map((i) => i + 1);
    return {
      name: g.unsqueeze(g.asTf(v), axes),
      perm: identityPerm(maxRank),
      shape: [v.shape[0], ...new Array(missing).fill(1), ...v.shape.slice(1)],
    };
  });
}

function merge(op: 'Add' | 'Mul' | 'Max' | 'Min' | 'Mean'): LayerConverter {
  return (ctx) => {
    const { names, perm } = alignLayouts(ctx.g, expandToMaxRank(ctx.g, ctx.inputs));
    // ONNX Sum/Max/Min/Mean are variadic; binary Add/Mul chained keep the tfjs evaluation order.
    let y: string;
    if (op === 'Add' || op === 'Mul') {
      y = names[0];
      for (const n of names.slice(1)) y = ctx.g.op(op, [y, n]);
    } else y = ctx.g.op(op, names);
    return [{ name: y, perm, shape: ctx.outputShapes[0] }];
  };
}

function concatenate(ctx: LayerContext): Value {
  const tfAxis: number = ctx.config.axis ?? -1;
  if (tfAxis < -1) {
    // tfjs' K.concatenate joins along the last axis for every negative axis, while the layer's declared output
    // shape follows Keras (axis -2 is the one before last): no ONNX graph can match both.
    const rank = ctx.inputs[0].perm.length;
    throw new RefusedConfig(
      `axis ${tfAxis} is not supported: tfjs 4.22 concatenates along the last axis for any negative axis, but declares the output shape of axis ${tfAxis}, so the exported model could not match the tfjs one`,
      `Give the axis to join along as a positive number (${rank + tfAxis} for ${tfAxis} here, counting the batch axis as 0), or -1 for the last axis (what tfjs computes now); layers with weights after it may then need re-training.`,
    );
  }
  const { names, perm } = alignLayouts(ctx.g, ctx.inputs);
  const axis = onnxAxis(perm, tfAxis);
  return { name: ctx.g.op('Concat', names, { axis: attr.int(axis) }), perm, shape: ctx.outputShapes[0] };
}

function softmaxLayer(ctx: LayerContext): Value {
  const { g, config } = ctx;
  const x = one(ctx);
  const axes: number[] = Array.isArray(config.axis) ? config.axis : [config.axis ?? -1];
  if (axes.length === 1) return emitActivation(g, x, 'softmax', axes[0]);
  const onnxAxes = axes.map((a) => onnxAxis(x.perm, a));
  const lse = g.reduce('ReduceLogSumExp', x.name, onnxAxes, true);
  return { ...x, name: g.op('Exp', [g.op('Sub', [x.name, lse])]) };
}

function prelu(ctx: LayerContext): Value {
  const { g, layer } = ctx;
  const x = one(ctx);
  const a = weightOf(layer, 'alpha')!; // TF shape without batch, 1 on shared axes
  const rest = x.perm.slice(1).map((d) => d - 1);
  const data = transposeArray(a.data, a.shape, rest);
  const slope = g.weight(
    `${g.scope}/alpha`,
    data,
    rest.map((d) => a.shape[d]),
  );
  return { ...x, name: g.op('PRelu', [x.name, slope]) };
}

function layerNorm(ctx: LayerContext): Value {
  const { g, layer, config } = ctx;
  const x = one(ctx);
  const rank = x.perm.length;
  const axes = (Array.isArray(config.axis) ? config.axis : [config.axis]).map((a: number) =>
    a < 0 ? a + rank : a,
  );
  const onnxAxes = axes.map((a: number) => onnxAxis(x.perm, a));
  const mean = g.reduce('ReduceMean', x.name, onnxAxes, true);
  const d = g.op('Sub', [x.name, mean]);
  const variance = g.reduce('ReduceMean', g.op('Mul', [d, d]), onnxAxes, true);
  let y = g.op('Div', [d, g.op('Sqrt', [g.addScalar(variance, config.epsilon)])]);
  // gamma/beta have the TF shape of the normalised axes; broadcast them in this value's layout
  const bshape = x.perm.map((tfd) => (axes.includes(tfd) ? (x.shape[tfd] as number) : 1));
  const tfShape = identityPerm(rank).map((tfd) => (axes.includes(tfd) ? (x.shape[tfd] as number) : 1));
  const param = (field: string) => {
    const w = weightOf(layer, field)!;
    return g.weight(`${g.scope}/${field}`, transposeArray(w.data, tfShape, x.perm), bshape);
  };
  if (config.scale) y = g.op('Mul', [y, param('gamma')]);
  if (config.center) y = g.op('Add', [y, param('beta')]);
  return { ...x, name: y };
}

const identity: LayerConverter = (ctx) => [one(ctx)];
const single =
  (f: (ctx: LayerContext) => Value): LayerConverter =>
  (ctx) => [f(ctx)];

/** Every feed-forward tfjs-layers class the exporter converts, by class name (recurrent ones: recurrent.ts). */
export const LAYER_CONVERTERS: Record<string, LayerConverter> = {
  Conv1D: single((c) => convLike(c, 1)),
  Conv2D: single((c) => convLike(c, 2)),
  DepthwiseConv2D: single((c) => depthwise(c, false)),
  SeparableConv2D: single((c) => depthwise(c, true)),
  Conv2DTranspose: single(conv2dTranspose),
  BatchNormalization: single(batchNorm),
  LayerNormalization: single(layerNorm),
  Dense: single(dense),
  Activation: single((c) => emitActivation(c.g, one(c), c.config.activation)),
  ReLU: single((c) =>
    c.config.maxValue == null
      ? { ...one(c), name: c.g.op('Relu', [one(c).name]) }
      : { ...one(c), name: c.g.clip(one(c).name, 0, c.config.maxValue) },
  ),
  LeakyReLU: single((c) => ({
    ...one(c),
    name: c.g.op('LeakyRelu', [one(c).name], { alpha: attr.float(c.config.alpha ?? 0.3) }),
  })),
  PReLU: single(prelu),
  ELU: single((c) => ({
    ...one(c),
    name: c.g.op('Elu', [one(c).name], { alpha: attr.float(c.config.alpha ?? 1) }),
  })),
  ThresholdedReLU: single((c) => ({
    ...one(c),
    name: c.g.op('ThresholdedRelu', [one(c).name], { alpha: attr.float(c.config.theta ?? 1) }),
  })),
  Softmax: single(softmaxLayer),
  ZeroPadding2D: single(zeroPadding2d),
  Cropping2D: single(cropping2d),
  UpSampling2D: single(upSampling2d),
  Rescaling: single((c) => ({
    ...one(c),
    name: c.g.addScalar(c.g.mulScalar(one(c).name, c.config.scale), c.config.offset ?? 0),
  })),
  MaxPooling1D: pooling('max', 1),
  MaxPooling2D: pooling('max', 2),
  AveragePooling1D: pooling('avg', 1),
  AveragePooling2D: pooling('avg', 2),
  GlobalAveragePooling1D: globalPool('avg', 1),
  GlobalAveragePooling2D: globalPool('avg', 2),
  GlobalMaxPooling1D: globalPool('max', 1),
  GlobalMaxPooling2D: globalPool('max', 2),
  Flatten: single(flatten),
  Reshape: single(reshape),
  Permute: single(permute),
  RepeatVector: single(repeatVector),
  Dropout: identity,
  SpatialDropout1D: identity,
  GaussianNoise: identity,
  GaussianDropout: identity,
  AlphaDropout: identity,
  Add: merge('Add'),
  Multiply: merge('Mul'),
  Average: merge('Mean'),
  Maximum: merge('Max'),
  Minimum: merge('Min'),
  Concatenate: single(concatenate),
};
