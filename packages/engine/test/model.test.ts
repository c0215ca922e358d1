import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, it } from 'vitest';
import { expectClose, rand, setup } from './helpers.js';

beforeAll(setup);

/** A small seed-like CNN: conv-relu-pool, conv-relu-pool, flatten, dense-relu, dense-softmax. */
function smallSeed(batchNorm = false): tfl.Sequential {
  if (batchNorm) {
    // The stronger model's pattern: conv (no bias) + batch norm + relu, dense + batch norm.
    return tfl.sequential({
      layers: [
        tfl.layers.conv2d({
          inputShape: [12, 12, 1],
          filters: 4,
          kernelSize: 3,
          padding: 'same',
          useBias: false,
        }),
        tfl.layers.batchNormalization(),
        tfl.layers.activation({ activation: 'relu' }),
        tfl.layers.maxPooling2d({ poolSize: 2 }),
        tfl.layers.conv2d({ filters: 8, kernelSize: 3, padding: 'same', useBias: false }),
        tfl.layers.batchNormalization(),
        tfl.layers.activation({ activation: 'relu' }),
        tfl.layers.maxPooling2d({ poolSize: 2 }),
        tfl.layers.flatten(),
        tfl.layers.dense({ units: 16, useBias: false }),
        tfl.layers.batchNormalization(),
        tfl.layers.activation({ activation: 'relu' }),
        tfl.layers.dense({ units: 7, activation: 'softmax' }),
      ],
    });
  }
  return tfl.sequential({
    layers: [
      tfl.layers.conv2d({
        inputShape: [12, 12, 1],
        filters: 4,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
      }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.conv2d({ filters: 6, kernelSize: 3, padding: 'same', activation: 'relu' }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.conv2d({ filters: 5, kernelSize: 2, strides: 1, padding: 'valid', activation: 'relu' }),
      tfl.layers.flatten(),
      tfl.layers.dense({ units: 16, activation: 'relu' }),
      tfl.layers.dense({ units: 7, activation: 'softmax' }),
    ],
  });
}

async function modelGrads(
  batchNorm: boolean,
  backend: 'cpu' | 'wasm',
  weights: Float32Array[],
  xv: Float32Array,
  labels: number[],
) {
  await tf.setBackend(backend);
  const model = smallSeed(batchNorm);
  model.setWeights(weights.map((w, i) => tf.tensor(w, model.getWeights()[i].shape)));
  const x = tf.tensor4d(xv, [labels.length, 12, 12, 1]);
  const y = tf.oneHot(tf.tensor1d(labels, 'int32'), 7);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const { value, grads } = tf.variableGrads(
    () => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
    vars,
  );
  const out = vars.map((v) => Float32Array.from(grads[v.name].dataSync()));
  const loss = value.dataSync()[0];
  tf.dispose([x, y, value, ...Object.values(grads)]);
  model.dispose();
  return { loss, out };
}

describe('whole model', () => {
  it.each([false, true])(
    'gradients of a seed-like model match cpu for every weight (batch norm: %s)',
    async (bn) => {
      await tf.setBackend('cpu');
      const proto = smallSeed(bn);
      const weights = proto.getWeights().map((w, i) => {
        const v = rand(w.size, 100 + i);
        for (let j = 0; j < v.length; j++) v[j] *= 0.5;
        return v;
      });
      proto.dispose();
      const n = 5;
      const xv = rand(n * 144, 99);
      const labels = [0, 3, 6, 2, 5];
      const c = await modelGrads(bn, 'cpu', weights, xv, labels);
      const w = await modelGrads(bn, 'wasm', weights, xv, labels);
      expectClose(Float32Array.of(w.loss), Float32Array.of(c.loss), 1e-4, 'loss');
      for (const [i, g] of c.out.entries()) expectClose(w.out[i], g, 1e-4, `grad of weight ${i}`);
    },
  );
});
