import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HcrError } from '@hcr/core';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildModel, loadModel, saveModel } from '../src/index.js';
import '@tensorflow/tfjs-backend-cpu';

let root: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  root = await mkdtemp(join(tmpdir(), 'hcr-model-misuse-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

async function failure(p: Promise<unknown>): Promise<HcrError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(HcrError);
  expect((e as HcrError).hint).toBeTruthy();
  return e as HcrError;
}

describe('loadModel misuse', () => {
  it('a layer class tfjs does not know is UNKNOWN_LAYER naming model.json (was tfjs ValueError)', async () => {
    const dir = join(root, 'unknown-layer');
    const model = buildModel('seed', { seed: 1 });
    await saveModel(model, dir);
    model.dispose();
    const file = join(dir, 'model.json');
    const json = JSON.parse(await readFile(file, 'utf8'));
    const layers = json.modelTopology.config.layers as { class_name: string }[];
    layers.find((l) => l.class_name === 'Flatten')!.class_name = 'FancyFlatten';
    await writeFile(file, JSON.stringify(json));
    const e = await failure(loadModel(dir));
    expect(e.code).toBe('UNKNOWN_LAYER');
    expect(e.problem).toBe(`tfjs cannot build ${file}: Unknown layer: FancyFlatten.`);
  });

  it('the model.json file instead of its directory says to pass the directory', async () => {
    const dir = join(root, 'file');
    const model = buildModel('seed', { seed: 1 });
    await saveModel(model, dir);
    model.dispose();
    const e = await failure(loadModel(join(dir, 'model.json')));
    expect(e.code).toBe('MODEL_MISSING');
    expect(e.hint).toMatch(/model\.json is a file: pass the directory that holds model\.json/);
  });
});
