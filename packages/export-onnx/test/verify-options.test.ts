import '@tensorflow/tfjs-backend-cpu';
import { HcrError } from '@hcr/core';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { exportLayersModel, type VerifyOptions, verifyExport } from '../src/index.js';
import { denseModel } from './helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('verifyExport refuses options it cannot honour, before any work', () => {
  const loaded = denseModel();
  const { bytes } = exportLayersModel(loaded.model as tfl.LayersModel);

  it.each<[string, unknown, RegExp]>([
    [
      'a NaN tolerance (every check failed in silence)',
      { tolerance: Number.NaN },
      /tolerance NaN is not a number >= 0/,
    ],
    ['a negative tolerance', { tolerance: -1 }, /tolerance -1/],
    [
      'samples 0 (reported as tfjs failing to run the model)',
      { samples: 0 },
      /samples 0 is not an integer from 1 to 4096/,
    ],
    ['negative samples (a RangeError)', { samples: -1 }, /samples -1/],
    ['a billion samples (a RangeError)', { samples: 1e9 }, /samples 1000000000/],
    ['null options (a TypeError)', null, /the options are null/],
    [
      'real inputs of the wrong size (a tfjs Error)',
      { realInputs: { x: new Float32Array(10), n: 3, label: 'test' } },
      /realInputs holds 10 values for n = 3 inputs of \[6\] \(18 values\)/,
    ],
  ])('%s is BAD_OPTION', async (_, opts, message) => {
    const e = await verifyExport(loaded, bytes, opts as VerifyOptions).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(HcrError);
    expect((e as HcrError).code).toBe('BAD_OPTION');
    expect((e as HcrError).problem).toMatch(message);
    expect((e as HcrError).hint).toBeTruthy();
  });

  it('a model that is not a LoadedModel is BAD_OPTION naming loadTfjsModel', async () => {
    const e = await verifyExport(undefined as never, bytes).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'BAD_OPTION', hint: expect.stringContaining('loadTfjsModel') });
  });

  it('without options it runs the default checks', async () => {
    expect((await verifyExport(loaded, bytes)).passed).toBe(true);
  });
});
