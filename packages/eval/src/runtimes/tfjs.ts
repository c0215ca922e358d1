import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HcrError } from '@hcr/core';
import { type EngineName, initEngine } from '@hcr/engine';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { ModelRun } from '../model-files.js';
import type { Predictor } from './predictor.js';

/** tfjs IOHandler for a model.json + weight files directory (tfjs-node's file:// is not there on wasm). */
function dirLoadHandler(dir: string): tf.io.IOHandler {
  return {
    load: async () => {
      const path = join(dir, 'model.json');
      let json: tf.io.ModelJSON;
      try {
        json = JSON.parse(await readFile(path, 'utf8')) as tf.io.ModelJSON;
      } catch (e) {
        throw new HcrError('MODEL_MISSING', `Cannot read ${path}: ${(e as Error).message}.`, {
          hint: 'Pass the directory of a model saved by `hcr train` (model.json, weights.bin, metadata.json).',
        });
      }
      return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
        const specs: tf.io.WeightsManifestEntry[] = [];
        const buffers: ArrayBuffer[] = [];
        for (const group of manifest) {
          specs.push(...group.weights);
          for (const p of group.paths) {
            const bytes = await readFile(join(dir, p)).catch((e: Error) => {
              throw new HcrError(
                'MODEL_WEIGHTS_MISSING',
                `Cannot read weights ${join(dir, p)}: ${e.message}.`,
                {
                  hint: 'The model directory is incomplete; re-train or copy the whole run directory.',
                },
              );
            });
            buffers.push(
              bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
            );
          }
        }
        return [specs, tf.io.concatenateArrayBuffers(buffers)];
      });
    },
  };
}

/** Loads the saved LayersModel and checks its input and output against metadata.json. */
export async function loadLayersModelChecked(run: ModelRun): Promise<tfl.LayersModel> {
  const model = await tfl.loadLayersModel(dirLoadHandler(run.dir));
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
    async predict(x, n) {
      const out = tf.tidy(() => model.predict(tf.tensor4d(x, [n, h, w, c])) as tf.Tensor);
      try {
        return (await out.data()) as Float32Array;
      } finally {
        out.dispose();
      }
    },
    async dispose() {
      model.dispose();
    },
  };
}
