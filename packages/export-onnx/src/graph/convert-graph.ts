/**
 * tfjs GraphModel (GraphDef in model.json, as tensorflowjs_converter writes it) -> ONNX.
 * Shapes of every intermediate tensor are learnt by running the GraphModel once in tfjs, so static
 * padding and layout decisions use real sizes.
 */
import { HcrError } from '@hcr/core';
import type { GraphModel } from '@tensorflow/tfjs-converter';
import * as tf from '@tensorflow/tfjs-core';
import {
  alignLayouts,
  channelConst,
  emitActivation,
  emitConv,
  emitPool,
  type Padding,
  tfKernelToOnnx,
} from '../emit.js';
import { attr, type OnnxGraphBuilder, type Value } from '../graph-builder.js';
import {
  channelsFirstPerm,
  identityPerm,
  onnxAxis,
  permAfterRemovingAxes,
  transposeArray,
} from '../layout.js';

interface AttrValue {
  s?: string;
  i?: string | number;
  f?: number;
  b?: boolean;
  type?: string | number;
  shape?: { dim?: { size: string | number }[]; unknownRank?: boolean };
  list?: { s?: string[]; i?: (string | number)[]; f?: number[] };
}
export interface TfNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, AttrValue>;
}

interface HostConst {
  data: Float32Array | Int32Array;
  shape: number[];
}

const str = (a?: AttrValue) => (a?.s === undefined ? undefined : Buffer.from(a.s, 'base64').toString('utf8'));
const num = (a?: AttrValue, dflt = 0) => (a?.i !== undefined ? Number(a.i) : (a?.f ?? dflt));
const ints = (a?: AttrValue) => (a?.list?.i ?? []).map(Number);
const strs = (a?: AttrValue) => (a?.list?.s ?? []).map((s) => Buffer.from(s, 'base64').toString('utf8'));

/** TF activations by op name (also the names inside `fused_ops`). */
const ACTIVATION_OPS: Record<string, string> = {
  Relu: 'relu',
  Relu6: 'relu6',
  Elu: 'elu',
  Selu: 'selu',
  Sigmoid: 'sigmoid',
  Tanh: 'tanh',
  Softplus: 'softplus',
};
const UNARY_OPS: Record<string, string> = {
  Sqrt: 'Sqrt',
  Exp: 'Exp',
  Log: 'Log',
  Neg: 'Neg',
  Abs: 'Abs',
  Reciprocal: 'Reciprocal',
  Floor: 'Floor',
  Ceil: 'Ceil',
  Erf: 'Erf',
};
const BINARY_OPS: Record<string, string> = {
  Add: 'Add',
  AddV2: 'Add',
  Sub: 'Sub',
  Mul: 'Mul',
  RealDiv: 'Div',
  Div: 'Div',
  Maximum: 'Max',
  Minimum: 'Min',
  Pow: 'Pow',
  SquaredDifference: 'Sub', // then squared: ONNX has no SquaredDifference
};
const REDUCE_OPS: Record<string, string> = {
  Mean: 'ReduceMean',
  Max: 'ReduceMax',
  Min: 'ReduceMin',
  Sum: 'ReduceSum',
  Prod: 'ReduceProd',
};
// Only ops tfjs-converter itself can run are listed: a GraphModel cannot contain any other.
const PASS_THROUGH = ['Identity', 'StopGradient', 'Snapshot'];

/** TF ops the exporter converts (GraphModel inputs). */
export const SUPPORTED_OPS: readonly string[] = Object.freeze(
  [
    'Placeholder',
    'Const',
    ...PASS_THROUGH,
    'Conv2D',
    '_FusedConv2D',
    'DepthwiseConv2dNative',
    'FusedDepthwiseConv2dNative',
    'MatMul',
    '_FusedMatMul',
    'BiasAdd',
    'FusedBatchNorm',
    'FusedBatchNormV3',
    ...Object.keys(ACTIVATION_OPS),
    'LeakyRelu',
    'Softmax',
    'LogSoftmax',
    'Rsqrt',
    'Square',
    ...Object.keys(UNARY_OPS),
    ...Object.keys(BINARY_OPS),
    ...Object.keys(REDUCE_OPS),
    'MaxPool',
    'AvgPool',
    'Reshape',
    'Squeeze',
    'ExpandDims',
    'ConcatV2',
    'Pad',
    'PadV2',
    'Transpose',
  ].sort(),
);

