import { HcrError } from '@hcr/core';
import { type EngineName, initEngine } from '@hcr/engine';
import { loadLayersModelFile } from '@hcr/export-onnx';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { ModelRun } from '../model-files.js';
import type { Predictor } from './predictor.js';

/**
 * Loads the saved LayersModel and checks its input and output against metadata.json. Loading goes through
 * @hcr/export-onnx, so a damaged model (model.json, shards, NaN weights) gets the same errors as `hcr export onnx`.
 */
export async function loadLayersModelChecked(run: ModelRun): Promise<tfl.LayersModel> {
  const { model } = await loadLayersModelFile(run.dir);
  const { inputShape, classNames } = run.metadata;
  const input = model.inputs[0]!.shape.slice(1);
  const output = model.outputs[0]!.shape;
  const fix = {
    hint: 'model.json and metadata.json come from different models; re-train, or evaluate the directory they came from.',
  };
  if (input.join(',') !== inputShape.join(','))
    throw new HcrError(
      'MODEL_INPUT_MISMATCH',
      `The model in ${run.dir} takes input [${input.join(', ')}], its metadata.json says [${inputShape.join(', ')}].`,
      fix,
    );
  if (output.length !== 2 || output[1] !== classNames.length)
    throw new HcrError(
      'MODEL_CLASSES_MISMATCH',
      `The model in ${run.dir} outputs [${output.slice(1).join(', ')}] values per image; metadata.json names ${classNames.length} classes.`,
      fix,
    );
  return model;
}

/** One batch through a LayersModel: flat NHWC Float32 in, its flat output out (no tensor left behind). */
export async function predictFlat(
  model: tfl.LayersModel,
  x: Float32Array,
  shape: [number, number, number, number],
): Promise<Float32Array> {
  const out = tf.tidy(() => model.predict(tf.tensor4d(x, shape)) as tf.Tensor);
  try {
    return (await out.data()) as Float32Array;
  } finally {
    out.dispose();
  }
}

/** The saved LayersModel on a tfjs engine (the same engines training uses). */
export async function tfjsPredictor(
  run: ModelRun,
  { engine = 'auto', log }: { engine?: EngineName; log?: (line: string) => void } = {},
): Promise<Predictor> {
  const info = await initEngine({ engine, purpose: 'infer', log: log ?? (() => {}) });
  const model = await loadLayersModelChecked(run);
  const [h, w, c] = run.metadata.inputShape;
  return {
    runtime: 'tfjs',
    description: `tfjs ${tf.version_core} (${info.name})`,
    predict: (x, n) => predictFlat(model, x, [n, h!, w!, c!]),
    async dispose() {
      model.dispose();
    },
  };
}
