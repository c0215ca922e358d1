/**
 * `@hcr/serve-onnx/recognizer`: the character recogniser as a library (onnxruntime-node and sharp, no HTTP:
 * importing it loads neither fastify nor pino nor prom-client).
 */

export {
  CHARACTER_PIXELS as PIXELS,
  CHARACTER_SIDE as SIDE,
  DEFAULT_INK_OPTIONS,
  extractInk,
  type InkLayout,
  type InkOptions,
  type InkReport,
  type PreparedCharacter,
  preparePixels,
} from '@hcr/image';
export {
  DEFAULT_DECODE_LIMITS,
  type DecodeLimits,
  decodeImage,
  encodeGreyPng,
  IMAGE_CONTENT_TYPES,
  IMAGE_FORMATS_TEXT,
  type ImageFormat,
  type PreprocessOptions,
  prepareImage,
  sniffImageFormat,
} from '@hcr/image/decode';
export {
  allowedClasses,
  type ClassFilter,
  DEFAULT_MIN_CONFIDENCE,
  foldedProbabilities,
  type Prediction,
  parseMinConfidence,
  type RankedClass,
  rankClasses,
  type Verdict,
} from '../classes.js';
export { inspectModel, type ModelInfo, readModelFile, type TensorSignature } from '../onnx/model-info.js';
export {
  createRecognizer,
  looksLikeImageFile,
  prepareInput,
  type RankOptions,
  type RecognizeOptions,
  type Recognizer,
  type RecognizerInput,
  type RecognizerOptions,
  type SessionTuning,
} from '../recognizer.js';
export { judgeInput, LAYOUT_LIMITS, LINE_READER_NAME, layoutVerdict } from '../verdict.js';
export type { PreparePoolOptions } from '../workers/pool.js';