const tensorName = (ref: string) => (ref.includes(':') ? ref : `${ref}:0`);

export function convertGraphModel(
  g: OnnxGraphBuilder,
  model: GraphModel,
  artifacts: tf.io.ModelArtifacts,
  opts: { inputLayout: 'nhwc' | 'nchw' },
): void {
  const topo = artifacts.modelTopology as { node?: TfNode[]; library?: { function?: unknown[] } };
  const nodes = topo.node ?? [];
  if ((topo.library?.function ?? []).length > 0) {
    throw new HcrError(
      'UNSUPPORTED_OP',
      'GraphModels with control flow (functions) cannot be exported; nothing was written.',
      {
        hint: `Re-convert the model without control flow. Supported ops: ${SUPPORTED_OPS.join(', ')}.`,
      },
    );
  }
  for (const n of nodes) {
    if (!SUPPORTED_OPS.includes(n.op) && n.op !== 'NoOp') {
      throw new HcrError(
        'UNSUPPORTED_OP',
        `Node '${n.name}' has op ${n.op}, which cannot be exported to ONNX; nothing was written.`,
        {
          hint: `Supported TensorFlow ops: ${SUPPORTED_OPS.join(', ')}.`,
        },
      );
    }
  }
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const consts = new Map<string, HostConst>();
  if (artifacts.weightData && artifacts.weightSpecs) {
    const decoded = tf.io.decodeWeights(artifacts.weightData, artifacts.weightSpecs);
    for (const [name, t] of Object.entries(decoded)) {
      consts.set(`${name}:0`, { data: t.dataSync() as Float32Array | Int32Array, shape: [...t.shape] });
      t.dispose();
    }
  }
  const shapes = learnShapes(model, nodes);
  const values = new Map<string, Value>();

  // Graph inputs: Placeholders, named as in the model.
  for (const n of nodes.filter((n) => n.op === 'Placeholder')) {
    const shape = shapes.get(`${n.name}:0`) as number[];
    const tfShape: (number | null)[] = shape.map((d, i) => (i === 0 ? null : d));
    const rank = shape.length;
    const perm = opts.inputLayout === 'nchw' && rank >= 3 ? channelsFirstPerm(rank) : identityPerm(rank);
    g.reserve(n.name);
    g.addInput(
      n.name,
      perm.map((d, k) => tfShape[d] ?? (k === 0 ? 'batch' : `${n.name}_dim${k}`)),
    );
    values.set(`${n.name}:0`, { name: n.name, perm, shape: tfShape });
  }

  const cx: GraphCtx = { g, consts, shapes, values, byName };
  const outputs = model.outputNodes;
  for (const out of outputs) g.reserve(out.split(':')[0]);
  for (const out of outputs) {
    const v = convert(cx, tensorName(out));
    const name = out.split(':')[0];
    g.scope = name;
    g.source = `graph output ${name}`;
    g.nodes.push({
      name: g.unique(`${name}/Identity`),
      op_type: 'Identity',
      input: [g.asTf(v)],
      output: [name],
      attribute: [],
      doc_string: g.source,
    });
    const shape = shapes.get(tensorName(out)) as number[];
    g.addOutput(
      name,
      shape.map((d, i) => (i === 0 ? 'batch' : d)),
    );
  }
}

interface GraphCtx {
  g: OnnxGraphBuilder;
  consts: Map<string, HostConst>;
  shapes: Map<string, number[]>;
  values: Map<string, Value>;
  byName: Map<string, TfNode>;
}

