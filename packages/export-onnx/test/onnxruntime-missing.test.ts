import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { expect, it, vi } from 'vitest';

// An install of @hcr/export-onnx without its optional peer onnxruntime-node.
vi.mock('onnxruntime-node', () => {
  throw Object.assign(new Error("Cannot find package 'onnxruntime-node'"), { code: 'ERR_MODULE_NOT_FOUND' });
});

it('exports without onnxruntime-node, and names the package to install when a check needs it', async () => {
  await tf.setBackend('cpu');
  const { checkParity, decodeModel, exportLayersModel, randomInputs } = await import('../src/index.js');
  const model = tfl.sequential({
    layers: [tfl.layers.dense({ inputShape: [4], units: 3, activation: 'softmax' })],
  });
  const { bytes } = exportLayersModel(model);
  expect(decodeModel(bytes).graph.node.map((n) => n.op_type)).toContain('Softmax');
  const inputs = randomInputs([[null, 4]], 2, 1);
  for (const attempt of [1, 2])
    await expect(checkParity(bytes, model, inputs), `attempt ${attempt}`).rejects.toMatchObject({
      code: 'ONNXRUNTIME_MISSING',
      hint: expect.stringMatching(/npm install onnxruntime-node@1\.30\.0/),
    });
  tf.dispose(inputs);
});
