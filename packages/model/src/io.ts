import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { HcrError, type ModelMetadata, tempPathFor } from '@hcr/core';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { checkMetadata } from './metadata.js';

export const MODEL_JSON = 'model.json';
export const WEIGHTS_BIN = 'weights.bin';
export const METADATA_JSON = 'metadata.json';

function joinWeightData(data: tf.io.WeightData | undefined): Uint8Array {
  if (data === undefined) return new Uint8Array(0);
  return new Uint8Array(tf.io.CompositeArrayBuffer.join(data));
}

const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

/** weights.bin and model.json of saved model artifacts, in the order they are put in place (model.json last). */
function artifactFiles(artifacts: tf.io.ModelArtifacts): [string, string | Uint8Array][] {
  const modelJson: tf.io.ModelJSON = {
    modelTopology: artifacts.modelTopology as object,
    format: artifacts.format ?? 'layers-model',
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy ?? null,
    weightsManifest: [{ paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs ?? [] }],
  };
  if (artifacts.trainingConfig) modelJson.trainingConfig = artifacts.trainingConfig;
  if (artifacts.userDefinedMetadata) modelJson.userDefinedMetadata = artifacts.userDefinedMetadata;
  return [
    [WEIGHTS_BIN, joinWeightData(artifacts.weightData)],
    [MODEL_JSON, json(modelJson)],
  ];
}

/**
 * Writes files into `dir` so that a failure leaves it as it was: every file goes to a temp name beside its
 * target first (@hcr/core `tempPathFor`, which `sweepStaleTemps` recognises), and only when all are written
 * are they renamed into place, in the order given. A failed write removes the temps and throws.
 */
async function writeFilesAtomic(dir: string, files: [string, string | Uint8Array][]): Promise<void> {
  await mkdir(dir, { recursive: true });
  const staged: [tmp: string, target: string][] = [];
  try {
    for (const [name, data] of files) {
      const target = join(dir, name);
      const tmp = tempPathFor(target);
      staged.push([tmp, target]);
      await writeFile(tmp, data);
    }
    for (const [tmp, target] of staged) await rename(tmp, target);
  } catch (e) {
    await Promise.all(staged.map(([tmp]) => rm(tmp, { force: true })));
    throw e;
  }
}

/**
 * A tfjs save handler writing the standard layers format to a directory: model.json + one weights.bin
 * shard. (tfjs-node's file:// IO is not available with the wasm engine.) Both files are written to temps
 * first and renamed into place only when both are written, model.json last: a failed save leaves the
 * directory as it was, and a reader never sees a model.json whose weights are not there yet.
 */
export function fileSaveHandler(dir: string): tf.io.IOHandler {
  const abs = resolve(dir);
  return tf.io.withSaveHandler(async (artifacts) => {
    await writeFilesAtomic(abs, artifactFiles(artifacts));
    return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
  });
}

const DAMAGED_HINT =
  "The model's files are damaged or come from different saves: copy model.json and weights.bin again from the same save (an hcr run: its training directory), or re-train (`hcr train`).";

/** Bytes per stored value of a weight (its quantised dtype when quantised); undefined for strings. */
const VALUE_BYTES: Record<string, number> = {
  float32: 4,
  int32: 4,
  bool: 1,
  uint8: 1,
  uint16: 2,
  float16: 2,
};

function storedBytes(spec: tf.io.WeightsManifestEntry): number | undefined {
  const per = VALUE_BYTES[spec.quantization?.dtype ?? spec.dtype];
  return per === undefined ? undefined : spec.shape.reduce((a, b) => a * b, 1) * per;
}