/** Run the model once (batch 1) and record every node output's shape. */
function learnShapes(model: GraphModel, nodes: TfNode[]): Map<string, number[]> {
  const feeds: Record<string, tf.Tensor> = {};
  for (const n of nodes.filter((n) => n.op === 'Placeholder')) {
    const dims = (n.attr?.shape?.shape?.dim ?? []).map((d) => Number(d.size));
    if (dims.slice(1).some((d) => d < 0)) {
      throw new HcrError('UNKNOWN_INPUT_SHAPE', `Input '${n.name}' has unknown dimensions (${dims}).`, {
        hint: 'Only the batch dimension may be unknown; re-convert the model with a fixed input size.',
      });
    }
    feeds[n.name] = tf.zeros(dims.map((d, i) => (i === 0 && d < 0 ? 1 : d)));
  }
  const wanted = nodes
    .filter((n) => n.op !== 'Const' && n.op !== 'Placeholder' && n.op !== 'NoOp')
    .map((n) => n.name);
  const shapes = new Map<string, number[]>();
  for (const [name, t] of Object.entries(feeds)) shapes.set(`${name}:0`, [...t.shape]);
  if (wanted.length > 0) {
    const outs = model.execute(feeds, wanted) as tf.Tensor | tf.Tensor[];
    const list = Array.isArray(outs) ? outs : [outs];
    wanted.forEach((name, i) => {
      shapes.set(`${name}:0`, [...list[i].shape]);
    });
    tf.dispose(list);
  }
  tf.dispose(Object.values(feeds));
  return shapes;
}

/** A TF tensor reference ('name:k') as a converted Value (memoised). */
function convert(cx: GraphCtx, ref: string): Value {
  const hit = cx.values.get(ref);
  if (hit) return hit;
  const [nodeName] = ref.split(':');
  const node = cx.byName.get(nodeName);
  if (!node) throw new Error(`tensor '${ref}' has no producing node`);
  if (node.op === 'Const') {
    const c = constOf(cx, ref);
    const v: Value = {
      name: cx.g.constFloat(Float32Array.from(c.data), c.shape),
      perm: identityPerm(c.shape.length),
      shape: c.shape,
    };
    cx.values.set(ref, v);
    return v;
  }
  const inputs = (node.input ?? []).filter((i) => !i.startsWith('^')).map(tensorName);
  const g = cx.g;
  let v: Value;
  if (PASS_THROUGH.includes(node.op)) v = convert(cx, inputs[0]);
  else {
    // Convert inputs first (they may set g.scope), then name this node's emissions after it.
    const argValues = () => inputs.map((r) => (cx.consts.has(r) ? null : convert(cx, r)));
    const args = argValues();
    g.scope = node.name;
    g.source = `tf node ${node.name} (${node.op})`;
    try {
      v = convertNode(cx, node, inputs, args);
    } catch (e) {
      if (e instanceof HcrError) throw e;
      throw new HcrError(
        'OP_CONVERSION_FAILED',
        `Node '${node.name}' (${node.op}) could not be converted: ${(e as Error).message}; nothing was written.`,
        {
          hint: 'This configuration of the op is not supported; see the supported-op table in the README.',
          cause: e,
        },
      );
    }
  }
  cx.values.set(ref, v);
  return v;
}

function constOf(cx: GraphCtx, ref: string): HostConst {
  const c = cx.consts.get(ref);
  if (!c) throw new Error(`input '${ref}' must be a constant`);
  return c;
}

function shapeOf(cx: GraphCtx, ref: string): number[] {
  const s = cx.shapes.get(ref);
  if (!s) throw new Error(`no shape known for '${ref}'`);
  return s;
}

/** Static TF-order shape with the batch dim left unknown. */
function outShape(cx: GraphCtx, node: TfNode): (number | null)[] {
  return shapeOf(cx, `${node.name}:0`).map((d, i) => (i === 0 ? null : d));
}

/** A constant operand laid out to broadcast against `like` (TF broadcasting, then `like`'s perm). */
function constOperand(cx: GraphCtx, c: HostConst, like: Value): string {
  const rank = like.perm.length;
  if (c.shape.length > rank) throw new Error('constant has a higher rank than the tensor it combines with');
  const full = [...new Array(rank - c.shape.length).fill(1), ...c.shape];
  const data = transposeArray(Float32Array.from(c.data), full, like.perm);
  return cx.g.constFloat(
    data,
    like.perm.map((d) => full[d]),
  );
}

