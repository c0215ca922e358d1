export { OnnxProtoError, type OnnxProtoErrorCode } from './errors.js';
export { metadataRecord, readMetadataProps } from './metadata.js';
export {
  AttributeType,
  DataType,
  decodeModel,
  decodeModelHeader,
  type EncodeOptions,
  encodeModel,
  type ModelHeaderObject,
  unknownFields,
} from './proto.js';
export { ONNX_PROTO, ONNX_PROTO_SUBSET } from './schema.js';
export type {
  AttributeProto,
  AttributeProtoObject,
  Dimension,
  DimensionObject,
  FunctionProto,
  GraphProto,
  GraphProtoObject,
  ModelProto,
  ModelProtoObject,
  NodeProto,
  NodeProtoObject,
  OperatorSetIdProto,
  SparseTensorProto,
  StringStringEntryProto,
  TensorAnnotation,
  TensorProto,
  TensorProtoObject,
  TensorShapeProto,
  TensorTypeProto,
  TrainingInfoProto,
  TypeProto,
  ValueInfoProto,
  ValueInfoProtoObject,
} from './types.js';
