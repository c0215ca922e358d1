import protobuf from 'protobufjs';
import { ONNX_PROTO_SUBSET } from './schema.js';

const root = protobuf.parse(ONNX_PROTO_SUBSET, { keepCase: true }).root;
const ModelProto = root.lookupType('onnx.ModelProto');

/** ONNX TensorProto.DataType values used here. */
export const OnnxDataType = { FLOAT: 1, UINT8: 2, INT32: 6, INT64: 7 } as const;
/** ONNX AttributeProto.AttributeType values used here. */
export const OnnxAttributeType = { FLOAT: 1, INT: 2, INTS: 7 } as const;

export type OnnxDim = { dim_value: number } | { dim_param: string };

export interface OnnxTensor {
  name: string;
  dims: number[];
  data_type: number;
  raw_data?: Uint8Array;
}
export interface OnnxAttribute {
  name: string;
  type: number;
  f?: number;
  i?: number;
  ints?: number[];
}
export interface OnnxNode {
  input: string[];
  output: string[];
  name?: string;
  op_type: string;
  attribute?: OnnxAttribute[];
}
export interface OnnxValueInfo {
  name: string;
  type?: { tensor_type?: { elem_type: number; shape?: { dim?: Partial<OnnxDim>[] } } };
}
export interface OnnxGraph {
  name: string;
  node: OnnxNode[];
  initializer?: OnnxTensor[];
  input: OnnxValueInfo[];
  output: OnnxValueInfo[];
}
export interface OnnxModel {
  ir_version: number;
  producer_name?: string;
  producer_version?: string;
  opset_import: { domain: string; version: number }[];
  graph: OnnxGraph;
  metadata_props?: { key: string; value: string }[];
}

export function encodeOnnxModel(model: OnnxModel): Uint8Array {
  return ModelProto.encode(ModelProto.fromObject(model)).finish();
}

/** Parse ONNX bytes into a plain object; int64 fields become numbers, bytes stay Uint8Array. */
export function decodeOnnxModel(bytes: Uint8Array): OnnxModel {
  const msg = ModelProto.decode(bytes);
  return ModelProto.toObject(msg, {
    longs: Number,
    bytes: Uint8Array,
    defaults: false,
    arrays: true,
  }) as OnnxModel;
}
