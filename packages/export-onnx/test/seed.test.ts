import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeModel } from '../src/index.js';
import { expectLayersParity } from './helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** The project's seed architecture, small: conv-bn-pool x2, flatten, dropout, dense softmax. */
export function seedLikeModel(): tfl.Sequential {
  return tfl.sequential({
    layers: [
      tfl.layers.conv2d({
        inputShape: [28, 28, 1],
        filters: 8,
        kernelSize: 3,
        padding: 'same',
        activation: 'relu',
      }),
      tfl.layers.batchNormalization(),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.conv2d({ filters: 16, kernelSize: 3, activation: 'relu' }),
      tfl.layers.maxPooling2d({ poolSize: 2 }),
      tfl.layers.flatten(),
      tfl.layers.dropout({ rate: 0.3 }),
      tfl.layers.dense({ units: 36, activation: 'softmax' }),
    ],
  });
}

describe('seed-like CNN', () => {
  it('matches tfjs within 1e-4 with full argmax agreement, NHWC input', async () => {
    const r = await expectLayersParity(seedLikeModel());
    expect(r.argmaxAgreement).toBe(1);
  });

  it('matches tfjs with an NCHW input and needs no transpose before the first conv', async () => {
    const r = await expectLayersParity(seedLikeModel(), { inputLayout: 'nchw' });
    const model = decodeModel(r.bytes);
    expect(
      model.graph.input[0].type.tensor_type.shape.dim.map((d) => ('dim_value' in d ? d.dim_value : 'N')),
    ).toEqual(['N', 1, 28, 28]);
    expect(model.graph.node[0].op_type).toBe('Conv');
  });

  it('keeps layouts channels-first between convs: only the Flatten needs a transpose', async () => {
    const r = await expectLayersParity(seedLikeModel());
    const ops = decodeModel(r.bytes).graph.node.map((n) => n.op_type);
    expect(ops.filter((o) => o === 'Transpose')).toHaveLength(2); // NHWC input -> NCHW, NCHW -> NHWC before Flatten
    expect(ops.filter((o) => o === 'Conv')).toHaveLength(2);
  });
});
