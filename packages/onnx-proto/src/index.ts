export { metadataRecord, readMetadataProps } from './metadata.js';
export {
  type AttributeProtoObject,
  AttributeType,
  DataType,
  type DimensionObject,
  decodeModel,
  encodeModel,
  type GraphProtoObject,
  type ModelProtoObject,
  type NodeProtoObject,
  type TensorProtoObject,
  type ValueInfoProtoObject,
} from './proto.js';
export { ONNX_PROTO_SUBSET } from './schema.js';
