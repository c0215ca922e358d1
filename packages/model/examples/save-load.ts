import '@tensorflow/tfjs-backend-cpu'; // registers the `cpu` backend
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEFAULT_INPUT_NORMALISATION,
  isHcrError,
  LABEL_SPACE_36,
  LABEL_SPACE_47,
  type ModelMetadata,
} from '@hcr/core';
import { buildModel, fileLoadHandler, INPUT_SHAPE, loadMetadata, loadModel, saveModel } from '@hcr/model';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';

await tf.setBackend('cpu');
const model = buildModel('hcrnet', { seed: 1 });
// metadata.json: what `hcr train` writes next to a trained model (here an untrained one)
const metadata: ModelMetadata = {
  formatVersion: 1,
  id: 'example',
  architecture: 'hcrnet',
  labelSpace: LABEL_SPACE_36.id,
  classNames: [...LABEL_SPACE_36.classes],
  inputShape: INPUT_SHAPE,
  inputNormalisation: DEFAULT_INPUT_NORMALISATION,
  characterNormalisation: 'canonical',
  letterSource: 'emnist-letters-repack',
  dataManifestSha256: 'none',
  commit: 'unknown',
  createdAt: new Date().toISOString(),
  engine: tf.getBackend(),
  trainingConfig: {},
  metrics: {},
};
const dir = await mkdtemp(join(tmpdir(), 'hcr-model-')); // `hcr train` saves in artifacts/model/<run>
await saveModel(model, dir, metadata);
console.log((await readdir(dir)).sort()); // [ 'metadata.json', 'model.json', 'weights.bin' ]
const same = await tfl.loadLayersModel(fileLoadHandler(dir)); // plain tfjs
const loaded = await loadModel(dir); // the same, in one call
const meta = await loadMetadata(dir);
const probs = loaded.predict(tf.zeros([1, ...INPUT_SHAPE])) as tf.Tensor;
console.log(same.outputs[0]!.shape, probs.shape, meta.classNames.length); // [ null, 36 ] [ 1, 36 ] 36

// metadata that does not describe the model is refused before anything is written
const hcr47 = { ...metadata, labelSpace: LABEL_SPACE_47.id, classNames: [...LABEL_SPACE_47.classes] };
const refused = await saveModel(model, join(dir, 'wrong'), hcr47).catch((e) => isHcrError(e) && e.code);
console.log(refused); // MODEL_CLASSES_MISMATCH: the model has 36 outputs, not 47
await rm(dir, { recursive: true });
