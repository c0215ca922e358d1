export {
  type BuildOptions,
  buildHcrnet,
  buildModel,
  buildSeed,
  DEFAULT_MODEL,
  HCRNET_STAGES,
  INPUT_SHAPE,
  logitsModel,
  MODEL_BUILDERS,
  MODEL_NAMES,
  type ModelBuilder,
} from './builders.js';
export {
  fileLoadHandler,
  fileSaveHandler,
  loadMetadata,
  loadModel,
  METADATA_JSON,
  MODEL_JSON,
  saveModel,
  WEIGHTS_BIN,
} from './io.js';
export { checkMetadata, METADATA_FORMAT_VERSION } from './metadata.js';
export {
  buildReader,
  LINE_HEIGHT,
  LINE_MIN_WIDTH,
  LINE_STRIDE,
  READER_CONTEXTS,
  type ReaderBuildOptions,
  type ReaderContext,
  readerFrames,
} from './reader.js';
