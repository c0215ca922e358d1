export { decodeModel, encodeModel, type ModelProtoObject } from '@hcr/onnx-proto';
export { type DimNames, LINE_READER_DIM_NAMES, onnxDims } from './dims.js';
export { SUPPORTED_ACTIVATIONS } from './emit.js';
export {
  checkPackedEnsemble,
  type EnsembleMember,
  type PackedEnsemble,
  type PackedEnsembleCheck,
  packReaderEnsemble,
} from './ensemble.js';
export {
  type ExportOptions,
  type ExportReport,
  type ExportResult,
  exportGraphModel,
  exportLayersModel,
  exportModelFile,
  type LoadedModel,
  loadTfjsModel,
  metadataProps,
  PRODUCER_NAME,
  writeOnnx,
} from './export.js';
export { SUPPORTED_OPS } from './graph/convert-graph.js';
export { DEFAULT_OPSET, MAX_OPSET, MIN_OPSET } from './graph-builder.js';
export { SUPPORTED_LAYERS } from './layers/convert-layers.js';
export { checkLayerClassesKnown, loadLayersModelFile } from './load-layers.js';
export { fileIOHandler, modelFormat, readModelJson, resolveModelJson } from './model-io.js';
export {
  checkParity,
  concreteShapes,
  hasSymbolicDims,
  openSession,
  type ParityOptions,
  type ParityResult,
  type ReferenceModel,
  randomInputs,
} from './parity.js';
export { lineReaderInfo } from './reader.js';
export { restampMetadata } from './restamp.js';
export {
  inputShapesOf,
  VERIFY_SIZES,
  type VerifyCheck,
  type VerifyOptions,
  type VerifyResult,
  verifyExport,
} from './verify.js';
export { checkWeightData, type ShardBytes } from './weights.js';
