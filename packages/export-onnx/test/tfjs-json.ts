/**
 * Writers for model.json files in the public tfjs formats, the way tensorflowjs_converter lays them out
 * (so tests cover Python-made models without Python): weights in a seeded random stream, split over
 * two shards at an arbitrary byte to exercise shard concatenation.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRng } from '@hcr/core';

export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  /** Explicit values (int constants, BN variances); random floats otherwise. */
  values?: number[];
  range?: [number, number];
}

function rng(seed: number): () => number {
  return createRng(0, seed >>> 0).next;
}

export function writeTfjsModel(
  dir: string,
  json: Record<string, unknown>,
  weights: WeightSpec[],
  seed = 1,
): void {
  mkdirSync(dir, { recursive: true });
  const next = rng(seed);
  const chunks: Uint8Array[] = [];
  for (const w of weights) {
    const n = w.shape.reduce((a, b) => a * b, 1);
    const [lo, hi] = w.range ?? [-0.5, 0.5];
    const arr = w.dtype === 'int32' ? new Int32Array(n) : new Float32Array(n);
    for (let i = 0; i < n; i++) arr[i] = w.values ? w.values[i] : lo + (hi - lo) * next();
    chunks.push(new Uint8Array(arr.buffer));
  }
  const all = Buffer.concat(chunks);
  const cut = Math.floor(all.length / 2) + 1; // not on a tensor boundary
  writeFileSync(join(dir, 'group1-shard1of2.bin'), all.subarray(0, cut));
  writeFileSync(join(dir, 'group1-shard2of2.bin'), all.subarray(cut));
  const manifest = [
    {
      paths: ['group1-shard1of2.bin', 'group1-shard2of2.bin'],
      weights: weights.map(({ name, shape, dtype }) => ({ name, shape, dtype })),
    },
  ];
  writeFileSync(join(dir, 'model.json'), JSON.stringify({ ...json, weightsManifest: manifest }));
}

/** A Keras 2 Functional model as tensorflowjs_converter writes it (snake_case configs, inbound_nodes). */
export function kerasFunctionalJson(): { json: Record<string, unknown>; weights: WeightSpec[] } {
  const conv = (
    name: string,
    filters: number,
    kernel: number,
    strides: number,
    padding: string,
    act: string,
  ) => ({
    class_name: 'Conv2D',
    config: {
      name,
      trainable: true,
      dtype: 'float32',
      filters,
      kernel_size: [kernel, kernel],
      strides: [strides, strides],
      padding,
      data_format: 'channels_last',
      dilation_rate: [1, 1],
      groups: 1,
      activation: act,
      use_bias: true,
      kernel_initializer: { class_name: 'GlorotUniform', config: { seed: null } },
      bias_initializer: { class_name: 'Zeros', config: {} },
      kernel_regularizer: null,
      bias_regularizer: null,
      activity_regularizer: null,
      kernel_constraint: null,
      bias_constraint: null,
    },
  });
  const node = (...from: string[]) => [from.map((f) => [f, 0, 0, {}])];
  const layers = [
    {
      class_name: 'InputLayer',
      config: {
        batch_input_shape: [null, 12, 12, 1],
        dtype: 'float32',
        sparse: false,
        ragged: false,
        name: 'input_1',
      },
      name: 'input_1',
      inbound_nodes: [],
    },
    { ...conv('conv2d', 4, 3, 2, 'same', 'relu'), name: 'conv2d', inbound_nodes: node('input_1') },
    {
      class_name: 'BatchNormalization',
      config: {
        name: 'batch_normalization',
        trainable: true,
        dtype: 'float32',
        axis: 3,
        momentum: 0.99,
        epsilon: 0.001,
        center: true,
        scale: true,
        beta_initializer: { class_name: 'Zeros', config: {} },
        gamma_initializer: { class_name: 'Ones', config: {} },
        moving_mean_initializer: { class_name: 'Zeros', config: {} },
        moving_variance_initializer: { class_name: 'Ones', config: {} },
        beta_regularizer: null,
        gamma_regularizer: null,
        beta_constraint: null,
        gamma_constraint: null,
      },
      name: 'batch_normalization',
      inbound_nodes: node('conv2d'),
    },
    {
      ...conv('conv2d_1', 4, 3, 1, 'same', 'linear'),
      name: 'conv2d_1',
      inbound_nodes: node('batch_normalization'),
    },
    {
      class_name: 'Add',
      config: { name: 'add', trainable: true, dtype: 'float32' },
      name: 'add',
      inbound_nodes: node('batch_normalization', 'conv2d_1'),
    },
    {
      class_name: 'MaxPooling2D',
      config: {
        name: 'max_pooling2d',
        trainable: true,
        dtype: 'float32',
        pool_size: [2, 2],
        padding: 'valid',
        strides: [2, 2],
        data_format: 'channels_last',
      },
      name: 'max_pooling2d',
      inbound_nodes: node('add'),
    },
    {
      class_name: 'Flatten',
      config: { name: 'flatten', trainable: true, dtype: 'float32', data_format: 'channels_last' },
      name: 'flatten',
      inbound_nodes: node('max_pooling2d'),
    },
    {
      class_name: 'Dense',
      config: {
        name: 'dense',
        trainable: true,
        dtype: 'float32',
        units: 5,
        activation: 'softmax',
        use_bias: true,
        kernel_initializer: { class_name: 'GlorotUniform', config: { seed: null } },
        bias_initializer: { class_name: 'Zeros', config: {} },
        kernel_regularizer: null,
        bias_regularizer: null,
        activity_regularizer: null,
        kernel_constraint: null,
        bias_constraint: null,
      },
      name: 'dense',
      inbound_nodes: node('flatten'),
    },
  ];
  const json = {
    format: 'layers-model',
    generatedBy: 'keras v2.13.1',
    convertedBy: 'TensorFlow.js Converter v4.22.0',
    modelTopology: {
      keras_version: '2.13.1',
      backend: 'tensorflow',
      model_config: {
        class_name: 'Functional',
        config: {
          name: 'model',
          layers,
          input_layers: [['input_1', 0, 0]],
          output_layers: [['dense', 0, 0]],
        },
      },
    },
  };
  const weights: WeightSpec[] = [
    { name: 'batch_normalization/gamma', shape: [4], dtype: 'float32', range: [0.5, 1.5] },
    { name: 'batch_normalization/beta', shape: [4], dtype: 'float32' },
    { name: 'batch_normalization/moving_mean', shape: [4], dtype: 'float32' },
    { name: 'batch_normalization/moving_variance', shape: [4], dtype: 'float32', range: [0.5, 2] },
    { name: 'conv2d/kernel', shape: [3, 3, 1, 4], dtype: 'float32' },
    { name: 'conv2d/bias', shape: [4], dtype: 'float32' },
    { name: 'conv2d_1/kernel', shape: [3, 3, 4, 4], dtype: 'float32' },
    { name: 'conv2d_1/bias', shape: [4], dtype: 'float32' },
    { name: 'dense/kernel', shape: [36, 5], dtype: 'float32' },
    { name: 'dense/bias', shape: [5], dtype: 'float32' },
  ];
  return { json, weights };
}

