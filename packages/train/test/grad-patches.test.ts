import { initEngine, useFusedBatchNormInTraining } from '@hcr/engine';
import { buildReader } from '@hcr/model';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { patchBatchNormGradient, patchConvInputGradient } from '../src/grad-patches.js';

beforeAll(async () => {
  await initEngine({ engine: 'wasm', purpose: 'train', log: () => {} });
  patchBatchNormGradient();
  useFusedBatchNormInTraining();
});

/** Gradients of a fixed loss of a small reader, and the shapes of every input gradient computed on the way. */
async function readerGradients(): Promise<{ grads: Float32Array[]; inputGradShapes: number[][] }> {
  const model = buildReader({ classes: 7, seed: 3, dropout: 0 });
  const n = 2 * 32 * 40;
  const x = tf.tensor4d(
    Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37)),
    [2, 32, 40, 1],
  );
  const u = tf.tensor(
    Float32Array.from({ length: 2 * 10 * 7 }, (_, i) => Math.cos(i * 1.3)),
    [2, 1, 10, 7],
  );
  const grads: Float32Array[] = [];
  const profile = await tf.profile(() => {
    const { grads: g } = tf.variableGrads(() =>
      tf.sum(tf.mul(model.apply(x, { training: true }) as tf.Tensor, u)),
    );
    // In weight order: the second model's variables get other unique names.
    for (const w of model.trainableWeights)
      grads.push(Float32Array.from(g[(w.read() as tf.Variable).name]!.dataSync()));
    tf.dispose(Object.values(g));
  });
  const inputGradShapes = profile.kernels
    .filter((k) => k.name === 'Conv2DBackpropInput')
    .map((k) => k.outputShapes[0] as number[]);
  tf.dispose([x, u]);
  model.dispose();
  return { grads, inputGradShapes };
}

describe('patchConvInputGradient', () => {
  it("gives the same gradients, bit for bit, without the first layer's unused input gradient", async () => {
    const before = await readerGradients();
    patchConvInputGradient();
    const after = await readerGradients();
    // tfjs-layers' fused conv computed d(loss)/d(image), which nothing uses: one Conv2DBackpropInput fewer.
    expect(before.inputGradShapes).toContainEqual([2, 32, 40, 1]);
    expect(after.inputGradShapes).not.toContainEqual([2, 32, 40, 1]);
    expect(after.inputGradShapes.length).toBe(before.inputGradShapes.length - 1);
    expect(after.grads.length).toBe(before.grads.length);
    for (const [i, g] of before.grads.entries()) {
      expect(Array.from(after.grads[i]!), `weight ${i}`).toEqual(Array.from(g));
    }
  });
});
