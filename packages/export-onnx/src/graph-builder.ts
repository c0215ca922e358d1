import {
  type AttributeProtoObject,
  AttributeType,
  DataType,
  type NodeProtoObject,
  type TensorProtoObject,
  type ValueInfoProtoObject,
} from '@hcr/onnx-proto';
import { channelsFirstPerm, identityPerm, type Perm, samePerm, transposeBetween } from './layout.js';

/** A converted tensor: its ONNX name, how its dims map to TensorFlow's, and its TF-order static shape. */
export interface Value {
  name: string;
  /** ONNX dimension i holds TensorFlow dimension perm[i]. */
  perm: number[];
  /** TensorFlow-order shape; null where unknown (the batch dimension). */
  shape: (number | null)[];
}

export type Attr = Omit<AttributeProtoObject, 'name'>;
export const attr = {
  int: (i: number): Attr => ({ type: AttributeType.INT, i }),
  ints: (ints: readonly number[]): Attr => ({ type: AttributeType.INTS, ints: [...ints] }),
  float: (f: number): Attr => ({ type: AttributeType.FLOAT, f }),
  floats: (floats: readonly number[]): Attr => ({ type: AttributeType.FLOATS, floats: [...floats] }),
  str: (s: string): Attr => ({ type: AttributeType.STRING, s: new TextEncoder().encode(s) }),
  strs: (strs: readonly string[]): Attr => ({
    type: AttributeType.STRINGS,
    strings: strs.map((s) => new TextEncoder().encode(s)),
  }),
};

/** Lowest and highest ONNX opset we emit; 17 is the default (ORT >= 1.12, every current runtime). */
export const MIN_OPSET = 13;
export const MAX_OPSET = 21;
export const DEFAULT_OPSET = 17;

/** IR version that goes with an opset (ONNX versioning table). */
export function irVersionFor(opset: number): number {
  if (opset <= 14) return 7;
  if (opset <= 18) return 8;
  if (opset <= 20) return 9;
  return 10;
}

function bytesOf(data: ArrayBufferView): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * Collects nodes and initializers for one ONNX graph and knows the opset-dependent spelling of ops.
 * Converters set `source` before emitting, so every node's doc string names the layer or TF node it
 * came from.
 */
export class OnnxGraphBuilder {
  readonly nodes: NodeProtoObject[] = [];
  readonly initializers: TensorProtoObject[] = [];
  readonly inputs: ValueInfoProtoObject[] = [];
  readonly outputs: ValueInfoProtoObject[] = [];
  /** Doc string put on the nodes being emitted (e.g. `layer conv2d_1 (Conv2D)`). */
  source = '';
  /** Prefix for node names, the source layer or TF node name. */
  scope = 'graph';
  transposeCount = 0;
  paramCount = 0;
  private readonly used = new Set<string>();
  private readonly transposes = new Map<string, string>();
  private readonly smallConsts = new Map<string, string>();
  private readonly weights = new Map<string, string>();

  constructor(readonly opset: number) {}

  /** A name not used yet in this graph, derived from `base`. */
  unique(base: string): string {
    let name = base;
    for (let k = 1; this.used.has(name); k++) name = `${base}_${k}`;
    this.used.add(name);
    return name;
  }

  reserve(name: string): void {
    this.used.add(name);
  }

  /** Emit one node; returns its output names. */
  node(op: string, inputs: string[], attrs: Record<string, Attr> = {}, outputs = 1): string[] {
    const name = this.unique(`${this.scope}/${op}`);
    const outs = Array.from({ length: outputs }, (_, k) =>
      this.unique(outputs === 1 ? name : `${name}:${k}`),
    );
    this.nodes.push({
      name,
      op_type: op,
      input: inputs,
      output: outs,
      attribute: Object.entries(attrs).map(([n, a]) => ({ name: n, ...a })),
      doc_string: this.source,
    });
    return outs;
  }

  /** Emit a one-output node. */
  op(op: string, inputs: string[], attrs: Record<string, Attr> = {}): string {
    return this.node(op, inputs, attrs)[0];
  }

  /**
   * A trainable weight as an initializer, counted in paramCount (`params` of its values, when some are
   * padding the ONNX op wants, such as a recurrent op's zero recurrence bias).
   */
  weight(base: string, data: Float32Array, dims: readonly number[], params = data.length): string {
    // A shared layer (or a nested model called twice) asks again under the same name: store it once.
    const hit = this.weights.get(base);
    if (hit) return hit;
    this.paramCount += params;
    const name = this.tensor(base, DataType.FLOAT, data, dims);
    this.weights.set(base, name);
    return name;
  }