const b64 = (s: string) => Buffer.from(s).toString('base64');
const ilist = (xs: number[]) => ({ list: { i: xs.map(String) } });
const F = { type: 'DT_FLOAT' };

/** Builds a GraphDef-in-JSON (tfjs graph-model format) node by node. */
export class GraphJsonBuilder {
  readonly nodes: Record<string, unknown>[] = [];
  readonly weights: WeightSpec[] = [];

  placeholder(name: string, shape: number[]): string {
    this.nodes.push({
      name,
      op: 'Placeholder',
      attr: { dtype: F, shape: { shape: { dim: shape.map((d) => ({ size: String(d) })) } } },
    });
    return name;
  }

  const(name: string, shape: number[], opts: Partial<WeightSpec> = {}): string {
    const dtype = opts.dtype ?? 'float32';
    this.nodes.push({
      name,
      op: 'Const',
      attr: {
        value: {
          tensor: {
            dtype: dtype === 'int32' ? 'DT_INT32' : 'DT_FLOAT',
            tensorShape: { dim: shape.map((d) => ({ size: String(d) })) },
          },
        },
        dtype: { type: dtype === 'int32' ? 'DT_INT32' : 'DT_FLOAT' },
      },
    });
    this.weights.push({ name, shape, dtype, ...opts });
    return name;
  }

  ints(name: string, values: number[], shape = [values.length]): string {
    return this.const(name, shape, { dtype: 'int32', values });
  }

  op(name: string, op: string, input: string[], attr: Record<string, unknown> = {}): string {
    this.nodes.push({ name, op, input, attr: { T: F, ...attr } });
    return name;
  }

  conv(
    name: string,
    op: string,
    x: string,
    w: string,
    args: string[],
    o: { strides?: number; padding?: string; fused?: string[] } = {},
  ): string {
    const s = o.strides ?? 1;
    const attr: Record<string, unknown> = {
      strides: ilist([1, s, s, 1]),
      padding: { s: b64(o.padding ?? 'SAME') },
      data_format: { s: b64('NHWC') },
      dilations: ilist([1, 1, 1, 1]),
      explicit_paddings: { list: {} },
    };
    if (o.fused) {
      attr.fused_ops = { list: { s: o.fused.map(b64) } };
      attr.num_args = { i: String(args.length) };
      attr.epsilon = { f: 0 };
    }
    return this.op(name, op, [x, w, ...args], attr);
  }

  json(): Record<string, unknown> {
    return {
      format: 'graph-model',
      generatedBy: '2.13.0',
      convertedBy: 'TensorFlow.js Converter v4.22.0',
      modelTopology: { node: this.nodes, library: {}, versions: { producer: 1482 } },
    };
  }
}

export const attrs = { b64, ilist };
