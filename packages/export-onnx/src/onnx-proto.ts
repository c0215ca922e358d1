import protobuf from 'protobufjs';
import { ONNX_PROTO_SUBSET } from './onnx-schema.js';

const root = protobuf.parse(ONNX_PROTO_SUBSET, { keepCase: true }).root;
const ModelProto = root.lookupType('onnx.ModelProto');

/** ONNX TensorProto.DataType values we write. */
export const DataType = { FLOAT: 1, INT32: 6, INT64: 7, BOOL: 9 } as const;
/** ONNX AttributeProto.AttributeType values. */
export const AttributeType = {
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
} as const;

/** Plain-object forms of the messages (snake_case field names as in onnx.proto). */
export interface TensorProtoObject {
  name: string;
  dims: number[];
  data_type: number;
  raw_data: Uint8Array;
  doc_string?: string;
}
export interface AttributeProtoObject {
  name: string;
  type: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: TensorProtoObject;
  floats?: number[];
  ints?: number[];
  strings?: Uint8Array[];
}
export interface NodeProtoObject {
  input: string[];
  output: string[];
  name: string;
  op_type: string;
  domain?: string;
  attribute: AttributeProtoObject[];
  doc_string?: string;
}
export interface ValueInfoProtoObject {
  name: string;
  type: {
    tensor_type: { elem_type: number; shape: { dim: ({ dim_value: number } | { dim_param: string })[] } };
  };
  doc_string?: string;
}
export interface GraphProtoObject {
  name: string;
  node: NodeProtoObject[];
  initializer: TensorProtoObject[];
  input: ValueInfoProtoObject[];
  output: ValueInfoProtoObject[];
  doc_string?: string;
}
export interface ModelProtoObject {
  ir_version: number;
  opset_import: { domain: string; version: number }[];
  producer_name: string;
  producer_version: string;
  doc_string?: string;
  graph: GraphProtoObject;
  metadata_props: { key: string; value: string }[];
}

/** Serialise a ModelProto; the weights' raw_data buffers are copied once, straight into the output. */
export function encodeModel(model: ModelProtoObject): Uint8Array {
  return ModelProto.encode(ModelProto.fromObject(model)).finish();
}

/** Parse ONNX bytes back into a plain object (int64 fields as numbers), for inspection and tests. */
export function decodeModel(bytes: Uint8Array): ModelProtoObject {
  const msg = ModelProto.decode(bytes);
  return ModelProto.toObject(msg, { longs: Number, defaults: false, arrays: true }) as ModelProtoObject;
}
