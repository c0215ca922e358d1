import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { batchNormTraining, fusedBatchNormAvailable, useFusedBatchNormInTraining } from '../src/index.js';
import { expectClose, on, rand, setup } from './helpers.js';

beforeAll(async () => {
  await setup();
  useFusedBatchNormInTraining();
});

/** A loss that weighs every output differently, and (optionally) the batch statistics too. */
function loss(y: tf.Tensor, mean?: tf.Tensor, variance?: tf.Tensor): tf.Scalar {
  const w = tf.tensor(rand(y.size, 5), y.shape);
  let l = tf.sum(tf.mul(tf.mul(y, y), w));
  if (mean && variance) l = tf.add(l, tf.add(tf.sum(tf.mul(mean, 3)), tf.sum(tf.mul(variance, -2))));
  return l as tf.Scalar;
}

// x offset by +3 so that the shifted moments are exercised (a mean far from 0), C % 4 == 0 (SIMD) or not.
describe.each([
  { shape: [3, 5, 7, 16], stats: false },
  { shape: [3, 5, 7, 16], stats: true },
  { shape: [4, 6, 6], stats: true },
  { shape: [9, 12], stats: false },
])('batchNormTraining $shape (loss uses the statistics: $stats)', ({ shape, stats }) => {
  const C = shape[shape.length - 1]!;
  const size = shape.reduce((a, b) => a * b, 1);
  const xv = rand(size, 11).map((v, i) => 3 + v * (1 + (i % C) / 4));
  const gv = rand(C, 12).map((v) => 1 + v / 2);
  const bv = rand(C, 13);

  const run = (fused: boolean) =>
    on('wasm', () => {
      const x = tf.tensor(xv, shape);
      const scale = tf.tensor1d(gv);
      const offset = tf.tensor1d(bv);
      const f = (xx: tf.Tensor, s: tf.Tensor, o: tf.Tensor) => {
        if (fused) {
          const [y, mean, variance] = batchNormTraining(xx, s, o, 1e-3);
          return { y, mean, variance };
        }
        const axes = shape.slice(0, -1).map((_, i) => i);
        const { mean, variance } = tf.moments(xx, axes);
        return { y: tf.batchNorm(xx, mean, variance, o, s, 1e-3), mean, variance };
      };
      const { y, mean, variance } = f(x, scale, offset);
      const grads = tf.grads((xx: tf.Tensor, s: tf.Tensor, o: tf.Tensor) => {
        const r = f(xx, s, o);
        return stats ? loss(r.y, r.mean, r.variance) : loss(r.y);
      })([x, scale, offset]);
      return [y, mean, variance, ...grads];
    });

  it('gives the outputs and gradients of tfjs moments + batchNorm', async () => {
    expect(fusedBatchNormAvailable()).toBe(true);
    const got = await run(true);
    const want = await run(false);
    const names = ['y', 'mean', 'variance', 'dx', 'dscale', 'doffset'];
    for (const [i, w] of want.entries()) expectClose(got[i]!, w, 2e-4, names[i]);
  });
});

describe('useFusedBatchNormInTraining', () => {
  async function layerStep(backend: 'cpu' | 'wasm') {
    await tf.setBackend(backend);
    const layer = tfl.layers.batchNormalization({ momentum: 0.9 });
    const x = tf.tensor(
      rand(2 * 4 * 5 * 8, 21).map((v) => v * 2 - 1),
      [2, 4, 5, 8],
    );
    const gamma = () => layer.getWeights()[0] as tf.Variable;
    layer.apply(x, { training: false }); // builds the weights
    layer.setWeights([tf.tensor1d(rand(8, 22)), tf.tensor1d(rand(8, 23)), tf.zeros([8]), tf.ones([8])]);
    const vars = layer.trainableWeights.map((w) => w.read() as tf.Variable);
    const { value, grads } = tf.variableGrads(
      () => loss(layer.apply(x, { training: true }) as tf.Tensor),
      vars,
    );
    const inference = layer.apply(x, { training: false }) as tf.Tensor;
    const out = [
      value,
      ...vars.map((v) => grads[v.name]!),
      ...layer.getWeights().slice(2), // moving mean and variance after one training call
      inference,
    ].map((t) => Float32Array.from(t.dataSync()));
    expect(gamma().shape).toEqual([8]);
    tf.dispose([x, value, inference, ...Object.values(grads)]);
    return out;
  }

  it('trains the Keras layer exactly as the layer itself does (cpu runs the layer unpatched)', async () => {
    const fused = await layerStep('wasm');
    const stock = await layerStep('cpu');
    const names = ['loss', 'dgamma', 'dbeta', 'moving mean', 'moving variance', 'inference output'];
    for (const [i, s] of stock.entries()) expectClose(fused[i]!, s, 2e-4, names[i]);
  });
});
