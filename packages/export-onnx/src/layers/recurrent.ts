/**
 * Recurrent layers: SimpleRNN, GRU and LSTM (alone or inside Bidirectional) -> the ONNX RNN, GRU and LSTM
 * ops, one node per layer. ONNX runs them time-major (X [time, batch, features], layout 0; the layout 1
 * of opset 14 is not in opset 13, and onnxruntime's CPU kernels refuse it), which the layout bookkeeping
 * records as perm [1, 0, 2]: the input pays one Transpose, and the output stays time-major until a layer
 * needs TF order, so stacked recurrent layers pay none between them. Batch and time stay symbolic.
 */

import type { OnnxGraphBuilder, Value } from '../graph-builder.js';
import { attr } from '../graph-builder.js';
import { transposeArray } from '../layout.js';
import { type LayerContext, type LayerConverter, weightOf } from './layer-converters.js';

// biome-ignore lint/suspicious/noExplicitAny: tfjs layers expose their cells and weights as untyped fields
type AnyLayer = any;
// biome-ignore lint/suspicious/noExplicitAny: layer configs are free-form JSON
type Config = Record<string, any>;
type Shape = (number | null)[];

/** tfjs [batch, time, features] held as ONNX [time, batch, features]. */
const TIME_MAJOR = [1, 0, 2];

interface RecurrentOp {
  op: 'RNN' | 'GRU' | 'LSTM';
  /** For each ONNX gate block, the Keras block it is taken from. */
  gateOrder: number[];
  /** ONNX outputs (Y 0, Y_h 1, Y_c 2) that hold the states, in tfjs' returnState order. */
  stateOutputs: number[];
  /** The cell's activations in the ONNX op's order (f, g, h). */
  activations: (config: Config) => string[];
}

const RECURRENT_OPS: Record<string, RecurrentOp> = {
  SimpleRNN: { op: 'RNN', gateOrder: [0], stateOutputs: [1], activations: (c) => [c.activation] },
  // Keras z, r, h is ONNX's order. tfjs 4.22 has no resetAfter (its GRUCell throws on it): the reset gate
  // applies before the recurrent product, which is ONNX's linear_before_reset 0 (the default).
  GRU: {
    op: 'GRU',
    gateOrder: [0, 1, 2],
    stateOutputs: [1],
    activations: (c) => [c.recurrentActivation, c.activation],
  },
  // Keras i, f, c, o -> ONNX i, o, f, c
  LSTM: {
    op: 'LSTM',
    gateOrder: [0, 3, 1, 2],
    stateOutputs: [1, 2],
    activations: (c) => [c.recurrentActivation, c.activation, c.activation],
  },
};

/**
 * tfjs activations the ONNX recurrent ops offer with the same constants. HardSigmoid's ONNX defaults
 * (alpha 0.2, beta 0.5) are tfjs' hardSigmoid (0.2x + 0.5 clipped), and Elu's (alpha 1) tfjs' elu, so no
 * activation_alpha/activation_beta is written.
 */
const ONNX_RECURRENT_ACTIVATIONS: Record<string, string> = {
  tanh: 'Tanh',
  sigmoid: 'Sigmoid',
  hardSigmoid: 'HardSigmoid',
  relu: 'Relu',
  elu: 'Elu',
  softsign: 'Softsign',
  softplus: 'Softplus',
};

/** Refuse what one ONNX node cannot reproduce; the messages name the option. */
function assertExportable(cls: string, config: Config, inputs: Value[]): void {
  if (config.stateful) {
    throw new Error(
      'stateful: true is not supported (ONNX cannot carry the state from one call to the next); rebuild the layer with stateful: false and copy its weights',
    );
  }
  if (inputs.length > 1) throw new Error('initial states given as inputs (initialState) are not supported');
  if (inputs[0].perm.length !== 3) throw new Error(`expected a [batch, time, features] input`);
  for (const a of RECURRENT_OPS[cls].activations(config)) {
    if (!(a in ONNX_RECURRENT_ACTIVATIONS)) {
      throw new Error(
        `activation '${a}' has no ONNX ${RECURRENT_OPS[cls].op} equivalent (supported: ${Object.keys(ONNX_RECURRENT_ACTIVATIONS).join(', ')})`,
      );
    }
  }
}

