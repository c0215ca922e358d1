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
