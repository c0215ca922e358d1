import { HcrError, NUM_CLASSES } from '@hcr/core';
import * as tf from '@tensorflow/tfjs-layers';

/**
 * Input of every hcr model: one 28x28 grey image, NHWC without the batch dimension. Frozen (changing it throws);
 * typed as ModelMetadata's `inputShape` so it can be stored there as it is.
 */
export const INPUT_SHAPE = Object.freeze([28, 28, 1]) as [number, number, number];

export interface BuildOptions {
  /** Seed of the weight initialisers: the same seed builds bit-identical replicas in every worker. */
  seed?: number;
  /** Dropout rate for architectures that use dropout (hcrnet). */
  dropout?: number;
  /** hcrnet only: conv widths per stage (stages at 28, 14, 7 pixels; each ends in a 2x2 pool, at most 4). */
  stages?: readonly (readonly number[])[];
  /** Output classes: the label space's size (36 by default, 47 or 62). */
  classes?: number;
}

/** hcrnet's conv widths per stage, chosen by measured cost per image on this machine (see README). */
export const HCRNET_STAGES: readonly (readonly number[])[] = Object.freeze([
  Object.freeze([32]),
  Object.freeze([64]),
  Object.freeze([128]),
]);

export type ModelBuilder = (opts: BuildOptions) => tf.LayersModel;

/** Largest seed: what `hcr train --seed` accepts (seed * 1000 + layer stays an exact integer). */
const MAX_SEED = 0xffffffff;

function badOption(model: string, what: string, value: unknown, want: string): HcrError {
  return new HcrError('MODEL_OPTION_INVALID', `${model}: ${what} ${String(value)} is not ${want}.`, {
    hint: `Pass ${want} (or leave ${what} out for the default).`,
  });
}

/**
 * The options every builder shares, checked before a layer is made: a seed that is not an integer builds
 * different weights each time (NaN), a dropout rate of 1 or more drops everything, fewer than 2 classes is
 * no classifier (tfjs says only "units must be positive").
 */
export function checkBuildOptions(model: string, opts: BuildOptions): void {
  const { seed, dropout, classes } = opts;
  if (seed !== undefined && !(Number.isInteger(seed) && seed >= 0 && seed <= MAX_SEED))
    throw badOption(model, 'seed', seed, `an integer in 0..${MAX_SEED}`);
  if (dropout !== undefined && !(Number.isFinite(dropout) && dropout >= 0 && dropout < 1))
    throw badOption(model, 'dropout', dropout, 'a rate in [0, 1)');
  if (classes !== undefined && !(Number.isInteger(classes) && classes >= 2))
    throw badOption(model, 'classes', classes, 'an integer >= 2 (the label space or alphabet size)');
}

/** hcrnet's stages: positive integer widths, and no more 2x2 pools than the 28 px input allows (4: 28 -> 1). */
function checkStages(stages: readonly (readonly number[])[]): void {
  const shape = JSON.stringify(stages);
  if (!Array.isArray(stages) || stages.some((s) => !Array.isArray(s)))
    throw badOption('hcrnet', 'stages', shape, 'a list of stages, each a list of conv widths');
  for (const stage of stages)
    for (const f of stage)
      if (!(Number.isInteger(f) && f >= 1))
        throw badOption('hcrnet', 'stages', shape, 'a list of stages of positive integer conv widths');
  let size = INPUT_SHAPE[0];
  for (let i = 0; i < stages.length; i++) size = Math.floor(size / 2);
  if (size < 1)
    throw new HcrError(
      'MODEL_OPTION_INVALID',
      `hcrnet: stages ${shape} pool the ${INPUT_SHAPE[0]}x${INPUT_SHAPE[1]} input ${stages.length} times, below 1x1 (to ${size}x${size}): the model's output would not depend on its input.`,
      { hint: 'Use at most 4 stages (each ends in a 2x2 max-pool: 28 -> 14 -> 7 -> 3 -> 1).' },
    );
}

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
export function buildSeed(opts: BuildOptions = {}): tf.LayersModel {
  checkBuildOptions('seed', opts);
  const { seed = 1, classes = NUM_CLASSES } = opts;
  const init = seeder(seed);
  const input = tf.input({ shape: [...INPUT_SHAPE], name: 'image' });
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
export function buildHcrnet(opts: BuildOptions = {}): tf.LayersModel {
  checkBuildOptions('hcrnet', opts);
  const { seed = 1, dropout = 0.25, stages = HCRNET_STAGES, classes = NUM_CLASSES } = opts;
  checkStages(stages);
  const he = heInit(seed);
  const input = tf.input({ shape: [...INPUT_SHAPE], name: 'image' });
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

export const MODEL_NAMES: readonly string[] = Object.freeze(Object.keys(MODEL_BUILDERS));
export const DEFAULT_MODEL = 'hcrnet';

/** Builds a model by name; an unknown name is an error that lists the known ones. */
export function buildModel(name: string, opts: BuildOptions = {}): tf.LayersModel {
  const builder = MODEL_BUILDERS[name];
  if (!builder)
    throw new HcrError('MODEL_UNKNOWN', `Unknown model '${name}'.`, {
      hint:
        name === 'reader'
          ? `'reader', the CTC line reader, is built by buildReader({ classes }) (classes: the line alphabet's size); buildModel builds the character models ${MODEL_NAMES.join(', ')}.`
          : `Use one of: ${MODEL_NAMES.join(', ')} (e.g. --model ${DEFAULT_MODEL}).`,
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