function padding(node: TfNode): Padding {
  const p = str(node.attr?.padding)?.toUpperCase() ?? 'VALID';
  if (p === 'SAME') return 'same';
  if (p === 'VALID') return 'valid';
  if (p === 'EXPLICIT') {
    const e = ints(node.attr?.explicit_paddings); // NHWC pairs
    return {
      explicit: [
        [e[2], e[3]],
        [e[4], e[5]],
      ],
    };
  }
  throw new Error(`padding ${p}`);
}

function isNchw(node: TfNode): boolean {
  return (str(node.attr?.data_format) ?? 'NHWC') === 'NCHW';
}

function fusedActivation(cx: GraphCtx, node: TfNode, v: Value, inputs: string[], extraStart: number): Value {
  const ops = strs(node.attr?.fused_ops);
  const act = ops.length > 1 ? ops[1] : ops[0] === 'BiasAdd' ? undefined : ops[0];
  if (!act) return v;
  if (ACTIVATION_OPS[act]) return emitActivation(cx.g, v, ACTIVATION_OPS[act]);
  if (act === 'LeakyRelu') {
    return {
      ...v,
      name: cx.g.op('LeakyRelu', [v.name], { alpha: attr.float(num(node.attr?.leakyrelu_alpha, 0.2)) }),
    };
  }
  if (act === 'Prelu') {
    const alpha = constOf(cx, inputs[extraStart + 1]);
    return { ...v, name: cx.g.op('PRelu', [v.name, constOperand(cx, alpha, v)]) };
  }
  throw new Error(`fused activation ${act}`);
}

function convNode(cx: GraphCtx, node: TfNode, inputs: string[], x: Value, depthwise: boolean): Value {
  if (isNchw(node)) throw new Error('NCHW data_format');
  const k = constOf(cx, inputs[1]);
  const strides = ints(node.attr?.strides).slice(1, 3);
  const d = ints(node.attr?.dilations);
  const dilations = d.length === 4 ? d.slice(1, 3) : [1, 1];
  const fused = node.op.startsWith('_Fused') || node.op.startsWith('Fused');
  const ops = fused ? strs(node.attr?.fused_ops) : [];
  if (ops.includes('FusedBatchNorm')) throw new Error('fused batch norm (tfjs cannot run it either)');
  const bias = ops[0] === 'BiasAdd' ? Float32Array.from(constOf(cx, inputs[2]).data) : undefined;
  const kdata = Float32Array.from(k.data);
  const weight = depthwise
    ? {
        data: transposeArray(kdata, k.shape, [2, 3, 0, 1]),
        dims: [k.shape[2] * k.shape[3], 1, k.shape[0], k.shape[1]],
      }
    : tfKernelToOnnx(kdata, k.shape);
  const y = emitConv(cx.g, x, {
    weight,
    bias,
    strides: strides.length ? strides : [1, 1],
    dilations,
    padding: padding(node),
    group: depthwise ? k.shape[2] : 1,
    outShape: outShape(cx, node),
  });
  return fusedActivation(cx, node, y, inputs, 2);
}

function matMulNode(cx: GraphCtx, node: TfNode, inputs: string[], args: (Value | null)[]): Value {
  const g = cx.g;
  const ta = node.attr?.transpose_a?.b ?? false;
  const tb = node.attr?.transpose_b?.b ?? false;
  const side = (i: number, transpose: boolean): string => {
    const v = args[i];
    if (v) {
      const n = g.asTf(v);
      return transpose ? g.op('Transpose', [n], { perm: attr.ints([1, 0]) }) : n;
    }
    const c = constOf(cx, inputs[i]);
    const data = Float32Array.from(c.data);
    return transpose
      ? g.weight(`${node.name}/w${i}`, transposeArray(data, c.shape, [1, 0]), [c.shape[1], c.shape[0]])
      : g.weight(`${node.name}/w${i}`, data, c.shape);
  };
  let y = g.op('MatMul', [side(0, ta), side(1, tb)]);
  const ops = node.op === '_FusedMatMul' ? strs(node.attr?.fused_ops) : [];
  if (ops[0] === 'BiasAdd') {
    const b = Float32Array.from(constOf(cx, inputs[2]).data);
    y = g.op('Add', [y, g.weight(`${node.name}/bias`, b, [b.length])]);
  }
  const v: Value = { name: y, perm: [0, 1], shape: outShape(cx, node) };
  return fusedActivation(cx, node, v, inputs, 2);
}

