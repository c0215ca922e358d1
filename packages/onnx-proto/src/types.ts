/**
 * The messages of onnx.proto (ONNX 1.17) as plain objects, snake_case field names as there, in two sets:
 *
 * - `ModelProto`, `GraphProto`, `NodeProto`, ...: onnx.proto as it is. Every field is optional, as in proto2:
 *   a model from another tool may leave any out (an unnamed initializer, a value without a type, a
 *   dimension neither fixed nor named, a graph output that is a sequence). Type a model of unknown origin
 *   with these (`const model: ModelProto = decodeModel(bytes)`) to have the compiler ask for every check.
 * - `ModelProtoObject`, `GraphProtoObject`, `NodeProtoObject`, ...: the same messages with the fields hcr
 *   always writes required (a graph, node inputs and outputs, names, tensor types with shapes). What the
 *   exporter builds; `decodeModel` returns this type, which holds for the models hcr writes only.
 *
 * int64 fields are JavaScript numbers, bytes fields Uint8Array. Decoding gives every repeated field as an
 * array (empty when unset) and leaves unset optional fields absent.
 */

/** A `StringStringEntryProto`: metadata_props, external_data and the other key/value lists. */
export interface StringStringEntryProto {
  key?: string;
  value?: string;
}

export interface OperatorSetIdProto {
  /** '' (or absent) for the default domain ai.onnx. */
  domain?: string;
  version?: number;
}

export interface TensorProto {
  dims?: number[];
  /** A `DataType` value. */
  data_type?: number;
  /** For very large tensors stored in chunks: the part this one holds. */
  segment?: { begin?: number; end?: number };
  float_data?: number[];
  int32_data?: number[];
  string_data?: Uint8Array[];
  int64_data?: number[];
  name?: string;
  doc_string?: string;
  /**
   * The elements' bytes, little-endian. A decoded one is a view into the bytes given to `decodeModel` (no
   * copy, at any byte offset): copy it, `new Uint8Array(raw_data)`, before changing it or viewing it as a
   * Float32Array or another typed array that needs an aligned offset (`raw_data.slice()` is a view too
   * when the bytes were a Node Buffer).
   */
  raw_data?: Uint8Array;
  /**
   * Where the data of an external tensor (`data_location` 1) is: `location`, a path relative to the model
   * file, and optionally `offset`, `length`, `checksum`. The data itself is not in the model.
   */
  external_data?: StringStringEntryProto[];
  /** 0 DEFAULT (the data is in this message), 1 EXTERNAL (see external_data). */
  data_location?: number;
  double_data?: number[];
  uint64_data?: number[];
  metadata_props?: StringStringEntryProto[];
}

export interface SparseTensorProto {
  values?: TensorProto;
  indices?: TensorProto;
  dims?: number[];
}

/**
 * `TensorShapeProto.Dimension`: a fixed size (`dim_value`), a symbolic name (`dim_param`, e.g. the batch
 * `N`), or neither (`{}`, a size not known); `denotation` optionally says what it is (DATA_BATCH, ...).
 */
export type Dimension =
  | { dim_value: number; dim_param?: undefined; denotation?: string }
  | { dim_param: string; dim_value?: undefined; denotation?: string }
  | { dim_value?: undefined; dim_param?: undefined; denotation?: string };

export interface TensorShapeProto {
  dim?: Dimension[];
}

/** `TypeProto.Tensor` and `TypeProto.SparseTensor`: an element type (`DataType`) and a shape (absent: any rank). */
export interface TensorTypeProto {
  elem_type?: number;
  shape?: TensorShapeProto;
}

/** A value's type: one of tensor_type, sequence_type, map_type, optional_type, sparse_tensor_type. */
export interface TypeProto {
  tensor_type?: TensorTypeProto;
  sequence_type?: { elem_type?: TypeProto };
  map_type?: { key_type?: number; value_type?: TypeProto };
  optional_type?: { elem_type?: TypeProto };
  sparse_tensor_type?: TensorTypeProto;
  denotation?: string;
}