/** Split `data` into equal consecutive blocks (one per gate) and lay them out in ONNX's gate order. */
function reorderGates(data: Float32Array, order: readonly number[]): Float32Array {
  const n = data.length / order.length;
  const out = new Float32Array(data.length);
  order.forEach((from, to) => {
    out.set(data.subarray(from * n, (from + 1) * n), to * n);
  });
  return out;
}

function concatArrays(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * One direction's ONNX weights from a tfjs cell: kernel [in, G*H] -> W [G*H, in], recurrent kernel
 * [H, G*H] -> R [G*H, H] (ONNX multiplies by their transposes), blocks in ONNX gate order.
 */
function directionWeights(cell: AnyLayer, spec: RecurrentOp) {
  const k = weightOf(cell, 'kernel')!;
  const rk = weightOf(cell, 'recurrentKernel')!;
  const bias = weightOf(cell, 'bias');
  return {
    w: reorderGates(transposeArray(k.data, k.shape, [1, 0]), spec.gateOrder),
    r: reorderGates(transposeArray(rk.data, rk.shape, [1, 0]), spec.gateOrder),
    bias: bias && reorderGates(bias.data, spec.gateOrder),
  };
}

/**
 * The ONNX node for one tfjs recurrent layer (`cells`: one per direction, forward first) on the
 * time-major input `x`. Returns its outputs: Y [T, D, N, H], Y_h [D, N, H] (and Y_c for an LSTM).
 */
function emitRecurrent(
  g: OnnxGraphBuilder,
  spec: RecurrentOp,
  config: Config,
  cells: AnyLayer[],
  x: string,
): string[] {
  const units: number = config.units;
  const rows = units * spec.gateOrder.length;
  const dirs = cells.map((c) => directionWeights(c, spec));
  const D = dirs.length;
  const inputs = [
    x,
    g.weight(`${g.scope}/W`, concatArrays(dirs.map((d) => d.w)), [D, rows, dirs[0].w.length / rows]),
    g.weight(`${g.scope}/R`, concatArrays(dirs.map((d) => d.r)), [D, rows, units]),
  ];
  if (config.useBias) {
    // B = [Wb, Rb] per direction; tfjs has one bias per gate, so Rb is zero (and not a parameter).
    const b = concatArrays(dirs.flatMap((d) => [d.bias as Float32Array, new Float32Array(rows)]));
    inputs.push(g.weight(`${g.scope}/B`, b, [D, 2 * rows], D * rows));
  }
  const activations = spec.activations(config).map((a) => ONNX_RECURRENT_ACTIVATIONS[a]);
  return g.node(
    spec.op,
    inputs,
    {
      hidden_size: attr.int(units),
      direction: attr.str(D === 2 ? 'bidirectional' : 'forward'),
      activations: attr.strs(dirs.flatMap(() => activations)),
    },
    spec.op === 'LSTM' ? 3 : 2,
  );
}

/** `x` reversed along its first axis (time, when time-major): Slice from the end with step -1. */
function reverseTime(g: OnnxGraphBuilder, x: string): string {
  // an end far before the start: Slice clamps it to "past the first element" for a negative step
  const pastTheStart = g.constInt64([-(2 ** 62)]);
  return g.op('Slice', [x, g.constInt64([-1]), pastTheStart, g.constInt64([0]), g.constInt64([-1])]);
}

/** Direction `d` of an ONNX output that stacks the directions on `axis` (Y: 1, Y_h and Y_c: 0). */
function pickDirection(g: OnnxGraphBuilder, stacked: string, axis: number, d: number): string {
  return g.op('Gather', [stacked, g.constInt64([d], [])], { axis: attr.int(axis) });
}

/** Direction `d`'s states (h, and c for an LSTM), each [batch, units], in tfjs' order. */
function directionStates(
  g: OnnxGraphBuilder,
  spec: RecurrentOp,
  outs: string[],
  d: number,
  shapes: Shape[],
): Value[] {
  return spec.stateOutputs.map((k, i) => ({
    name: pickDirection(g, outs[k], 0, d),
    perm: [0, 1],
    shape: shapes[i],
  }));
}

/** SimpleRNN, GRU, LSTM. `goBackwards` reverses the input: tfjs then emits the steps in that order too. */
function recurrent(ctx: LayerContext): Value[] {
  const { g, layer, config, inputs } = ctx;
  const cls: string = layer.getClassName();
  assertExportable(cls, config, inputs);
  const spec = RECURRENT_OPS[cls];
  let x = g.toPerm(inputs[0], TIME_MAJOR);
  if (config.goBackwards) x = reverseTime(g, x);
  const outs = emitRecurrent(g, spec, config, [layer.cell], x);
  const shape = ctx.outputShapes[0];
  const output: Value = config.returnSequences
    ? { name: pickDirection(g, outs[0], 1, 0), perm: TIME_MAJOR, shape }
    : { name: pickDirection(g, outs[1], 0, 0), perm: [0, 1], shape };
  if (!config.returnState) return [output];
  return [output, ...directionStates(g, spec, outs, 0, ctx.outputShapes.slice(1))];
}

/** [2, ...] directions -> one tensor with the forward then the backward features on the last axis. */
function concatDirections(g: OnnxGraphBuilder, stacked: string, returnSequences: boolean): string {
  // Y [T, 2, N, H] -> [T, N, 2, H] -> [T, N, 2H]; Y_h [2, N, H] -> [N, 2, H] -> [N, 2H]
  const swapped = g.op('Transpose', [stacked], {
    perm: attr.ints(returnSequences ? [0, 2, 1, 3] : [1, 0, 2]),
  });
  g.transposeCount++;
  return g.op('Reshape', [swapped, g.constInt64(returnSequences ? [0, 0, -1] : [0, -1])]);
}

/** Bidirectional's merged output(s) from the stacked directions, as tfjs' mergeMode says. */
function mergeDirections(ctx: LayerContext, outs: string[], returnSequences: boolean): Value[] {
  const { g, config, outputShapes } = ctx;
  // ONNX's backward direction writes step t at t, which is tfjs' reversed backward output.
  const stacked = returnSequences ? outs[0] : outs[1];
  const axis = returnSequences ? 1 : 0;
  const value = (name: string, k = 0): Value => ({
    name,
    perm: returnSequences ? TIME_MAJOR : [0, 1],
    shape: outputShapes[k],
  });
  const reduce = (op: string) => [value(g.reduce(op, stacked, [axis], false))];
  switch (config.mergeMode) {
    case 'concat':
      return [value(concatDirections(g, stacked, returnSequences))];
    case 'sum':
      return reduce('ReduceSum');
    case 'ave':
      return reduce('ReduceMean');
    case 'mul':
      return reduce('ReduceProd');
    case null:
    case undefined:
      return [0, 1].map((d) => value(pickDirection(g, stacked, axis, d), d));
    default:
      throw new Error(`mergeMode '${config.mergeMode}' is not supported`);
  }
}

/** Bidirectional around SimpleRNN/GRU/LSTM: one ONNX node with direction 'bidirectional'. */
function bidirectional(ctx: LayerContext): Value[] {
  const { g, layer, inputs } = ctx;
  const inner: Config = ctx.config.layer.config;
  const cls: string = ctx.config.layer.className;
  if (!RECURRENT_OPS[cls]) throw new Error(`Bidirectional around ${cls} is not supported`);
  assertExportable(cls, inner, inputs);
  if (inner.goBackwards) {
    throw new Error(
      'Bidirectional around a layer with goBackwards: true is not supported (its forward half runs backwards)',
    );
  }
  const spec = RECURRENT_OPS[cls];
  const x = g.toPerm(inputs[0], TIME_MAJOR);
  const outs = emitRecurrent(g, spec, inner, [layer.forwardLayer.cell, layer.backwardLayer.cell], x);
  const merged = mergeDirections(ctx, outs, inner.returnSequences);
  if (!inner.returnState) return merged;
  // tfjs: the merged output(s), the forward layer's states, then the backward layer's
  const n = spec.stateOutputs.length;
  const shapesFrom = (at: number) => ctx.outputShapes.slice(at, at + n);
  return [
    ...merged,
    ...directionStates(g, spec, outs, 0, shapesFrom(merged.length)),
    ...directionStates(g, spec, outs, 1, shapesFrom(merged.length + n)),
  ];
}

/** The recurrent classes the exporter converts, by tfjs class name. */
export const RECURRENT_CONVERTERS: Record<string, LayerConverter> = {
  SimpleRNN: recurrent,
  GRU: recurrent,
  LSTM: recurrent,
  Bidirectional: bidirectional,
};
