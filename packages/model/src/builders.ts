import { HcrError, NUM_CLASSES } from '@hcr/core';
import * as tf from '@tensorflow/tfjs-layers';

/** Input of every hcr model: one 28x28 grey image, NHWC without the batch dimension. */
export const INPUT_SHAPE: [number, number, number] = [28, 28, 1];

export interface BuildOptions {
  /** Seed of the weight initialisers: the same seed builds bit-identical replicas in every worker. */
  seed?: number;
  /** Dropout rate for architectures that use dropout (hcrnet). */
  dropout?: number;
  /** hcrnet only: conv widths per stage (stages at 28, 14, 7 pixels). */
  stages?: number[][];
  /** Output classes: the label space's size (36 by default, 47 or 62). */
  classes?: number;
}

/** hcrnet's conv widths per stage, chosen by measured cost per image on this machine (see README). */
export const HCRNET_STAGES: number[][] = [[32], [64], [128]];

export type ModelBuilder = (opts: BuildOptions) => tf.LayersModel;

/** A fresh seed per layer, so layers of the same shape do not start with the same weights. */
function seeder(seed: number) {
  let i = 0;
  return () => ({
    kernelInitializer: tf.initializers.glorotUniform({ seed: seed * 1000 + i++ }),
    biasInitializer: 'zeros' as const,
  });
}

function heInit(seed: number) {
  let i = 0;
  return () => tf.initializers.heNormal({ seed: seed * 1000 + i++ });
}

/**
 * The seed's reference network, exactly: Conv 32 3x3 same + ReLU + MaxPool 2, Conv 64 3x3 same + ReLU +
 * MaxPool 2, Flatten, Dense 128 + ReLU, Dense 36 (the label space's size) + softmax. Our baseline and benchmark subject.
 */
export function buildSeed({ seed = 1, classes = NUM_CLASSES }: BuildOptions = {}): tf.LayersModel {
  const init = seeder(seed);
  const input = tf.input({ shape: INPUT_SHAPE, name: 'image' });
  let x = tf.layers
    .conv2d({ filters: 32, kernelSize: 3, padding: 'same', activation: 'relu', name: 'conv1', ...init() })
    .apply(input) as tf.SymbolicTensor;
  x = tf.layers.maxPooling2d({ poolSize: 2, name: 'pool1' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers
    .conv2d({ filters: 64, kernelSize: 3, padding: 'same', activation: 'relu', name: 'conv2', ...init() })
    .apply(x) as tf.SymbolicTensor;
  x = tf.layers.maxPooling2d({ poolSize: 2, name: 'pool2' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.flatten({ name: 'flatten' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers
    .dense({ units: 128, activation: 'relu', name: 'fc1', ...init() })
    .apply(x) as tf.SymbolicTensor;
  x = tf.layers.dense({ units: classes, name: 'logits', ...init() }).apply(x) as tf.SymbolicTensor;
  const probs = tf.layers.activation({ activation: 'softmax', name: 'probs' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: probs, name: 'seed' });
}

/**
 * hcrnet: a small VGG with batch norm. Three stages at 28/14/7 pixels (widths 32/64/128, one 3x3 conv +
 * batch norm + ReLU + 2x2 max-pool each), dropout, Dense 256 + batch norm + ReLU, dropout, Dense 36 (47, 62: the label space's size).
 * The conv layers carry no bias (batch norm has one). Widths were chosen by measured training cost on
 * the wasm engine: 249 images/s per thread vs 160 for a second 128-wide conv (see packages/train README).
 */
export function buildHcrnet({
  seed = 1,
  dropout = 0.25,
  stages = HCRNET_STAGES,
  classes = NUM_CLASSES,
}: BuildOptions = {}): tf.LayersModel {
  const he = heInit(seed);
  const input = tf.input({ shape: INPUT_SHAPE, name: 'image' });
  let n = 0;
  const convBnRelu = (x: tf.SymbolicTensor, filters: number): tf.SymbolicTensor => {
    n++;
    let y = tf.layers
      .conv2d({
        filters,
        kernelSize: 3,
        padding: 'same',
        useBias: false,
        kernelInitializer: he(),
        name: `conv${n}`,
      })
      .apply(x) as tf.SymbolicTensor;
    y = tf.layers.batchNormalization({ momentum: 0.9, name: `bn${n}` }).apply(y) as tf.SymbolicTensor;
    return tf.layers.activation({ activation: 'relu', name: `relu${n}` }).apply(y) as tf.SymbolicTensor;
  };
  const pool = (x: tf.SymbolicTensor, i: number) =>
    tf.layers.maxPooling2d({ poolSize: 2, name: `pool${i}` }).apply(x) as tf.SymbolicTensor;
  // Stages at 28, 14 and 7 pixels; each ends in a 2x2 max-pool (28 -> 14 -> 7 -> 3).
  let x: tf.SymbolicTensor = input;
  for (const [i, stage] of stages.entries()) {
    for (const filters of stage) x = convBnRelu(x, filters);
    x = pool(x, i + 1);
  }
  x = tf.layers.flatten({ name: 'flatten' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.dropout({ rate: dropout, name: 'drop1', seed }).apply(x) as tf.SymbolicTensor;
  x = tf.layers
    .dense({ units: 256, useBias: false, kernelInitializer: he(), name: 'fc1' })
    .apply(x) as tf.SymbolicTensor;
  x = tf.layers.batchNormalization({ momentum: 0.9, name: 'bn_fc1' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.activation({ activation: 'relu', name: 'relu_fc1' }).apply(x) as tf.SymbolicTensor;
  x = tf.layers.dropout({ rate: dropout, name: 'drop2', seed: seed + 1 }).apply(x) as tf.SymbolicTensor;
  x = tf.layers
    .dense({
      units: classes,
      kernelInitializer: tf.initializers.glorotUniform({ seed: seed * 1000 + 999 }),
      name: 'logits',
    })
    .apply(x) as tf.SymbolicTensor;
  const probs = tf.layers.activation({ activation: 'softmax', name: 'probs' }).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: probs, name: 'hcrnet' });
}

export const MODEL_BUILDERS: Readonly<Record<string, ModelBuilder>> = Object.freeze({
  seed: buildSeed,
  hcrnet: buildHcrnet,
});

export const MODEL_NAMES = Object.keys(MODEL_BUILDERS);
export const DEFAULT_MODEL = 'hcrnet';

/** Builds a model by name; an unknown name is an error that lists the known ones. */
export function buildModel(name: string, opts: BuildOptions = {}): tf.LayersModel {
  const builder = MODEL_BUILDERS[name];
  if (!builder)
    throw new HcrError('MODEL_UNKNOWN', `Unknown model '${name}'.`, {
      hint: `Use one of: ${MODEL_NAMES.join(', ')} (e.g. --model ${DEFAULT_MODEL}).`,
    });
  return builder(opts);
}

/**
 * The same network without the final softmax: training computes a numerically stable cross-entropy
 * (with label smoothing) on logits. Shares every layer (and weight) with `model`.
 */
export function logitsModel(model: tf.LayersModel): tf.LayersModel {
  const logits = model.getLayer('logits');
  return tf.model({ inputs: model.inputs, outputs: logits.output as tf.SymbolicTensor });
}
