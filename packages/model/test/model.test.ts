import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NUM_CLASSES } from '@hcr/core';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildModel,
  buildReader,
  fileLoadHandler,
  loadMetadata,
  loadModel,
  logitsModel,
  READER_CONTEXTS,
  readerFrames,
  saveModel,
} from '../src/index.js';
import '@tensorflow/tfjs-backend-cpu';
import { characterMetadata } from './support/metadata.js';

let dir: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = await mkdtemp(join(tmpdir(), 'hcr-model-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('builders', () => {
  it('seed is exactly the reference architecture', () => {
    const m = buildModel('seed');
    const summary = m.layers.map((l) => [l.getClassName(), l.outputShape]);
    expect(summary).toEqual([
      ['InputLayer', [null, 28, 28, 1]],
      ['Conv2D', [null, 28, 28, 32]],
      ['MaxPooling2D', [null, 14, 14, 32]],
      ['Conv2D', [null, 14, 14, 64]],
      ['MaxPooling2D', [null, 7, 7, 64]],
      ['Flatten', [null, 3136]],
      ['Dense', [null, 128]],
      ['Dense', [null, NUM_CLASSES]],
      ['Activation', [null, NUM_CLASSES]],
    ]);
    expect(m.countParams()).toBe(320 + 18496 + 3136 * 128 + 128 + 128 * 36 + 36);
  });

  it('the same seed builds the same weights; another seed does not', () => {
    const a = buildModel('hcrnet', { seed: 3 }).getWeights()[0]!.dataSync();
    const b = buildModel('hcrnet', { seed: 3 }).getWeights()[0]!.dataSync();
    const c = buildModel('hcrnet', { seed: 4 }).getWeights()[0]!.dataSync();
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
  });

  it('unknown names are errors that list the known ones', () => {
    expect(() => buildModel('resnet9000')).toThrow(/Unknown model 'resnet9000'/);
  });

  it('logitsModel shares weights and softmax(logits) equals the model output', () => {
    const m = buildModel('hcrnet');
    const x = tf.randomNormal([2, 28, 28, 1], 0, 1, 'float32', 7);
    const p = m.predict(x) as tf.Tensor;
    const l = logitsModel(m).predict(x) as tf.Tensor;
    const diff = tf.max(tf.abs(tf.sub(tf.softmax(l), p))).dataSync()[0]!;
    expect(diff).toBeLessThan(1e-6);
  });
});

describe('save/load', () => {
  it('round-trips through model.json + weights.bin and plain tf.loadLayersModel', async () => {
    const m = buildModel('seed', { seed: 9 });
    const meta = characterMetadata({ id: 'test' });
    await saveModel(m, dir, meta);
    const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
    expect(json.format).toBe('layers-model');
    expect(json.weightsManifest[0].paths).toEqual(['weights.bin']);
    const loaded = await tfl.loadLayersModel(fileLoadHandler(dir));
    const x = tf.randomUniform([3, 28, 28, 1], -1, 1, 'float32', 5);
    const a = (m.predict(x) as tf.Tensor).dataSync();
    const b = ((await loadModel(dir)).predict(x) as tf.Tensor).dataSync();
    const c = (loaded.predict(x) as tf.Tensor).dataSync();
    expect(Array.from(b)).toEqual(Array.from(a));
    expect(Array.from(c)).toEqual(Array.from(a));
    expect((await loadMetadata(dir)).id).toBe('test');
  });

  it('a missing directory names the problem and the fix', async () => {
    await expect(loadModel(join(dir, 'nope'))).rejects.toThrow(/Cannot read .*model.json/);
  });

  it('a damaged model.json or a missing weight shard is named as such, not as a model to train', async () => {
    const damaged = join(dir, 'damaged');
    await saveModel(buildModel('seed', { seed: 9 }), damaged);
    await rm(join(damaged, 'weights.bin'));
    await expect(loadModel(damaged)).rejects.toMatchObject({
      code: 'WEIGHTS_MISSING',
      message: expect.stringContaining(join(damaged, 'weights.bin')),
    });
    await writeFile(join(damaged, 'model.json'), '{"modelTopology": {');
    await expect(loadModel(damaged)).rejects.toMatchObject({
      code: 'MODEL_JSON_INVALID',
      hint: expect.stringMatching(/damaged/),
    });
  });
});

describe.each(READER_CONTEXTS)('buildReader with context %s', (context) => {
  it('gives one probability row per 4 px of any width, and survives a save and load', async () => {
    const model = buildReader({ classes: 43, context, dropout: 0 });
    for (const width of [16, 57, 203]) {
      const y = tf.tidy(
        () => model.predict(tf.randomUniform([2, 32, width, 1], -1, 1, 'float32', 3)) as tf.Tensor,
      );
      expect(y.shape).toEqual([2, 1, readerFrames(width), 43]);
      const sums = tf.tidy(() => tf.sum(y, -1).dataSync());
      for (const v of sums) expect(v).toBeCloseTo(1, 4);
      y.dispose();
    }
    const out = join(dir, `reader-${context}`);
    await saveModel(model, out);
    const loaded = await loadModel(out);
    const x = tf.randomUniform([1, 32, 40, 1], -1, 1, 'float32', 4);
    const [a, b] = [model, loaded].map((m) => Float32Array.from((m.predict(x) as tf.Tensor).dataSync()));
    expect(Array.from(b!)).toEqual(Array.from(a!));
  });
});
