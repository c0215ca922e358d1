import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { HcrError, type ModelMetadata, writeFileAtomic, writeJsonAtomic } from '@hcr/core';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';
export const METADATA_JSON = 'metadata.json';

function joinWeightData(data: tf.io.WeightData | undefined): Uint8Array {
  if (data === undefined) return new Uint8Array(0);
  return new Uint8Array(tf.io.CompositeArrayBuffer.join(data));
}

/**
 * A tfjs save handler writing the standard layers format to a directory: model.json + one weights.bin
 * shard. (tfjs-node's file:// IO is not available with the wasm engine.) Each file is written atomically;
 * model.json last, so a reader never sees a model.json whose weights are not there yet.
 */
export function fileSaveHandler(dir: string): tf.io.IOHandler {
  const abs = resolve(dir);
  return tf.io.withSaveHandler(async (artifacts) => {
    const weights = joinWeightData(artifacts.weightData);
    await writeFileAtomic(join(abs, WEIGHTS_BIN), weights);
    const modelJson: tf.io.ModelJSON = {
      modelTopology: artifacts.modelTopology as object,
      format: artifacts.format ?? 'layers-model',
      generatedBy: artifacts.generatedBy,
      convertedBy: artifacts.convertedBy ?? null,
      weightsManifest: [{ paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs ?? [] }],
    };
    if (artifacts.trainingConfig) modelJson.trainingConfig = artifacts.trainingConfig;
    if (artifacts.userDefinedMetadata) modelJson.userDefinedMetadata = artifacts.userDefinedMetadata;
    await writeJsonAtomic(join(abs, MODEL_JSON), modelJson);
    return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
  });
}

/** A tfjs load handler for a directory written by `fileSaveHandler` (or any model.json + shards). */
export function fileLoadHandler(dir: string): tf.io.IOHandler {
  const abs = resolve(dir);
  return {
    load: async () => {
      const file = join(abs, MODEL_JSON);
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch (e) {
        throw new HcrError('MODEL_MISSING', `Cannot read ${file}: ${(e as Error).message}.`, {
          hint: 'Train a model first (`hcr train`) or pass the directory of a saved model.',
        });
      }
      let modelJson: tf.io.ModelJSON;
      try {
        modelJson = JSON.parse(text);
      } catch (e) {
        // Not "train a model first": the model is there, its file is damaged.
        throw new HcrError('MODEL_JSON_INVALID', `${file} is not valid JSON (${(e as Error).message}).`, {
          hint: "The file is damaged: copy it again from the model's own save, or re-train (`hcr train`).",
        });
      }
      return tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
        const specs: tf.io.WeightsManifestEntry[] = [];
        const buffers: ArrayBuffer[] = [];
        for (const group of manifest) {
          specs.push(...group.weights);
          for (const p of group.paths) {
            const bytes = await readFile(join(abs, p)).catch((e: NodeJS.ErrnoException) => {
              throw new HcrError(
                'WEIGHTS_MISSING',
                `Weight shard ${join(abs, p)} listed in model.json cannot be read (${e.code ?? e.message}).`,
                { hint: 'Copy every file named in weightsManifest next to model.json.' },
              );
            });
            buffers.push(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
          }
        }
        return [specs, tf.io.concatenateArrayBuffers(buffers)];
      });
    },
  };
}

/** Saves model.json + weights.bin (+ metadata.json when given) into `dir`. */
export async function saveModel(
  model: tfl.LayersModel,
  dir: string,
  metadata?: ModelMetadata,
): Promise<void> {
  if (metadata) await writeJsonAtomic(join(resolve(dir), METADATA_JSON), metadata);
  await model.save(fileSaveHandler(dir));
}

/** Loads a model saved by `saveModel` (plain tf.loadLayersModel with our file handler). */
export async function loadModel(dir: string): Promise<tfl.LayersModel> {
  return tfl.loadLayersModel(fileLoadHandler(dir));
}

/** Reads metadata.json of a saved model. */
export async function loadMetadata(dir: string): Promise<ModelMetadata> {
  const path = join(resolve(dir), METADATA_JSON);
  try {
    return JSON.parse(await readFile(path, 'utf8')) as ModelMetadata;
  } catch (e) {
    throw new HcrError('METADATA_MISSING', `Cannot read ${path}: ${(e as Error).message}.`, {
      hint: 'Pass the directory of a model saved by `hcr train` (it holds model.json, weights.bin, metadata.json).',
    });
  }
}
