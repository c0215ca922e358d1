import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createRng } from '@hcr/core';
import { type DenseOnnxOptions, denseOnnxModel } from './dense-onnx.js';

/**
 * The committed fixture model (784-128-36 MLP, ~83% on the canonical test split), trained by
 * test/support/train-fixture-model.ts. Good enough to recognise clear characters; not the product model.
 */
export const FIXTURE_MODEL = fileURLToPath(new URL('../fixtures/hcr-mlp.onnx', import.meta.url));
/**
 * The model for recognition tests (page, real handwriting): HCR_TEST_MODEL when set (e.g. a trained
 * artifacts/model/<run>/model.onnx, to check it end to end), else the committed fixture.
 */
export const RECOGNITION_MODEL = process.env.HCR_TEST_MODEL || FIXTURE_MODEL;

import { HANDWRITING_DIR } from './paths.js';

export { HANDWRITING_DIR };
export const handwritingFiles = () => readdirSync(HANDWRITING_DIR).filter((f) => f.endsWith('.jpg'));

/** A random single-layer model: for signature, batching and error tests where accuracy does not matter. */
export function randomModel(opts: Partial<DenseOnnxOptions> = {}): Uint8Array {
  const rng = createRng(5);
  const weights = Float32Array.from({ length: 784 * 36 }, () => rng.normal() * 0.05);
  const bias = Float32Array.from({ length: 36 }, () => rng.normal() * 0.1);
  return denseOnnxModel({ layers: [{ weights, bias, inputs: 784, units: 36 }], ...opts });
}
