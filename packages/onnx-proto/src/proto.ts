import protobuf from 'protobufjs';
import { ONNX_PROTO_SUBSET } from './schema.js';

const root = protobuf.parse(ONNX_PROTO_SUBSET, { keepCase: true }).root;
const ModelProto = root.lookupType('onnx.ModelProto');

/** ONNX TensorProto.DataType values (element types of tensors and graph inputs/outputs). */
export const DataType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
} as const;
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

/**
 * Plain-object forms of the messages, snake_case field names as in onnx.proto. Decoding yields the same
 * shapes: repeated fields are always arrays, int64 fields are numbers, unset optional fields are absent.
 */
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
  name?: string;
  op_type: string;
  domain?: string;
  attribute?: AttributeProtoObject[];
  doc_string?: string;
}
/** One dimension of a shape: a fixed size or a symbolic name (e.g. the batch `N`). */
export type DimensionObject = { dim_value: number } | { dim_param: string };
export interface ValueInfoProtoObject {
  name: string;
  type: {
    tensor_type: { elem_type: number; shape: { dim: DimensionObject[] } };
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
  producer_version?: string;
  /** The version of the model (int64); hcr writes the training run's version here. */
  model_version?: number;
  doc_string?: string;
  graph: GraphProtoObject;
  metadata_props: { key: string; value: string }[];
}

/** Serialise a ModelProto; the weights' raw_data buffers are copied once, straight into the output. */
export function encodeModel(model: ModelProtoObject): Uint8Array {
  return ModelProto.encode(ModelProto.fromObject(model)).finish();
}

/**
 * Parse ONNX bytes into a plain object (int64 fields as numbers, bytes as Uint8Array). Throws protobufjs'
 * error on bytes that are not a ModelProto; callers turn it into an error naming the file.
 */
export function decodeModel(bytes: Uint8Array): ModelProtoObject {
  const msg = ModelProto.decode(bytes);
  return ModelProto.toObject(msg, { longs: Number, defaults: false, arrays: true }) as ModelProtoObject;
}
