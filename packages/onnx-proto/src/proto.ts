import protobuf from 'protobufjs';
import { checkModelObject, UNKNOWN_FIELDS } from './check.js';
import { OnnxProtoError } from './errors.js';
import { longsToNumbers } from './int64.js';
import { ONNX_PROTO } from './schema.js';
import type { GraphProto, ModelProto, ModelProtoObject } from './types.js';
import { checkMessage, describeUnknown, planOf, type UnknownField } from './wire.js';

// resolveAll: without it protobufjs ignores `[packed = true]` and writes float_data, int32_data, int64_data,
// double_data and uint64_data one tag per value (readers take both; onnx.proto says packed)
const root = protobuf.parse(ONNX_PROTO, { keepCase: true }).root.resolveAll();
const ModelType = root.lookupType('onnx.ModelProto');
const modelPlan = planOf(ModelType);

/**
 * The light schema of `decodeModelHeader`: ModelProto without training_info and functions, GraphProto
 * without nodes, value_info, sparse initializers and quantisation annotations, and initializers reduced to
 * their names. protobufjs skips the fields a type lacks without building anything from them.
 */
const headerRoot = protobuf.parse(ONNX_PROTO, { keepCase: true }).root;
const HEADER_SKIPPED = [
  'ModelProto.training_info',
  'ModelProto.functions',
  'GraphProto.node',
  'GraphProto.value_info',
  'GraphProto.sparse_initializer',
  'GraphProto.quantization_annotation',
];
for (const name of [...HEADER_SKIPPED, 'GraphProto.initializer']) {
  const [type, field] = name.split('.') as [string, string];
  const t = headerRoot.lookupType(`onnx.${type}`);
  t.remove(t.fields[field]!);
}
(headerRoot.lookup('onnx') as protobuf.Namespace).add(
  new protobuf.Type('InitializerName').add(new protobuf.Field('name', 8, 'string')),
);
headerRoot
  .lookupType('onnx.GraphProto')
  .add(new protobuf.Field('initializer', 5, 'InitializerName', 'repeated'));
headerRoot.resolveAll();
const HeaderType = headerRoot.lookupType('onnx.ModelProto');
const HEADER_SHALLOW = new Set(HEADER_SKIPPED);

// The fields of a decoded message that the schema does not know (fields of ONNX releases after 1.17, or a
// vendor's) are noted on the message object holding them, under UNKNOWN_FIELDS: an enumerable symbol key,
// so a spread copy keeps it (`{ ...model, metadata_props }` still holds the model's unknown fields) and
// JSON never shows it.

/** ONNX TensorProto.DataType values (element types of tensors and graph inputs/outputs), as in ONNX 1.17. */
export const DataType = {
  UNDEFINED: 0,
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  COMPLEX64: 14,
  COMPLEX128: 15,
  BFLOAT16: 16,
  FLOAT8E4M3FN: 17,
  FLOAT8E4M3FNUZ: 18,
  FLOAT8E5M2: 19,
  FLOAT8E5M2FNUZ: 20,
  UINT4: 21,
  INT4: 22,
} as const;
/** ONNX AttributeProto.AttributeType values, as in ONNX 1.17. */
export const AttributeType = {
  UNDEFINED: 0,
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  GRAPH: 5,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
  TENSORS: 9,
  GRAPHS: 10,
  SPARSE_TENSOR: 11,
  SPARSE_TENSORS: 12,
  TYPE_PROTO: 13,
  TYPE_PROTOS: 14,
} as const;

export interface EncodeOptions {
  /**
   * Write a decoded model even though it holds fields this schema does not know (see `unknownFields`):
   * they are left out of the output. Without it `encodeModel` throws rather than lose them in silence.
   */
  dropUnknownFields?: boolean;
}

/**
 * Serialise a ModelProto; the weights' raw_data buffers are copied once, straight into the output. The
 * object is checked against the schema first (`ONNX_INVALID_MODEL` names the field): a key that is no
 * field of its message (`initializers`), a bytes field that is not a Uint8Array, a string where a number
 * goes (`data_type: 'FLOAT'`), an int64 that is not a safe integer or a bigint, two fields of one oneof.
 */
export function encodeModel(model: ModelProto, options: EncodeOptions = {}): Uint8Array {
  const unknown: string[] = [];
  checkModelObject(model, modelPlan, unknown);
  if (!options.dropUnknownFields) {
    if (unknown.length)
      throw new OnnxProtoError(
        'ONNX_UNKNOWN_FIELDS',
        `encodeModel: the model was decoded from bytes holding ${unknown.length} field(s) this ONNX schema (1.17) does not know, which would be lost: ${unknown.slice(0, 5).join('; ')}${unknown.length > 5 ? '; ...' : ''}. Pass { dropUnknownFields: true } to write it without them.`,
      );
  }
  return ModelType.encode(ModelType.fromObject(model)).finish();
}

/**
 * Parse ONNX bytes into a plain object (int64 fields as numbers, bytes as Uint8Array). The bytes are checked
 * against the schema first: empty input, a cut file, wire types that do not match the field, lengths past
 * the end or of 4 GiB and more, and a ModelProto without a graph throw an OnnxProtoError (`ONNX_MALFORMED`)
 * naming the byte and the field, e.g. "not an ONNX ModelProto: truncated at byte 1234 inside field
 * graph.node[3]: ...". Fields the schema does not know are skipped and listed by `unknownFields(model)`.
 */