function binaryNode(cx: GraphCtx, node: TfNode, inputs: string[], args: (Value | null)[]): Value {
  const v = binaryOp(cx, node, inputs, args);
  return node.op === 'SquaredDifference' ? { ...v, name: cx.g.op('Mul', [v.name, v.name]) } : v;
}

function binaryOp(cx: GraphCtx, node: TfNode, inputs: string[], args: (Value | null)[]): Value {
  const op = BINARY_OPS[node.op];
  const shape = outShape(cx, node);
  const [a, b] = args;
  if (a && b) {
    const { names, perm } = alignLayouts(cx.g, [a, b]);
    return { name: cx.g.op(op, names), perm, shape };
  }
  if (a) return { ...a, name: cx.g.op(op, [a.name, constOperand(cx, constOf(cx, inputs[1]), a)]), shape };
  if (b) return { ...b, name: cx.g.op(op, [constOperand(cx, constOf(cx, inputs[0]), b), b.name]), shape };
  throw new Error('both operands are constants (fold them before exporting)');
}

function convertNode(cx: GraphCtx, node: TfNode, inputs: string[], args: (Value | null)[]): Value {
  const g = cx.g;
  const x = args[0] as Value;
  if (!x && !BINARY_OPS[node.op] && node.op !== 'MatMul' && node.op !== '_FusedMatMul') {
    throw new Error('its first input is a constant (fold it before exporting)');
  }
  const act = ACTIVATION_OPS[node.op];
  if (act) return emitActivation(g, x, act);
  if (UNARY_OPS[node.op]) return { ...x, name: g.op(UNARY_OPS[node.op], [x.name]) };
  if (BINARY_OPS[node.op]) return binaryNode(cx, node, inputs, args);
  const rank = x.perm.length;
  switch (node.op) {
    case 'Conv2D':
    case '_FusedConv2D':
      return convNode(cx, node, inputs, x, false);
    case 'DepthwiseConv2dNative':
    case 'FusedDepthwiseConv2dNative':
      return convNode(cx, node, inputs, x, true);
    case 'MatMul':
    case '_FusedMatMul':
      return matMulNode(cx, node, inputs, args);
    case 'BiasAdd': {
      const b = Float32Array.from(constOf(cx, inputs[1]).data);
      const axis = isNchw(node) ? 1 : rank - 1;
      return { ...x, name: g.op('Add', [x.name, channelConst(g, b, x, axis)]) };
    }
    case 'FusedBatchNorm':
    case 'FusedBatchNormV3': {
      const [scale, offset, mean, variance] = inputs.slice(1, 5).map((r) => constOf(cx, r).data);
      const eps = num(node.attr?.epsilon, 0.001);
      const s = new Float32Array(mean.length);
      const t = new Float32Array(mean.length);
      for (let c = 0; c < mean.length; c++) {
        s[c] = scale[c] / Math.sqrt(variance[c] + eps);
        t[c] = offset[c] - mean[c] * s[c];
      }
      const axis = isNchw(node) ? 1 : rank - 1;
      return {
        ...x,
        name: g.op('Add', [g.op('Mul', [x.name, channelConst(g, s, x, axis)]), channelConst(g, t, x, axis)]),
      };
    }
    case 'LeakyRelu':
      return { ...x, name: g.op('LeakyRelu', [x.name], { alpha: attr.float(num(node.attr?.alpha, 0.2)) }) };
    case 'Softmax':
      return emitActivation(g, x, 'softmax', -1);
    case 'LogSoftmax':
      return emitActivation(g, x, 'logSoftmax', -1);
    case 'Rsqrt':
      return { ...x, name: g.op('Reciprocal', [g.op('Sqrt', [x.name])]) };
    case 'Square':
      return { ...x, name: g.op('Mul', [x.name, x.name]) };
    case 'MaxPool':
    case 'AvgPool': {
      if (isNchw(node)) throw new Error('NCHW data_format');
      const ksize = ints(node.attr?.ksize).slice(1, 3);
      const strides = ints(node.attr?.strides).slice(1, 3);
      return emitPool(
        g,
        x,
        node.op === 'MaxPool' ? 'max' : 'avg',
        ksize,
        strides,
        padding(node),
        outShape(cx, node),
      );
    }
    case 'Mean':
    case 'Max':
    case 'Min':
    case 'Sum':
    case 'Prod': {
      const axes = Array.from(constOf(cx, inputs[1]).data).map((a) => (a < 0 ? a + rank : a));
      const keep = node.attr?.keep_dims?.b ?? false;
      const y = g.reduce(
        REDUCE_OPS[node.op],
        x.name,
        axes.map((a) => onnxAxis(x.perm, a)),
        keep,
      );
      return {
        name: y,
        perm: keep ? x.perm : permAfterRemovingAxes(x.perm, axes),
        shape: outShape(cx, node),
      };
    }
    case 'Reshape': {
      const target = Array.from(constOf(cx, inputs[1]).data);
      const y = g.op('Reshape', [g.asTf(x), g.constInt64(target)]);
      return { name: y, perm: identityPerm(target.length), shape: outShape(cx, node) };
    }
    case 'Squeeze': {
      let axes = ints(node.attr?.squeeze_dims).map((a) => (a < 0 ? a + rank : a));
      if (axes.length === 0) {
        axes = shapeOf(cx, inputs[0]).flatMap((d, i) => (d === 1 && i > 0 ? [i] : []));
      }
      const y = g.squeeze(
        x.name,
        axes.map((a) => onnxAxis(x.perm, a)),
      );
      return { name: y, perm: permAfterRemovingAxes(x.perm, axes), shape: outShape(cx, node) };
    }
    case 'ExpandDims': {
      const d = Number(constOf(cx, inputs[1]).data[0]);
      const axis = d < 0 ? d + rank + 1 : d;
      return {
        name: g.unsqueeze(g.asTf(x), [axis]),
        perm: identityPerm(rank + 1),
        shape: outShape(cx, node),
      };
    }
    case 'ConcatV2': {
      const parts = args.slice(0, -1).map((a, i) => a ?? { ...convert(cx, inputs[i]) });
      const { names, perm } = alignLayouts(g, parts as Value[]);
      const a = Number(constOf(cx, inputs[inputs.length - 1]).data[0]);
      return {
        name: g.op('Concat', names, { axis: attr.int(onnxAxis(perm, a)) }),
        perm,
        shape: outShape(cx, node),
      };
    }
    case 'Pad':
    case 'PadV2': {
      const p = Array.from(constOf(cx, inputs[1]).data); // [rank, 2] in TF order
      const pads = [...x.perm.map((d) => p[2 * d]), ...x.perm.map((d) => p[2 * d + 1])];
      const padInputs = [x.name, g.constInt64(pads)];
      if (node.op === 'PadV2') padInputs.push(g.constFloat([Number(constOf(cx, inputs[2]).data[0])], []));
      return {
        ...x,
        name: g.op('Pad', padInputs, { mode: attr.str('constant') }),
        shape: outShape(cx, node),
      };
    }
    case 'Transpose': {
      const P = Array.from(constOf(cx, inputs[1]).data);
      // Relabel only: the ONNX tensor stays where it is.
      return { name: x.name, perm: x.perm.map((d) => P.indexOf(d)), shape: outShape(cx, node) };
    }
    default:
      throw new Error(`op ${node.op} has no converter`);
  }
}
