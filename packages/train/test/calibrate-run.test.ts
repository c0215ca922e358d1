import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initEngine } from '@hcr/engine';
import { buildModel, saveModel } from '@hcr/model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { characterMetadata } from '../../model/test/support/metadata.js';
import { calibrateRun } from '../src/calibrate-run.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hcr-calibrate-run-'));
  await initEngine({ engine: 'wasm', purpose: 'infer', log: () => {} });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('calibrateRun', () => {
  it('a model whose metadata has no trainingConfig is read with the default data folder, not a TypeError', async () => {
    const model = buildModel('seed', { seed: 1 });
    const { trainingConfig: _t, ...metadata } = characterMetadata({ architecture: 'seed' });
    await saveModel(model, join(dir, 'foreign'), metadata as never);
    const err = await calibrateRun(join(dir, 'foreign'), { dataDir: undefined }).catch((e) => e);
    // Whatever the default folder holds on this machine (nothing, or another dataset), the answer is an HcrError.
    expect(err.message).not.toMatch(/Cannot read properties/);
    expect(['SHARDS_MISSING', 'CALIBRATION_DATA_MISMATCH']).toContain(err.code);
  });
});
