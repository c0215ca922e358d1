import '@tensorflow/tfjs-backend-cpu';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEFAULT_INPUT_NORMALISATION,
  LABEL_SPACE_36,
  type ModelMetadata,
  ONNX_METADATA_KEYS,
} from '@hcr/core';
import { buildModel, MODEL_NAMES, saveModel } from '@hcr/model';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeModel, exportModelFile, verifyExport } from '../src/index.js';

const root = mkdtempSync(join(tmpdir(), 'hcr-export-models-'));
beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function metadataFor(name: string): ModelMetadata {
  return {
    formatVersion: 1,
    id: `${name}-test`,
    architecture: name,
    labelSpace: LABEL_SPACE_36.id,
    classNames: [...LABEL_SPACE_36.classes],
    inputShape: [28, 28, 1],
    inputNormalisation: DEFAULT_INPUT_NORMALISATION,
    characterNormalisation: 'canonical',
    letterSource: 'emnist-letters',
    dataManifestSha256: 'test',
    commit: 'test',
    createdAt: new Date(0).toISOString(),
    engine: 'cpu',
    trainingConfig: {},
    metrics: {},
  };
}

describe("hcr's own architectures, saved by @hcr/model", () => {
  for (const name of MODEL_NAMES) {
    it(`${name}: exports from its directory with parity and hcr metadata_props`, async () => {
      const dir = join(root, name);
      await saveModel(buildModel(name, { seed: 3 }), dir, metadataFor(name));
      const { bytes, loaded } = await exportModelFile(dir);
      const v = await verifyExport(loaded, bytes, { samples: 16 });
      expect(v.passed).toBe(true);
      expect(v.checks.every((c) => c.argmaxAgreement === 1)).toBe(true);
      const onnx = decodeModel(bytes);
      const props = Object.fromEntries(onnx.metadata_props.map((p) => [p.key, p.value]));
      expect(JSON.parse(props[ONNX_METADATA_KEYS.classNames])).toHaveLength(36);
      expect(props[ONNX_METADATA_KEYS.modelId]).toBe(`${name}-test`);
      expect(onnx.graph.input[0].name).toBe('image');
      expect(onnx.graph.output[0].name).toBe('probs');
    });
  }
});