/** model.json parsed and checked to be a layers model.json (a topology and a weights manifest). */
function parseModelJson(file: string, text: string): tf.io.ModelJSON {
  let modelJson: unknown;
  try {
    modelJson = JSON.parse(text);
  } catch (e) {
    // Not "train a model first": the model is there, its file is damaged.
    throw new HcrError('MODEL_JSON_INVALID', `${file} is not valid JSON (${(e as Error).message}).`, {
      hint: "The file is damaged: copy it again from the model's own save, or re-train (`hcr train`).",
    });
  }
  const m = modelJson as Partial<tf.io.ModelJSON> | null;
  const manifest = m?.weightsManifest;
  if (
    typeof m !== 'object' ||
    m === null ||
    typeof m.modelTopology !== 'object' ||
    m.modelTopology === null ||
    (manifest !== undefined &&
      (!Array.isArray(manifest) ||
        !manifest.every((g) => Array.isArray(g?.paths) && Array.isArray(g?.weights))))
  )
    throw new HcrError(
      'MODEL_JSON_INVALID',
      `${file} is not a tfjs layers model.json: it needs a "modelTopology" object and a "weightsManifest" list of {"paths", "weights"}.`,
      {
        hint: "The file is damaged: copy it again from the model's own save, or re-train (`hcr train`).",
      },
    );
  return m as tf.io.ModelJSON;
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
          hint:
            (e as NodeJS.ErrnoException).code === 'ENOTDIR'
              ? `${abs} is a file: pass the directory that holds model.json, weights.bin and metadata.json.`
              : 'Train a model first (`hcr train`) or pass the directory of a saved model.',
        });
      }
      const modelJson = parseModelJson(file, text);
      return tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
        const specs: tf.io.WeightsManifestEntry[] = [];
        const buffers: ArrayBuffer[] = [];
        const shards: string[] = [];
        for (const group of manifest) {
          specs.push(...group.weights);
          for (const p of group.paths) {
            const shard = join(abs, p);
            const bytes = await readFile(shard).catch((e: NodeJS.ErrnoException) => {
              throw new HcrError(
                'WEIGHTS_MISSING',
                `Weight shard ${shard} listed in model.json cannot be read (${e.code ?? e.message}).`,
                { hint: 'Copy every file named in weightsManifest next to model.json.' },
              );
            });
            shards.push(shard);
            buffers.push(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
          }
        }
        const data = tf.io.concatenateArrayBuffers(buffers);
        checkWeightBytes(file, shards, specs, data.byteLength);
        return [specs, data];
      });
    },
  };
}

/**
 * Shards shorter or longer than the manifest describes are refused naming the files (tfjs fails on a short
 * one with a bare "tensor should have N values" and loads a long one silently).
 */
function checkWeightBytes(
  modelJson: string,
  shards: readonly string[],
  specs: readonly tf.io.WeightsManifestEntry[],
  byteLength: number,
): void {
  const sizes = specs.map(storedBytes);
  if (sizes.some((s) => s === undefined)) return; // string weights: their sizes are inside the data
  const expected = sizes.reduce<number>((a, b) => a + b!, 0);
  if (byteLength === expected) return;
  let end = 0;
  const cut = specs.find((_, i) => {
    end += sizes[i]!;
    return end > byteLength;
  });
  throw new HcrError(
    'WEIGHTS_SIZE_MISMATCH',
    `The weight shards of ${modelJson} (${shards.join(', ') || 'none'}) hold ${byteLength.toLocaleString('en')} bytes; its weightsManifest describes ${expected.toLocaleString('en')}${
      cut ? ` (weight '${cut.name}' [${cut.shape.join(',')}] and those after it are missing)` : ''
    }, so a shard is damaged, cut short or from another save.`,
    { hint: DAMAGED_HINT },
  );
}

/** The model's serialised artifacts, without writing anything (a model that cannot be saved fails here). */
async function modelArtifacts(model: tfl.LayersModel): Promise<tf.io.ModelArtifacts> {
  let captured: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      captured = artifacts;
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
  return captured!;
}

/** The model's outputs per sample, or per frame of a line reader: the last dimension of its first output. */
function outputSize(model: tfl.LayersModel): number | null {
  return model.outputs[0]?.shape.at(-1) ?? null;
}

/**
 * Metadata that does not describe `model` is refused before anything is written: invalid metadata (as
 * loadMetadata would refuse it), a class count other than the model's outputs, an input shape other than
 * the model's (its free dimensions, such as a line reader's width, excepted).
 */
