import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { DataType } from '@hcr/onnx-proto';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import * as tfl from '@tensorflow/tfjs-layers';
import { expect } from 'vitest';
import {
  checkParity,
  concreteShapes,
  decodeModel,
  type ExportOptions,
  encodeModel,
  exportLayersModel,
  type LoadedModel,
  openSession,
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

/**
 * Run `bytes` in onnxruntime on `inputs` (TF layout) and check that each output's computed shape is the one the
 * graph declares (a symbolic dim matches any size). Returns the computed shapes.
 */
export async function expectDeclaredShapes(bytes: Uint8Array, inputs: tf.Tensor[]): Promise<number[][]> {
  const session = await openSession(bytes, 'disabled');
  const { Tensor } = await import('onnxruntime-node');
  const feeds = Object.fromEntries(
    session.inputNames.map((name, i) => [
      name,
      new Tensor('float32', inputs[i].dataSync() as Float32Array, inputs[i].shape),
    ]),
  );
  const out = await session.run(feeds);
  await session.release();
  return decodeModel(bytes).graph.output.map((o) => {
    const computed = [...out[o.name].dims].map(Number);
    const declared = o.type.tensor_type.shape.dim.map((d, k) =>
      'dim_value' in d ? d.dim_value : computed[k],
    );
    expect(computed, `output ${o.name}: computed shape vs declared`).toEqual(declared);
    return computed;
  });
}

/**
 * For a model with a free width (input [h, null, c]): export it with the width named `width`, check that
 * the ONNX input keeps that dim symbolic, and compare with tfjs at each width (batch 3, ORT optimisations
 * on and off). Returns the worst max abs diff per width.
 */
export async function expectParityAtWidths(
  model: LayersModel,
  widths: readonly number[],
  tolerance = TOLERANCE,
): Promise<{ bytes: Uint8Array; maxAbsDiff: Record<number, number> }> {
  const rank = model.inputs[0].shape.length;
  const names = Array.from({ length: rank }, (_, k) => (k === 2 ? 'width' : null));
  const { bytes } = exportLayersModel(model, { dimNames: { inputs: [names] } });
  const dims = decodeModel(bytes).graph.input[0].type.tensor_type.shape.dim;
  expect(dims[0]).toEqual({ dim_param: 'batch' });
  expect(dims[2]).toEqual({ dim_param: 'width' });
  const maxAbsDiff: Record<number, number> = {};
  for (const width of widths) {
    const inputs = randomInputs(concreteShapes([model.inputs[0].shape], width), 3, width);
    for (const level of ['all', 'disabled'] as const) {
      const r = await checkParity(bytes, model, inputs, { graphOptimizationLevel: level });
      expect(r.maxAbsDiff, `width ${width}, ORT optimisation '${level}'`).toBeLessThanOrEqual(tolerance);
      maxAbsDiff[width] = Math.max(maxAbsDiff[width] ?? 0, r.maxAbsDiff);
    }
    tf.dispose(inputs);
  }
  return { bytes, maxAbsDiff };
}

/**
 * A line reader's ONNX file against tfjs at each width, batch 1 and 3, ORT optimisations on and off: the output
 * shape `[batch, 1, frames(width), classes]`, max abs diff within the tolerance, the same best class per frame,
 * and not a degenerate comparison (the frames' best classes differ). Returns the worst max abs diff per width.
 */
export async function expectReaderParity(
  model: LayersModel,
  bytes: Uint8Array,
  widths: readonly number[],
  frames: (width: number) => number,
): Promise<Record<number, number>> {
  const sessions = { all: await openSession(bytes, 'all'), disabled: await openSession(bytes, 'disabled') };
  const classes = model.outputs[0].shape[3];
  const worst: Record<number, number> = {};
  for (const width of widths) {
    for (const batch of [1, 3]) {
      const [x] = randomInputs(concreteShapes([model.inputs[0].shape], width), batch, width * 10 + batch);
      const want = model.predict(x) as tf.Tensor;
      expect(want.shape).toEqual([batch, 1, frames(width), classes]);
      for (const [level, session] of Object.entries(sessions)) {
        const r = await checkParity(session, () => want.clone(), [x]);
        expect(r.maxAbsDiff, `width ${width}, batch ${batch}, ORT ${level}`).toBeLessThanOrEqual(TOLERANCE);
        expect(r.argmaxAgreement).toBe(1);
        worst[width] = Math.max(worst[width] ?? 0, r.maxAbsDiff);
      }
      const best = new Set(tf.tidy(() => tf.argMax(want, -1).dataSync()));
      expect(best.size).toBeGreaterThan(1);
      tf.dispose([x, want]);
    }
  }
  await Promise.all(Object.values(sessions).map((s) => s.release()));
  return worst;
}

/**
 * Seeded random batch-norm statistics and scales: fresh ones (mean 0, variance 1, gamma 1, beta 0) are trivial
 * and would hide a folding or layout mistake. Returns the next unused seed.
 */
export function randomiseBatchNorms(model: LayersModel, seed = 1): number {
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'BatchNormalization') continue;
    const [gamma, beta, mean, variance] = layer.getWeights().map((w) => w.shape);
    layer.setWeights([
      tf.randomUniform(gamma, 0.5, 1.5, 'float32', seed++),
      tf.randomUniform(beta, -0.5, 0.5, 'float32', seed++),
      tf.randomUniform(mean, -0.3, 0.3, 'float32', seed++),
      tf.randomUniform(variance, 0.5, 2, 'float32', seed++),
    ]);
  }
  return seed;
}

const REPO = resolve(import.meta.dirname, '../../..');

/** `hcr export onnx <dir> -o <out> ...args` from the CLI's sources, as a user runs it; output without colour. */
export function exportOnnxCli(dir: string, out: string, ...args: string[]) {
  return spawnSync(
    process.execPath,
    [
      '--conditions=source',
      '--import',
      'tsx',
      join(REPO, 'apps/cli/src/bin.ts'),
      'export',
      'onnx',
      dir,
      '-o',
      out,
      ...args,
    ],
    { cwd: REPO, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } },
  );
}

/**
 * The export with its output Identity turned into a Reshape to [-1, 7]: onnxruntime loads it (with a warning),
 * but a batch of 32 rows of 4 (or 36) values cannot be reshaped so, like a broadcast the exporter got wrong.
 */
export function failingAtRunTime(bytes: Uint8Array): Uint8Array {
  const m = decodeModel(bytes);
  const last = m.graph.node[m.graph.node.length - 1];
  expect(last.op_type).toBe('Identity');
  last.op_type = 'Reshape';
  last.input.push('bad_shape');
  m.graph.initializer.push({
    name: 'bad_shape',
    dims: [2],
    data_type: DataType.INT64,
    raw_data: new Uint8Array(BigInt64Array.from([-1n, 7n]).buffer),
  });
  return encodeModel(m);
}

/** A one-layer model (6 inputs, dense 4) as loadModel gives one: for tests of verifyExport itself. */
export function denseModel(): LoadedModel {
  const input = tfl.input({ shape: [6] });
  const out = tfl.layers.dense({ units: 4 }).apply(input) as tfl.SymbolicTensor;
  return {
    format: 'layers-model',
    model: tfl.model({ inputs: input, outputs: out }),
    modelJsonPath: '',
    metadata: null,
  };
}
