import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_INPUT_NORMALISATION, LABEL_SPACE_36 } from '@hcr/core';
import { initEngine } from '@hcr/engine';
import { buildModel, INPUT_SHAPE, saveModel } from '@hcr/model';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
    // What `hcr train` writes, less trainingConfig.
    const metadata = {
      formatVersion: 1,
      id: 'foreign',
      architecture: 'seed',
      labelSpace: 'hcr36',
      classNames: [...LABEL_SPACE_36.classes],
      inputShape: [...INPUT_SHAPE],
      characterNormalisation: 'canonical',
      inputNormalisation: { ...DEFAULT_INPUT_NORMALISATION },
      dataManifestSha256: 'd4e8',
      commit: 'unknown',
      createdAt: '2026-12-05T17:59:10.195Z',
      engine: 'wasm',
      metrics: {},
    };
    await saveModel(model, join(dir, 'foreign'), metadata as never);
    const err = await calibrateRun(join(dir, 'foreign'), { dataDir: undefined }).catch((e) => e);
    // Whatever the default folder holds on this machine (nothing, or another dataset), the answer is an HcrError.
    expect(err.message).not.toMatch(/Cannot read properties/);
    expect(['SHARDS_MISSING', 'CALIBRATION_DATA_MISMATCH']).toContain(err.code);
  });
});
