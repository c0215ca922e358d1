export { OnnxProtoError, type OnnxProtoErrorCode } from './errors.js';
export { metadataRecord, readMetadataProps } from './metadata.js';
export {
  type AttributeProtoObject,
  AttributeType,
  DataType,
  type DimensionObject,
  decodeModel,
  decodeModelHeader,
  type EncodeOptions,
  encodeModel,
  type GraphProtoObject,
  type ModelHeaderObject,
  type ModelProtoObject,
  type NodeProtoObject,
  type TensorProtoObject,
  unknownFields,
  type ValueInfoProtoObject,
} from './proto.js';
export { ONNX_PROTO, ONNX_PROTO_SUBSET } from './schema.js';
