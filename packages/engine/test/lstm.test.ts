import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { lstmSequence, useFusedLstmInTraining } from '../src/index.js';
import { expectClose, rand, setup } from './helpers.js';

beforeAll(async () => {
  await setup();
  useFusedLstmInTraining();
});

/** A loss that weighs every output differently, so every output's gradient is checked. */
function loss(y: tf.Tensor): tf.Scalar {
  return tf.sum(tf.mul(tf.mul(y, y), tf.tensor(rand(y.size, 5), y.shape)));
}

const seeded = (seed: number) => tfl.initializers.randomUniform({ minval: -0.8, maxval: 0.8, seed });

/** Loss, its gradients (inputs first, then the layer's weights) and the output of `model` called with `training`. */
function step(model: tfl.LayersModel, x: tf.Tensor, training: boolean): Float32Array[] {
  return tf.tidy(() => {
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const xv = tf.variable(x);
    const { value, grads } = tf.variableGrads(
      () => loss(model.apply(xv, { training }) as tf.Tensor),
      [xv, ...vars],
    );
    const y = model.apply(x, { training }) as tf.Tensor;
    const out = [y, value, grads[xv.name]!, ...vars.map((v) => grads[v.name]!)].map((t) =>
      Float32Array.from(t.dataSync()),
    );
    xv.dispose();
    return out;
  });
}

describe.each([
  { layer: 'lstm', returnSequences: true, gates: 'hardSigmoid', goBackwards: false },
  { layer: 'lstm', returnSequences: true, gates: 'sigmoid', goBackwards: true },
  { layer: 'lstm', returnSequences: false, gates: 'hardSigmoid', goBackwards: true },
  { layer: 'bidirectional', returnSequences: true, gates: 'hardSigmoid', goBackwards: false },
] as const)(
  'useFusedLstmInTraining: $layer, sequences $returnSequences, $gates gates, backwards $goBackwards',
  (c) => {
    it('gives the outputs and gradients of the layer run step by step', () => {
      const [N, T, F, H] = [3, 7, 5, 4];
      const input = tfl.input({ shape: [null, F] });
      const lstm = tfl.layers.lstm({
        units: H,
        returnSequences: c.returnSequences,
        recurrentActivation: c.gates,
        goBackwards: c.goBackwards,
        kernelInitializer: seeded(1),
        recurrentInitializer: seeded(2),
        biasInitializer: seeded(3),
      }) as tfl.RNN;
      const layer =
        c.layer === 'bidirectional' ? tfl.layers.bidirectional({ layer: lstm, mergeMode: 'concat' }) : lstm;
      const model = tfl.model({ inputs: input, outputs: layer.apply(input) as tfl.SymbolicTensor });
      // Pre-activations spread over [-4, 4], so that hardSigmoid gates saturate at both ends too.
      const x = tf.tensor(
        rand(N * T * F, 7).map((v) => v * 2),
        [N, T, F],
      );
      const fused = step(model, x, true);
      const stock = step(model, x, false); // inference runs tfjs' own per-step code
      const names = ['output', 'loss', 'dx', ...model.trainableWeights.map((w) => `d ${w.originalName}`)];
      expect(fused.length).toBe(stock.length);
      for (const [i, s] of stock.entries()) expectClose(fused[i]!, s, 1e-4, names[i]);
      x.dispose();
    });
  },
);

describe('lstmSequence', () => {
  it('refuses weights whose shapes do not fit the input', () => {
    const x = tf.zeros([2, 3, 5]) as tf.Tensor3D;
    expect(() =>
      lstmSequence(
        x,
        tf.zeros([4, 16]) as tf.Tensor2D,
        tf.zeros([4, 16]) as tf.Tensor2D,
        tf.zeros([16]) as tf.Tensor1D,
      ),
    ).toThrow(/shapes do not fit/);
  });
});