  /** A float constant (not counted as a parameter). */
  constFloat(values: Float32Array | readonly number[], dims: readonly number[] = [values.length]): string {
    const data = values instanceof Float32Array ? values : Float32Array.from(values);
    if (data.length <= 16) {
      const key = `f|${dims}|${Array.from(data)}`;
      const hit = this.smallConsts.get(key);
      if (hit) return hit;
      const name = this.tensor('const_f', DataType.FLOAT, data, dims);
      this.smallConsts.set(key, name);
      return name;
    }
    return this.tensor('const_f', DataType.FLOAT, data, dims);
  }

  /** An int64 constant (shapes, axes, pads), shared between nodes that need the same one. */
  constInt64(values: readonly number[], dims: readonly number[] = [values.length]): string {
    const key = `i|${dims}|${values}`;
    const hit = this.smallConsts.get(key);
    if (hit) return hit;
    const name = this.tensor('const_i64', DataType.INT64, BigInt64Array.from(values.map(BigInt)), dims);
    this.smallConsts.set(key, name);
    return name;
  }

  private tensor(base: string, dataType: number, data: ArrayBufferView, dims: readonly number[]): string {
    const name = this.unique(base);
    this.initializers.push({ name, dims: [...dims], data_type: dataType, raw_data: bytesOf(data) });
    return name;
  }

  addInput(name: string, dims: (number | string)[]): void {
    this.inputs.push(valueInfo(name, dims));
  }

  addOutput(name: string, dims: (number | string)[]): void {
    this.outputs.push(valueInfo(name, dims));
  }

  /** The ONNX name of `v` stored with perm `perm`, inserting (and caching) one Transpose if needed. */
  toPerm(v: Value, perm: Perm): string {
    if (samePerm(v.perm, perm)) return v.name;
    const key = `${v.name}|${perm}`;
    const hit = this.transposes.get(key);
    if (hit) return hit;
    const out = this.op('Transpose', [v.name], { perm: attr.ints(transposeBetween(v.perm, perm)) });
    this.transposeCount++;
    this.transposes.set(key, out);
    return out;
  }

  /** `v` in TensorFlow's own dimension order. */
  asTf(v: Value): string {
    return this.toPerm(v, identityPerm(v.perm.length));
  }

  /** `v` with channels (TF's last axis) second, as ONNX Conv/Pool/Resize want. */
  asChannelsFirst(v: Value): string {
    return this.toPerm(v, channelsFirstPerm(v.perm.length));
  }

  /** ReduceMean/ReduceMax/...: axes moved from attribute to input in opset 18 (ReduceSum in 13). */
  reduce(op: string, x: string, axes: readonly number[], keepdims: boolean): string {
    const axesAsInput = op === 'ReduceSum' ? this.opset >= 13 : this.opset >= 18;
    const k = attr.int(keepdims ? 1 : 0);
    if (axesAsInput) return this.op(op, [x, this.constInt64(axes)], { keepdims: k });
    return this.op(op, [x], { axes: attr.ints(axes), keepdims: k });
  }

  unsqueeze(x: string, axes: readonly number[]): string {
    return this.op('Unsqueeze', [x, this.constInt64(axes)]);
  }

  squeeze(x: string, axes: readonly number[]): string {
    return this.op('Squeeze', [x, this.constInt64(axes)]);
  }

  /** Clip with optional bounds (opset >= 11 takes them as inputs). */
  clip(x: string, min: number | null, max: number | null): string {
    const inputs = [
      x,
      min === null ? '' : this.constFloat([min], []),
      max === null ? '' : this.constFloat([max], []),
    ];
    while (inputs[inputs.length - 1] === '') inputs.pop();
    return this.op('Clip', inputs);
  }

  mulScalar(x: string, k: number): string {
    return k === 1 ? x : this.op('Mul', [x, this.constFloat([k], [])]);
  }

  addScalar(x: string, k: number): string {
    return k === 0 ? x : this.op('Add', [x, this.constFloat([k], [])]);
  }
}

function valueInfo(name: string, dims: (number | string)[]): ValueInfoProtoObject {
  return {
    name,
    type: {
      tensor_type: {
        elem_type: DataType.FLOAT,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d })) },
      },
    },
  };
}
