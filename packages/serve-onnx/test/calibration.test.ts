import { readFile } from 'node:fs/promises';
import { ONNX_METADATA_KEYS, temperRow, uniformCalibration } from '@hcr/core';
import { decodeModel, encodeModel } from '@hcr/onnx-proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRecognizer, inspectModel, type Recognizer } from '../src/index.js';
import { FIXTURE_MODEL } from './support/models.js';
import { photo } from './support/synth.js';

/** The fixture model with `hcr.calibration` added to its metadata_props. */
async function withCalibration(value: string): Promise<Uint8Array> {
  const model = decodeModel(await readFile(FIXTURE_MODEL));
  model.metadata_props = [
    ...(model.metadata_props ?? []).filter((p) => p.key !== ONNX_METADATA_KEYS.calibration),
    { key: ONNX_METADATA_KEYS.calibration, value },
  ];
  return encodeModel(model);
}

describe('the recogniser applies the model calibration', () => {
  let raw: Recognizer;
  let sharp: Recognizer;
  beforeAll(async () => {
    raw = await createRecognizer({ model: FIXTURE_MODEL, intraOpThreads: 1 });
    const cal = {
      ...uniformCalibration(0.5),
      singleTemperature: 0.5,
      fittedOn: 'test',
      objective: 'test',
      fit: { eceBefore: {}, eceAfter: {} },
      createdAt: '',
    };
    sharp = await createRecognizer({ model: await withCalibration(JSON.stringify(cal)), intraOpThreads: 1 });
  });
  afterAll(async () => {
    await raw.close();
    await sharp.close();
  });

  it('reads hcr.calibration from the ONNX metadata; a model without it is unchanged', async () => {
    expect(raw.info.calibration).toBeUndefined();
    expect(sharp.info.calibration?.temperatures.digit).toBe(0.5);
    const img = await photo('7', { seed: 3 });
    const prepared = await raw.prepare(img);
    const p = await raw.infer([prepared.pixels]);
    const q = await sharp.infer([prepared.pixels]);
    const expected = new Float32Array(p.length);
    temperRow(p, 0.5, expected);
    for (let c = 0; c < p.length; c++) expect(q[c]).toBeCloseTo(expected[c]!, 5);
    const a = await raw.recognize(img);
    const b = await sharp.recognize(img);
    expect(b.label).toBe(a.label);
    expect(b.confidence).toBeGreaterThan(a.confidence);
  });

  it('refuses a malformed calibration with an error naming the key', async () => {
    const bad = await withCalibration('{"method": "answer-kind-temperature", "temperatures": {"digit": -1}}');
    expect(() => inspectModel(bad)).toThrow(/hcr\.calibration/);
    // one whose temperatures are fine but that lacks what readers show (fittedOn, fit) was taken as whole
    const partial = await withCalibration(
      JSON.stringify({ ...uniformCalibration(0.5), singleTemperature: 0.5 }),
    );
    expect(() => inspectModel(partial)).toThrow(
      expect.objectContaining({
        code: 'MODEL_METADATA',
        message: expect.stringContaining(
          "The ONNX model's hcr.calibration is malformed. The calibration's fittedOn is missing",
        ),
      }),
    );
  });
});
