export {
  allowedClasses,
  type ClassFilter,
  type Prediction,
  type RankedClass,
  rankClasses,
} from './classes.js';
export { inspectModel, type ModelInfo, readModelFile, type TensorSignature } from './onnx/model-info.js';
export { encodeGreyPng } from './preprocess/debug-png.js';
export {
  DEFAULT_DECODE_LIMITS,
  type DecodeLimits,
  decodeImage,
  IMAGE_CONTENT_TYPES,
} from './preprocess/decode.js';
export { DEFAULT_INK_OPTIONS, extractInk, type InkOptions, type InkReport } from './preprocess/ink.js';
export {
  PIXELS,
  type PreparedCharacter,
  type PreprocessOptions,
  prepareImage,
  preparePixels,
  SIDE,
} from './preprocess/preprocess.js';
export { loadLexicons, parseLexiconSpec, readLexiconFile } from './reader/lexicon-file.js';
export {
  createLineReader,
  type LineInput,
  type LineReader,
  type LineReaderOptions,
  type LineReading,
} from './reader/line-reader.js';
export {
  DEFAULT_LINE_LIMITS,
  type LineLimits,
  type PreparedLine,
  prepareLineImage,
} from './reader/prepare-line.js';
export {
  DEFAULT_BEAM,
  DEFAULT_TOP_K,
  MAX_BEAM,
  MAX_TOP_K,
  type ReadOptions,
} from './reader/read-options.js';
export { inspectReader, type ReaderModelInfo, readerFramesFor } from './reader/reader-info.js';
export { bucketWidth, groupByWidth, type WidthGroup } from './reader/width-buckets.js';
export {
  createRecognizer,
  looksLikeImageFile,
  prepareInput,
  type RecognizeOptions,
  type Recognizer,
  type RecognizerInput,
  type RecognizerOptions,
  type SessionTuning,
} from './recognizer.js';
export {
  type AppOptions,
  buildApp,
  DEFAULT_BATCHING,
  DEFAULT_LIMITS,
  type HcrApp,
  type ServerLimits,
} from './server/app.js';
export { type BatcherOptions, MicroBatcher, OverloadedError } from './server/batcher.js';
export { createMetrics, type Metrics } from './server/metrics.js';
export { type RunningServer, type ServeOptions, startServer } from './server/start.js';
export { type TritonOptions, tritonConfig, writeTritonRepository } from './triton.js';
