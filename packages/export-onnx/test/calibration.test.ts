import '@tensorflow/tfjs-backend-cpu';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkCalibration, ONNX_METADATA_KEYS, uniformCalibration } from '@hcr/core';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeModel, exportModelFile, fileIOHandler, restampMetadata } from '../src/index.js';

const root = mkdtempSync(join(tmpdir(), 'hcr-export-cal-'));
beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const props = (bytes: Uint8Array) =>
  Object.fromEntries(decodeModel(bytes).metadata_props.map((p) => [p.key, p.value]));

const calibration = (t: number) => ({
  ...uniformCalibration(t),
  singleTemperature: t,
  fittedOn: 'val (2 images)',
  objective: 'test',
  fit: { eceBefore: { mnist: 0.2 }, eceAfter: { mnist: 0.01 } },
  createdAt: '2026-12-01T00:00:00.000Z',
});

describe('calibration in ONNX metadata', () => {
  it('the exporter writes metadata.json calibration as hcr.calibration; restamping replaces it', async () => {
    const dir = join(root, 'cal');
    const model = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [3], units: 2 })] });
    await model.save(fileIOHandler(dir));
    const meta = { id: 'run-1', classNames: ['0', 'A'], inputNormalisation: { mean: 0.5, std: 0.5 } };
    writeFileSync(join(dir, 'metadata.json'), JSON.stringify({ ...meta, calibration: calibration(0.6) }));
    const { bytes } = await exportModelFile(join(dir, 'model.json'));
    const stamped = checkCalibration(JSON.parse(props(bytes)[ONNX_METADATA_KEYS.calibration]));
    expect(stamped).toEqual(calibration(0.6));

    const again = restampMetadata(bytes, { ...meta, calibration: calibration(0.8) });
    const p = props(again);
    expect(JSON.parse(p[ONNX_METADATA_KEYS.calibration]).temperatures.letter).toBe(0.8);
    expect(JSON.parse(p[ONNX_METADATA_KEYS.metadata]).calibration.temperatures.digit).toBe(0.8);
    expect(p[ONNX_METADATA_KEYS.modelId]).toBe('run-1');
    expect(decodeModel(again).graph.node.length).toBe(decodeModel(bytes).graph.node.length);

    // without a calibration in metadata.json, none in the ONNX file
    writeFileSync(join(dir, 'metadata.json'), JSON.stringify(meta));
    expect(
      props((await exportModelFile(join(dir, 'model.json'))).bytes)[ONNX_METADATA_KEYS.calibration],
    ).toBeUndefined();
  });

  it('a damaged calibration in metadata.json is refused naming the file and the field, and nothing is written', async () => {
    const dir = join(root, 'damaged');
    const model = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [3], units: 2 })] });
    await model.save(fileIOHandler(dir));
    const { fit: _, ...noFit } = calibration(0.6);
    writeFileSync(join(dir, 'metadata.json'), JSON.stringify({ id: 'run-1', calibration: noFit }));
    const e = await exportModelFile(join(dir, 'model.json')).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toMatchObject({
      code: 'METADATA_INVALID',
      problem: `${join(dir, 'metadata.json')}: The calibration's fit is missing, not an object {"eceBefore", "eceAfter"}; nothing was written.`,
    });
    expect((e as Error).message).toMatch(/hcr calibrate <run>/);
  });
});
