import '@tensorflow/tfjs-backend-cpu';
import { existsSync, mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportModelFile, fileIOHandler, loadLayersModelFile, verifyExport } from '../src/index.js';
import { exportOnnxCli } from './helpers.js';
import { kerasFunctionalJson, writeTfjsModel } from './tfjs-json.js';

/** Damaged models: each refused with the file, the problem and the fix, never blamed on the exporter. */
const root = mkdtempSync(join(tmpdir(), 'hcr-export-damaged-'));
const _repo = resolve(import.meta.dirname, '../../..');

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** model.json + weights.bin of a 3 -> 4 -> 2 MLP with layers named fc1 and fc2; `values` sets every weight. */
async function saveMlp(name: string, values?: number): Promise<string> {
  const dir = join(root, name);
  const model = tfl.sequential({
    layers: [
      tfl.layers.dense({ name: 'fc1', inputShape: [3], units: 4 }),
      tfl.layers.dense({ name: 'fc2', units: 2, activation: 'softmax' }),
    ],
  });
  if (values !== undefined) model.setWeights(model.getWeights().map((w) => tf.fill(w.shape, values)));
  await model.save(fileIOHandler(dir));
  model.dispose();
  return dir;
}

function exportCli(dir: string) {
  const out = join(root, 'out.onnx');
  const r = exportOnnxCli(dir, out, '--samples', '4', '--images', '0');
  return { ...r, written: existsSync(out) };
}

describe('damaged models', () => {
  it('a shard cut short names the shards and the first weight missing, not a bare tensor size', async () => {
    const dir = join(root, 'cut');
    const { json, weights } = kerasFunctionalJson();
    writeTfjsModel(dir, json, weights);
    truncateSync(join(dir, 'group1-shard2of2.bin'), 8);
    await expect(exportModelFile(dir)).rejects.toMatchObject({
      code: 'WEIGHTS_SIZE_MISMATCH',
      message: expect.stringMatching(/group1-shard2of2\.bin.*weightsManifest describes.*weight '.+' \[/),
    });
  });

  it('a shard longer than its manifest (another save) is refused too', async () => {
    const dir = await saveMlp('long');
    const bytes = readFileSync(join(dir, 'weights.bin'));
    writeFileSync(join(dir, 'weights.bin'), Buffer.concat([bytes, Buffer.alloc(16)]));
    await expect(loadLayersModelFile(dir)).rejects.toMatchObject({ code: 'WEIGHTS_SIZE_MISMATCH' });
  });

  it('a NaN weight is named with its layer; hcr export onnx says so instead of "exporter bug"', async () => {
    const dir = await saveMlp('nan');
    const bytes = readFileSync(join(dir, 'weights.bin'));
    // fc1's kernel [3,4] and bias [4] come first: byte 64 is fc2's kernel, value 0
    bytes.set([0xff, 0xff, 0xff, 0x7f], 64);
    writeFileSync(join(dir, 'weights.bin'), bytes);
    await expect(exportModelFile(dir)).rejects.toMatchObject({
      code: 'WEIGHTS_NOT_FINITE',
      message: expect.stringContaining("Weight 'fc2/kernel' (layer fc2)"),
    });
    const r = exportCli(dir);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("Weight 'fc2/kernel' (layer fc2)");
    expect(r.stderr).toMatch(/damaged, or training diverged/);
    expect(r.stderr).not.toMatch(/exporter bug|max abs diff/);
    expect(r.written).toBe(false);
  });

  it("finite weights whose tfjs outputs overflow are the model's fault, not a parity failure", async () => {
    const dir = await saveMlp('overflow', 3e38);
    const { bytes, loaded } = await exportModelFile(dir);
    await expect(verifyExport(loaded, bytes, { samples: 4 })).rejects.toMatchObject({
      code: 'MODEL_OUTPUT_NOT_FINITE',
      message: expect.stringMatching(
        /tfjs\) outputs NaN or Infinity for \d+ of 8 values on the random inputs/,
      ),
      hint: expect.stringMatching(/re-train/),
    });
  });

  it('a layer class tfjs does not know is named with its layer when loading to run it', async () => {
    const dir = join(root, 'unknown');
    const { json, weights } = kerasFunctionalJson();
    const text = JSON.stringify(json).replace('"class_name":"Add"', '"class_name":"FancyMerge"');
    writeTfjsModel(dir, JSON.parse(text), weights);
    await expect(loadLayersModelFile(dir)).rejects.toMatchObject({
      code: 'UNKNOWN_LAYER',
      message: expect.stringContaining("layer 'add' (FancyMerge)"),
    });
  });
});

describe('what tfjs itself cannot load is named, with its layer, instead of "another save"', () => {
  /** `dir`'s model.json with `from` replaced by `to` (it must occur). */
  function edit(dir: string, from: string, to: string): void {
    const file = join(dir, 'model.json');
    const text = readFileSync(file, 'utf8');
    expect(text).toContain(from);
    writeFileSync(file, text.replace(from, to));
  }

  it("a Keras-only activation ('exponential') is refused from model.json, naming the layer", async () => {
    const dir = await saveMlp('exponential');
    edit(dir, '"activation":"softmax"', '"activation":"exponential"');
    await expect(exportModelFile(dir)).rejects.toMatchObject({
      code: 'UNSUPPORTED_ACTIVATION',
      problem:
        "Layer 'fc2' (Dense) uses activation 'exponential', which tfjs 4.22 does not have, so the model cannot be loaded or exported; nothing was written.",
      hint: expect.stringMatching(/^Supported activations: linear, relu, .*Replace it/),
    });
  });

  it('so is a Keras-only recurrent activation, also inside a Bidirectional; snake_case names tfjs knows pass', async () => {
    const glorot = tfl.initializers.glorotUniform({ seed: 1 });
    const model = tfl.sequential({
      layers: [
        tfl.layers.bidirectional({
          name: 'bi',
          inputShape: [5, 3],
          layer: tfl.layers.lstm({ units: 2, recurrentInitializer: glorot }) as tfl.RNN,
        }),
      ],
    });
    const dir = join(root, 'recurrent-activation');
    await model.save(fileIOHandler(dir));
    // tfjs writes the default gate activation as hard_sigmoid: known to tfjs (hardSigmoid), so it exports
    expect((await exportModelFile(dir)).report.opCounts.LSTM).toBe(1);
    edit(dir, '"recurrent_activation":"hard_sigmoid"', '"recurrent_activation":"exponential"');
    await expect(exportModelFile(dir)).rejects.toMatchObject({
      code: 'UNSUPPORTED_ACTIVATION',
      problem: expect.stringMatching(/^Layer 'bi' \(Bidirectional\) uses recurrent activation 'exponential'/),
    });
  });

  it('an unknown initializer (or any class kind tfjs reports as Unknown) is not blamed on a mismatched save', async () => {
    const dir = await saveMlp('initializer');
    edit(dir, '"class_name":"VarianceScaling"', '"class_name":"FancyInit"');
    const e = await exportModelFile(dir).catch((x: unknown) => x);
    expect(e).toMatchObject({
      code: 'MODEL_LOAD_FAILED',
      problem: expect.stringMatching(/^tfjs cannot load .*model\.json: Unknown initializer: FancyInit/),
      hint: expect.stringMatching(/^The model uses an initializer tfjs itself does not know \('FancyInit'/),
    });
    expect((e as Error).message).not.toMatch(/same save/);
  });
});