export interface ValueInfoProto {
  name?: string;
  type?: TypeProto;
  doc_string?: string;
  metadata_props?: StringStringEntryProto[];
}

export interface AttributeProto {
  name?: string;
  ref_attr_name?: string;
  doc_string?: string;
  /** An `AttributeType` value. */
  type?: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: TensorProto;
  g?: GraphProto;
  sparse_tensor?: SparseTensorProto;
  tp?: TypeProto;
  floats?: number[];
  ints?: number[];
  strings?: Uint8Array[];
  tensors?: TensorProto[];
  graphs?: GraphProto[];
  sparse_tensors?: SparseTensorProto[];
  type_protos?: TypeProto[];
}

export interface NodeProto {
  input?: string[];
  output?: string[];
  name?: string;
  op_type?: string;
  domain?: string;
  overload?: string;
  attribute?: AttributeProto[];
  doc_string?: string;
  metadata_props?: StringStringEntryProto[];
}

export interface TensorAnnotation {
  tensor_name?: string;
  quant_parameter_tensor_names?: StringStringEntryProto[];
}

export interface GraphProto {
  node?: NodeProto[];
  name?: string;
  initializer?: TensorProto[];
  sparse_initializer?: SparseTensorProto[];
  doc_string?: string;
  input?: ValueInfoProto[];
  output?: ValueInfoProto[];
  value_info?: ValueInfoProto[];
  quantization_annotation?: TensorAnnotation[];
  metadata_props?: StringStringEntryProto[];
}

export interface TrainingInfoProto {
  initialization?: GraphProto;
  algorithm?: GraphProto;
  initialization_binding?: StringStringEntryProto[];
  update_binding?: StringStringEntryProto[];
}

export interface FunctionProto {
  name?: string;
  input?: string[];
  output?: string[];
  attribute?: string[];
  attribute_proto?: AttributeProto[];
  node?: NodeProto[];
  doc_string?: string;
  opset_import?: OperatorSetIdProto[];
  domain?: string;
  overload?: string;
  value_info?: ValueInfoProto[];
  metadata_props?: StringStringEntryProto[];
}

export interface ModelProto {
  ir_version?: number;
  opset_import?: OperatorSetIdProto[];
  producer_name?: string;
  producer_version?: string;
  domain?: string;
  /** The version of the model (int64); hcr writes the training run's version here. */
  model_version?: number;
  doc_string?: string;
  graph?: GraphProto;
  metadata_props?: StringStringEntryProto[];
  training_info?: TrainingInfoProto[];
  functions?: FunctionProto[];
}

// hcr's view: the same messages, the fields hcr always writes required.

export interface TensorProtoObject extends TensorProto {
  name: string;
}

export interface AttributeProtoObject extends AttributeProto {
  t?: TensorProtoObject;
  g?: GraphProtoObject;
  tensors?: TensorProtoObject[];
  graphs?: GraphProtoObject[];
}

export interface NodeProtoObject extends NodeProto {
  input: string[];
  output: string[];
  op_type: string;
  attribute?: AttributeProtoObject[];
}

/** One dimension of a shape hcr writes: a fixed size or a symbolic name (e.g. the batch `N`). */
export type DimensionObject =
  | { dim_value: number; denotation?: string }
  | { dim_param: string; denotation?: string };

export interface ValueInfoProtoObject extends ValueInfoProto {
  name: string;
  type: Omit<TypeProto, 'tensor_type'> & {
    tensor_type: { elem_type: number; shape: { dim: DimensionObject[] } };
  };
}

export interface GraphProtoObject extends GraphProto {
  node: NodeProtoObject[];
  initializer: TensorProtoObject[];
  input: ValueInfoProtoObject[];
  output: ValueInfoProtoObject[];
  value_info?: ValueInfoProtoObject[];
}

export interface ModelProtoObject extends ModelProto {
  opset_import: OperatorSetIdProto[];
  graph: GraphProtoObject;
  metadata_props: { key: string; value: string }[];
}
