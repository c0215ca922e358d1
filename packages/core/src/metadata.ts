import type { ConfidenceCalibration } from './calibration.js';
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

/**
 * Pixel value 0..255 -> model input `(p / 255 - mean) / std`, as a 256-entry lookup table. A mean or std that is no
 * finite number, or a std of 0, is a RangeError: the table was all NaN or Infinity, and every image read as nothing.
 */
export function pixelLookupTable(n: InputNormalisation = DEFAULT_INPUT_NORMALISATION): Float32Array {
  if (!(Number.isFinite(n?.mean) && Number.isFinite(n?.std) && n.std !== 0))
    throw new RangeError(
      `pixelLookupTable: the input normalisation must be {mean, std} finite numbers with std not 0, got ${JSON.stringify(n)}`,
    );
  const lut = new Float32Array(256);
  for (let v = 0; v < 256; v++) lut[v] = (v / 255 - n.mean) / n.std;
  return lut;
}

/** metadata.json written next to every saved model (model.json + weights). */
export interface ModelMetadata {
  /** Format version of this file. */
  formatVersion: 1;
  /** Run id, e.g. `hcrnet-20261127-1105-ab12cd` (a run name may be reused: `pipeline`). */
  id: string;
  /**
   * Unique id of the training run: a random UUID made when the run starts, kept when it resumes. Tells two
   * runs of the same name apart (absent on models trained before it existed).
   */
  uid?: string;
  /**
   * Version of the model: the run's start time as the integer YYYYMMDDhhmmss (UTC), so a later run has a
   * larger version. Written to ONNX ModelProto.model_version (onnxruntime's `get_modelmeta().version`).
   */
  modelVersion?: number;
  /** Builder name: `seed`, `hcrnet`, ... */
  architecture: string;
  /** Which classes the outputs are (`hcr36`, `hcr47`, `hcr62`); classNames lists them in output order. */
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
  /** `character` (one 28x28 character -> class probabilities; the default when absent) or `line`. */
  task?: 'character' | 'line';
  /** Line readers only: the alphabet and the line geometry the reader was trained on. */
  reader?: LineReaderInfo;
  /**
   * Character models: temperatures fitted on the validation split after training (calibration.ts). Absent
   * on models trained before it existed: their probabilities are used as they are (temperature 1).
   */
  calibration?: ConfidenceCalibration;
}

/**
 * What a line reader's metadata adds: input [n, height, width, 1] with a free width (ink bright, 0..255
 * scaled by inputNormalisation), output [n, 1, frames, symbols.length] CTC probabilities.
 */
export interface LineReaderInfo {
  /** The LineAlphabet id, e.g. `hcr36-line`. */
  alphabetId: string;
  /** Output symbols in index order; index 0 is the CTC blank (''). */
  symbols: string[];
  /** Input height in pixels (32). */
  height: number;
  /** Input columns per output frame (4). */
  stride: number;
  /** Narrowest input width accepted. */
  minWidth: number;
}

/** A line reader as an ensemble sees it: what it reads and how its input is scaled. */
export interface ReaderGeometry {
  reader: LineReaderInfo;
  normalisation: InputNormalisation;
}

/**
 * The first way two line readers read a line differently (alphabet, line height, frame stride, narrowest
 * width, input normalisation), as `{ what, a, b }`, or undefined when they read alike: the readers of an
 * ensemble must, as their outputs are combined frame row by frame row.
 */
export function readerDifference(
  a: ReaderGeometry,
  b: ReaderGeometry,
): { what: string; a: string; b: string } | undefined {
  const [ra, rb] = [a.reader, b.reader];
  if (ra.symbols.join('\u0000') !== rb.symbols.join('\u0000'))
    return { what: 'alphabet', a: ra.alphabetId, b: rb.alphabetId };
  if (ra.height !== rb.height) return { what: 'line height', a: `${ra.height}`, b: `${rb.height}` };
  if (ra.stride !== rb.stride) return { what: 'frame stride', a: `${ra.stride}`, b: `${rb.stride}` };
  if (ra.minWidth !== rb.minWidth)
    return { what: 'narrowest width', a: `${ra.minWidth}`, b: `${rb.minWidth}` };
  const [na, nb] = [a.normalisation, b.normalisation];
  if (na.mean !== nb.mean || na.std !== nb.std)
    return { what: 'input normalisation', a: JSON.stringify(na), b: JSON.stringify(nb) };
  return undefined;
}

/**
 * Background columns every line gets on its right before a reader runs on it, beyond its own width: as far as
 * the reader's receptive field reaches past a frame's centre (46 px: 14 through the convolutions, 32 through
 * the four 1x5 context blocks at 4 px per frame; 48, a whole number of 4-px frames). With less, the last frames of the widest line in a batch see
 * the convolutions' zero padding and those of the others background, so a line's text depends on the lines
 * batched with it (measured on the pipeline reader: 27 of 466 real names and 21 of 362 amounts read
 * differently alone than in batches of 32). With it eval and serving read a line the same, whatever its batch.
 */
export const READER_CONTEXT_PAD = 48;

/** Keys used for ModelMetadata in ONNX `metadata_props` (values are strings; JSON where structured). */
export const ONNX_METADATA_KEYS = {
  classNames: 'hcr.class_names',
  inputNormalisation: 'hcr.input_normalisation',
  modelId: 'hcr.model_id',
  metadata: 'hcr.metadata',
  /** Label space id (`hcr36`, `hcr47`, `hcr62`): which classes the outputs are. */
  labelSpace: 'hcr.label_space',
  /** LineReaderInfo as JSON; present only on line readers. */
  reader: 'hcr.reader',
  /** ConfidenceCalibration as JSON; absent on uncalibrated models (temperature 1). */
  calibration: 'hcr.calibration',
  /** ModelMetadata.uid: unique per training run. */
  modelUid: 'hcr.model_uid',
  /** ModelMetadata.modelVersion as a decimal string (also ModelProto.model_version). */
  modelVersion: 'hcr.model_version',
  /** How to turn an image into the input tensor, as JSON (`describePreprocessing` of @hcr/image). */
  preprocessing: 'hcr.preprocessing',
  /**
   * The readers of a packed ensemble (`hcr export ensemble`), as JSON [{ "id", "uid"? }, ...], in the order of
   * the output's axis 1 ([N, readers, T, symbols]); absent on a single reader.
   */
  readerMembers: 'hcr.reader_members',
} as const;