export function decodeModel(bytes: Uint8Array): ModelProtoObject {
  const unknown = checkModelBytes(bytes, 'decodeModel');
  const model = decodeChecked(bytes);
  if (!model.graph)
    throw new OnnxProtoError(
      'ONNX_MALFORMED',
      'not an ONNX ModelProto: it has no graph (ModelProto field 7)',
    );
  for (const u of unknown) markUnknown(model, u);
  return model;
}

/** The walk of `checkMessage` over a ModelProto, after refusing what is no protobuf at all. */
function checkModelBytes(bytes: Uint8Array, fn: string, shallow?: ReadonlySet<string>): UnknownField[] {
  if (!(bytes instanceof Uint8Array))
    throw new OnnxProtoError(
      'ONNX_MALFORMED',
      `${fn} takes the file's bytes as a Uint8Array (or Buffer), not ${(bytes as unknown) instanceof ArrayBuffer ? 'an ArrayBuffer (wrap it: new Uint8Array(buffer))' : bytes === null ? 'null' : typeof bytes}.`,
    );
  if (bytes.length === 0)
    throw new OnnxProtoError('ONNX_MALFORMED', 'not an ONNX ModelProto: the input is empty (0 bytes)', {
      offset: 0,
    });
  return checkMessage(bytes, modelPlan, 'ONNX ModelProto', shallow);
}

/** protobufjs' decode of bytes `checkMessage` passed; its own errors (none expected) are wrapped. */
function decodeChecked(bytes: Uint8Array): ModelProtoObject {
  const model = decodeAs<ModelProtoObject>(ModelType, bytes);
  longsToNumbers(model as unknown as Record<string, unknown>, modelPlan);
  return model;
}

/** protobufjs' decode with one of the two schemas, its own errors (none expected after the checks) wrapped. */
function decodeAs<T>(type: typeof ModelType, bytes: Uint8Array): T {
  try {
    // int64s stay Long objects here (no `longs` option): longsToNumbers converts the exact ones
    return type.toObject(type.decode(bytes), { defaults: false, arrays: true }) as T;
  } catch (e) {
    throw new OnnxProtoError('ONNX_MALFORMED', 'not an ONNX ModelProto: protobuf decoding failed', {
      cause: e,
    });
  }
}

/**
 * What `decodeModelHeader` reads: the model's fields and its graph's signature and metadata; the graph's
 * nodes, value_info and weights are not decoded (initializers give their names only).
 */
export interface ModelHeaderObject extends Omit<ModelProto, 'graph' | 'training_info' | 'functions'> {
  opset_import: NonNullable<ModelProto['opset_import']>;
  metadata_props: NonNullable<ModelProto['metadata_props']>;
  graph: Pick<GraphProto, 'name' | 'doc_string'> & {
    input: NonNullable<GraphProto['input']>;
    output: NonNullable<GraphProto['output']>;
    metadata_props: NonNullable<GraphProto['metadata_props']>;
    /** The initializers' names (an input listed as an initializer is not fed by the caller). */
    initializer: { name?: string }[];
  };
}

/**
 * The model's own fields (ir_version, opset_import, producer, model_version, metadata_props, ...) and its
 * graph's name, inputs, outputs, metadata_props and initializer names, without decoding nodes or weights:
 * what reading a signature or metadata needs, in memory that does not grow with the graph (a file of
 * millions of empty nodes decodes to millions of objects with `decodeModel`). The bytes are checked as by
 * `decodeModel` (the skipped fields' bounds, not their content); the result is not for `encodeModel`.
 */
export function decodeModelHeader(bytes: Uint8Array): ModelHeaderObject {
  checkModelBytes(bytes, 'decodeModelHeader', HEADER_SHALLOW);
  const header = decodeAs<ModelHeaderObject>(HeaderType, bytes);
  if (!header.graph)
    throw new OnnxProtoError(
      'ONNX_MALFORMED',
      'not an ONNX ModelProto: it has no graph (ModelProto field 7)',
    );
  longsToNumbers(header as unknown as Record<string, unknown>, modelPlan);
  return header;
}

function markUnknown(model: object, u: UnknownField): void {
  let target = model as Record<string | number, unknown>;
  for (const step of u.path) target = target[step] as Record<string | number, unknown>;
  const holder = target as { [UNKNOWN_FIELDS]?: string[] };
  holder[UNKNOWN_FIELDS] = [...(holder[UNKNOWN_FIELDS] ?? []), describeUnknown(u)];
}

/**
 * The fields of a decoded model (and of the messages inside it) that this schema does not know, e.g.
 * `graph.node[3]: NodeProto field 10 (LEN)`: fields added by an ONNX release after 1.17, or a vendor's.
 * Empty for a model built in code or decoded from bytes that use only ONNX 1.17 fields.
 */
export function unknownFields(model: ModelProto): string[] {
  const found: string[] = [];
  const visit = (value: unknown): void => {
    if (typeof value !== 'object' || value === null || ArrayBuffer.isView(value)) return;
    if (Array.isArray(value)) {
      for (const v of value) visit(v);
      return;
    }
    const own = (value as { [UNKNOWN_FIELDS]?: string[] })[UNKNOWN_FIELDS];
    if (own) found.push(...own);
    for (const v of Object.values(value)) visit(v);
  };
  visit(model);
  return found;
}
