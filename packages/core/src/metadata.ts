import type { LabelSpace } from './labels.js';
import type { LetterSource } from './sources.js';

/**
 * How raw 0..255 pixels become model input: x = (p / 255 - mean) / std, NHWC [n, 28, 28, 1].
 * Stored in metadata.json and in ONNX metadata_props so every runtime normalises the same way.
 */
export interface InputNormalisation {
  mean: number;
  std: number;
}

/** The seed's recipe, kept as the project default: pixels to [-1, 1]. */
export const DEFAULT_INPUT_NORMALISATION: InputNormalisation = Object.freeze({ mean: 0.5, std: 0.5 });

/** metadata.json written next to every saved model (model.json + weights). */
export interface ModelMetadata {
  /** Format version of this file. */
  formatVersion: 1;
  /** Run id, e.g. `hcrnet-20261127-1105-ab12cd`. */
  id: string;
  /** Builder name: `seed`, `hcrnet`, ... */
  architecture: string;
  labelSpace: LabelSpace['id'];
  classNames: string[];
  /** [height, width, channels], NHWC without the batch dimension. */
  inputShape: [number, number, number];
  inputNormalisation: InputNormalisation;
  /** Character normalisation the training data went through (`canonical` or `none`). */
  characterNormalisation: 'canonical' | 'none';
  letterSource: LetterSource;
  /** sha256 of the data manifest the model was trained on. */
  dataManifestSha256: string;
  /** Git commit the training code came from (`unknown` outside a checkout). */
  commit: string;
  createdAt: string;
  engine: string;
  trainingConfig: Record<string, unknown>;
  /** Final metrics (val and test accuracies, loss, images/s...). */
  metrics: Record<string, number>;
}

/** Keys used for ModelMetadata in ONNX `metadata_props` (values are strings; JSON where structured). */
export const ONNX_METADATA_KEYS = {
  classNames: 'hcr.class_names',
  inputNormalisation: 'hcr.input_normalisation',
  modelId: 'hcr.model_id',
  metadata: 'hcr.metadata',
} as const;