function checkModelMatchesMetadata(model: tfl.LayersModel, file: string, metadata: ModelMetadata): void {
  checkMetadata(
    metadata,
    `${file} (to save)`,
    "Pass the model's own metadata (see ModelMetadata in @hcr/core; `hcr train` writes it).",
  );
  const outputs = outputSize(model);
  const k = metadata.classNames.length;
  if (outputs !== k) {
    const line = metadata.task === 'line';
    throw new HcrError(
      'MODEL_CLASSES_MISMATCH',
      `The model outputs ${outputs} ${line ? 'symbols per frame' : 'classes'}; the metadata for ${file} lists ${k} (${
        line ? (metadata.reader?.alphabetId ?? 'line alphabet') : (metadata.labelSpace ?? 'hcr36')
      }). Nothing was saved.`,
      {
        hint: line
          ? 'Build the reader for its alphabet (buildReader({ classes: alphabet.size }), blank included) or pass the metadata of the alphabet it was built for.'
          : `Build the model for its label space (buildModel(name, { classes: ${k} })) or pass the metadata of the label space it was built for.`,
      },
    );
  }
  const input = model.inputs[0]?.shape.slice(1) ?? [];
  const differs =
    input.length !== metadata.inputShape.length ||
    input.some((d, i) => d !== null && d !== metadata.inputShape[i]);
  if (differs)
    throw new HcrError(
      'MODEL_INPUT_MISMATCH',
      `The model takes input [${input.map((d) => d ?? 'any').join(', ')}]; the metadata for ${file} says inputShape [${metadata.inputShape.join(', ')}]. Nothing was saved.`,
      {
        hint: "Pass the model's own metadata: its inputShape is the model's input without the batch dimension.",
      },
    );
}

/**
 * Saves model.json + weights.bin (+ metadata.json when given) into `dir`. Metadata that does not describe the
 * model (invalid, or another class count or input shape) is refused before anything is written. Every file is
 * written to a temp name first and renamed into place only when all are written (weights.bin, model.json,
 * then metadata.json): a failed save leaves the directory as it was.
 */
export async function saveModel(
  model: tfl.LayersModel,
  dir: string,
  metadata?: ModelMetadata,
): Promise<void> {
  const abs = resolve(dir);
  if (metadata) checkModelMatchesMetadata(model, join(abs, METADATA_JSON), metadata);
  const files = artifactFiles(await modelArtifacts(model));
  if (metadata) files.push([METADATA_JSON, json(metadata)]);
  await writeFilesAtomic(abs, files);
}

/** Loads a model saved by `saveModel` (plain tf.loadLayersModel with our file handler). */
export async function loadModel(dir: string): Promise<tfl.LayersModel> {
  try {
    return await tfl.loadLayersModel(fileLoadHandler(dir));
  } catch (e) {
    if (e instanceof HcrError) throw e;
    // tfjs' own errors (a layer class it does not know: "Unknown layer: X") name neither the file nor a fix
    const msg = ((e as Error).message ?? String(e)).split('\n')[0]!.replace(/ This may be due to.*$/, '');
    const unknown = /^Unknown layer/.test(msg);
    throw new HcrError(
      unknown ? 'UNKNOWN_LAYER' : 'MODEL_JSON_INVALID',
      `tfjs cannot build ${join(resolve(dir), MODEL_JSON)}: ${msg}`,
      {
        hint: unknown
          ? 'The model uses a layer tfjs does not know (custom, Python-only, or a damaged model.json): load the directory its training run wrote (`hcr train`), or replace the layer with a built-in one.'
          : 'Check that model.json and its weight shards come from the same save, or re-train (`hcr train`).',
        cause: e,
      },
    );
  }
}

/**
 * Reads metadata.json of a saved model and checks what a reader relies on (`checkMetadata`): a missing
 * file is `METADATA_MISSING`, one that is not JSON or not valid metadata `METADATA_INVALID`, naming the file.
 */
export async function loadMetadata(dir: string): Promise<ModelMetadata> {
  const path = join(resolve(dir), METADATA_JSON);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new HcrError('METADATA_MISSING', `Cannot read ${path}: ${(e as Error).message}.`, {
      hint: 'Pass the directory of a model saved by `hcr train` (it holds model.json, weights.bin, metadata.json).',
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    // The file is there: not "pass a model's directory", but a damaged file.
    throw new HcrError('METADATA_INVALID', `${path} is not valid JSON (${(e as Error).message}).`, {
      hint: "The file is damaged: restore metadata.json from the model's training run, or re-train (`hcr train`).",
    });
  }
  return checkMetadata(value, path);
}
