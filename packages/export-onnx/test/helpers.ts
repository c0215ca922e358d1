import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { expect } from 'vitest';
import {
  checkParity,
  type ExportOptions,
  exportLayersModel,
  type ParityResult,
  randomInputs,
} from '../src/index.js';

export const TOLERANCE = 1e-4;

/**
 * Export `model`, run it in onnxruntime with graph optimisations on and off, and compare with tfjs on
 * random inputs (batch 3, so the dynamic batch dimension is exercised). Returns the 'all' result.
 */
export async function expectLayersParity(
  model: LayersModel,
  opts: ExportOptions = {},
  tolerance = TOLERANCE,
): Promise<ParityResult & { bytes: Uint8Array }> {
  const { bytes } = exportLayersModel(model, opts);
  const shapes = model.inputs.map((t) => t.shape);
  const inputs = randomInputs(shapes, 3, 7);
  let first: ParityResult | undefined;
  for (const level of ['all', 'disabled'] as const) {
    const r = await checkParity(bytes, model, inputs, {
      inputLayout: opts.inputLayout,
      graphOptimizationLevel: level,
    });
    expect(r.maxAbsDiff, `max abs diff with ORT optimisation '${level}'`).toBeLessThanOrEqual(tolerance);
    first ??= r;
  }
  tf.dispose(inputs);
  return { ...(first as ParityResult), bytes };
}
