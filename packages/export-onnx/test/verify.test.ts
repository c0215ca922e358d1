import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { exportLayersModel, verifyExport } from '../src/index.js';
import { denseModel, failingAtRunTime } from './helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('verifyExport when onnxruntime itself fails', () => {
  it('a model onnxruntime cannot run is PARITY_FAILED (exit code 2), naming the inputs and saying nothing was written', async () => {
    const loaded = denseModel();
    const { bytes } = exportLayersModel(loaded.model as tfl.LayersModel);
    expect((await verifyExport(loaded, bytes, { samples: 4 })).passed).toBe(true);
    await expect(verifyExport(loaded, failingAtRunTime(bytes), { samples: 32 })).rejects.toMatchObject({
      code: 'PARITY_FAILED',
      exitCode: 2,
      problem: expect.stringMatching(
        /^onnxruntime cannot run the exported model on the random inputs \[32, 6\], ORT optimisations all \(.*reshape.*\), so it cannot be checked against tfjs; nothing was written\.$/is,
      ),
      hint: expect.stringContaining('exporter bug'),
    });
  });

  it('a model onnxruntime cannot load is PARITY_FAILED too', async () => {
    const loaded = denseModel();
    const { bytes } = exportLayersModel(loaded.model as tfl.LayersModel);
    await expect(
      verifyExport(loaded, bytes.slice(0, bytes.length >> 1), { samples: 4 }),
    ).rejects.toMatchObject({
      code: 'PARITY_FAILED',
      exitCode: 2,
      problem: expect.stringMatching(/^onnxruntime cannot run the exported model on the random inputs/),
    });
  });
});
