import { readFile, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { HcrError, writeFileAtomic } from '@hcr/core';
import * as tf from '@tensorflow/tfjs-core';
import { checkWeightData, type ShardBytes } from './weights.js';

/** `dir` or `dir/model.json` -> the model.json path. */
export async function resolveModelJson(path: string): Promise<string> {
  const st = await stat(path).catch(() => null);
  if (!st) {
    throw new HcrError('MODEL_NOT_FOUND', `No model at '${path}'.`, {
      hint: 'Pass a directory holding model.json (and its weight files) or the model.json file itself.',
    });
  }
  const file = st.isDirectory() ? join(path, 'model.json') : path;
  if (st.isDirectory() && !(await stat(file).catch(() => null))) {
    throw new HcrError('MODEL_NOT_FOUND', `Directory '${path}' has no model.json.`, {
      hint: 'Point at the folder a tfjs model was saved to (model.json + *.bin shards).',
    });
  }
  return file;
}

/** The parsed model.json; errors name the file and what is wrong with it. */
export async function readModelJson(file: string): Promise<tf.io.ModelJSON> {
  const text = await readFile(file, 'utf8');
  let json: tf.io.ModelJSON;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new HcrError('MODEL_JSON_INVALID', `${file} is not valid JSON (${(e as Error).message}).`, {
      hint: "The file is damaged: copy it again from the model's own save (an hcr run: its training directory, or re-train with `hcr train`); a model made elsewhere: re-save it with tfjs or tensorflowjs_converter.",
      cause: e,
    });
  }
  if (!json || typeof json !== 'object' || !json.modelTopology) {
    throw new HcrError(
      'MODEL_JSON_INVALID',
      `${file} has no modelTopology, so it is not a tfjs model.json.`,
      {
        hint: 'Pass the model.json written by tfjs `model.save()` or by tensorflowjs_converter.',
      },
    );
  }
  return json;
}

/** 'layers' for LayersModel topologies (Keras config), 'graph' for GraphModel ones (GraphDef nodes). */
export function modelFormat(json: tf.io.ModelJSON): 'layers' | 'graph' {
  const topo = json.modelTopology as Record<string, unknown>;
  if (json.format === 'graph-model' || Array.isArray(topo.node)) return 'graph';
  return 'layers';
}

/**
 * A tf.io.IOHandler for model.json + weight shards on the local disk, for Node without tfjs-node.
 * `load()` reads model.json and concatenates the shards listed in its weightsManifest (any number of
 * groups and paths, as tfjs and tensorflowjs_converter write them). `save()` writes model.json and one
 * `weights.bin` shard into the directory `path` (or next to `path` when it ends in .json), each atomically.
 */
export function fileIOHandler(path: string): tf.io.IOHandler {
  return {
    async load() {
      const file = await resolveModelJson(path);
      const json = await readModelJson(file);
      return tf.io.getModelArtifactsForJSON(json, (manifest) => readWeightShards(file, manifest));
    },
    async save(artifacts: tf.io.ModelArtifacts) {
      const dir = path.endsWith('.json') ? dirname(path) : path;
      const jsonName = path.endsWith('.json') ? (path.split('/').pop() as string) : 'model.json';
      const data = artifacts.weightData;
      const weightBytes = data === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(data);
      const json: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology as tf.io.ModelJSON['modelTopology'],
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
      };
      if (artifacts.trainingConfig) json.trainingConfig = artifacts.trainingConfig;
      if (artifacts.userDefinedMetadata) json.userDefinedMetadata = artifacts.userDefinedMetadata;
      if (artifacts.signature) json.signature = artifacts.signature;
      await writeFileAtomic(join(dir, 'weights.bin'), new Uint8Array(weightBytes));
      await writeFileAtomic(join(dir, jsonName), JSON.stringify(json));
      return {
        modelArtifactsInfo: {
          dateSaved: new Date(),
          modelTopologyType: 'JSON',
          modelTopologyBytes: JSON.stringify(artifacts.modelTopology).length,
          weightSpecsBytes: JSON.stringify(artifacts.weightSpecs).length,
          weightDataBytes: weightBytes.byteLength,
        },
      };
    },
  };
}

/** The shards model.json lists, concatenated, after checkWeightData (sizes and finite values). */
async function readWeightShards(
  modelJson: string,
  manifest: tf.io.WeightsManifestConfig,
): Promise<[tf.io.WeightsManifestEntry[], ArrayBuffer]> {
  const specs: tf.io.WeightsManifestEntry[] = [];
  const buffers: Buffer[] = [];
  const shards: ShardBytes[] = [];
  for (const group of manifest) {
    specs.push(...group.weights);
    for (const p of group.paths) {
      const file = join(dirname(modelJson), p);
      const buf = await readFile(file).catch((e: NodeJS.ErrnoException) => {
        throw new HcrError(
          'WEIGHTS_MISSING',
          `Weight shard '${file}' listed in model.json cannot be read (${e.code}).`,
          {
            hint: 'Copy every file named in weightsManifest next to model.json.',
            cause: e,
          },
        );
      });
      buffers.push(buf);
      shards.push({ file, byteLength: buf.byteLength });
    }
  }
  const all = Buffer.concat(buffers);
  const data = all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer;
  checkWeightData(modelJson, specs, data, shards);
  return [specs, data];
}
