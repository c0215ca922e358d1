import { describe, expect, it } from 'vitest';
import { DataType, decodeModel, encodeModel, type ModelProto, OnnxProtoError } from '../src/index.js';

const value = (name: string) => ({
  name,
  type: { tensor_type: { elem_type: DataType.FLOAT, shape: { dim: [{ dim_value: 3 }] } } },
});
const model = (initializer: unknown = { name: 'b', dims: [3], data_type: 1, raw_data: new Uint8Array(12) }) =>
  ({
    ir_version: 8,
    opset_import: [{ domain: '', version: 13 }],
    graph: {
      name: 'g',
      node: [{ op_type: 'Add', input: ['x', 'b'], output: ['y'] }],
      initializer: [initializer],
      input: [value('x')],
      output: [value('y')],
    },
    metadata_props: [],
  }) as ModelProto;

// biome-ignore lint/suspicious/noExplicitAny: these tests build wrong models on purpose
type Loose = any;

function refusal(m: unknown): string {
  try {
    encodeModel(m as ModelProto);
  } catch (e) {
    expect(e).toBeInstanceOf(OnnxProtoError);
    expect((e as OnnxProtoError).code).toBe('ONNX_INVALID_MODEL');
    return (e as Error).message;
  }
  return 'encoded';
}

describe('encodeModel refuses what protobufjs would drop or coerce in silence', () => {
  it('a key that is no field of its message (it was dropped: no initializers, no metadata)', () => {
    const m = model() as Loose;
    m.graph.initializers = m.graph.initializer;
    delete m.graph.initializer;
    expect(refusal(m)).toBe(
      'encodeModel: graph.initializers: GraphProto has no field "initializers" (did you mean "initializer"?).',
    );
    expect(refusal({ ...model(), metadataProps: [{ key: 'k', value: 'v' }] })).toBe(
      'encodeModel: metadataProps: ModelProto has no field "metadataProps" (did you mean "metadata_props"?).',
    );
    expect(refusal({ ...model(), colour: 'red' })).toBe(
      'encodeModel: colour: ModelProto has no field "colour".',
    );
  });

  it('raw_data that is not a Uint8Array (a Float32Array was written as one byte per float)', () => {
    const f = new Float32Array([1.5, 2.5, 3.5]);
    expect(refusal(model({ name: 'b', dims: [3], data_type: 1, raw_data: f }))).toBe(
      'encodeModel: graph.initializer[0].raw_data must be a Uint8Array of bytes, not a Float32Array (its bytes: new Uint8Array(x.buffer, x.byteOffset, x.byteLength)).',
    );
    // a Buffer is a Uint8Array
    expect(() =>
      encodeModel(model({ name: 'b', dims: [3], data_type: 1, raw_data: Buffer.from(f.buffer) })),
    ).not.toThrow();
  });

  it('enum and int32 values given as strings (data_type "FLOAT" was written as 0)', () => {
    expect(refusal(model({ name: 'b', dims: [3], data_type: 'FLOAT', raw_data: new Uint8Array(12) }))).toBe(
      'encodeModel: graph.initializer[0].data_type must be a number (a DataType value, e.g. DataType.FLOAT = 1), not the string "FLOAT".',
    );
    const m = model() as Loose;
    m.graph.node[0].attribute = [{ name: 'axes', type: 'INTS', ints: [0] }];
    expect(refusal(m)).toBe(
      'encodeModel: graph.node[0].attribute[0].type must be a number (an AttributeType value), not the string "INTS".',
    );
    m.graph.node[0].attribute = [{ name: 'axes', type: 7.5 }];
    expect(refusal(m)).toMatch(/attribute\[0\]\.type must be a number \(an AttributeType value\), not 7\.5/);
  });

  it('other values of the wrong kind, and two fields of a oneof', () => {
    const m = model() as Loose;
    m.graph.node = 'oops';
    expect(refusal(m)).toBe(
      'encodeModel: graph.node is a repeated field: it must be an array, not the string "oops".',
    );
    expect(refusal({ ...model(), producer_name: 7 })).toMatch(
      /producer_name must be a string, not 7 \(number\)/,
    );
    expect(refusal({ ...model(), graph: [] })).toMatch(/graph must be a GraphProto object, not an array/);
    expect(refusal(model({ name: 'b', float_data: ['1'] }))).toMatch(/float_data\[0\] must be a number/);
    const both = model() as Loose;
    both.graph.input[0].type.tensor_type.shape.dim = [{ dim_value: 3, dim_param: 'N' }];
    expect(refusal(both)).toBe(
      'encodeModel: graph.input[0].type.tensor_type.shape.dim[0] sets dim_value and dim_param: one of them only.',
    );
    expect(refusal(null)).toMatch(/the model must be a ModelProto object, not null/);
  });

  it('still takes unset fields as undefined or null, and decoded models as they are', () => {
    const m = model() as Loose;
    m.graph.node[0].name = undefined;
    m.doc_string = null;
    const bytes = encodeModel(m);
    expect(encodeModel(decodeModel(bytes))).toEqual(bytes);
  });
});

describe('decoded raw_data', () => {
  it('is a view into the decoded bytes: copy it (new Uint8Array(raw)) before changing it or viewing it as floats', () => {
    const bytes = encodeModel(
      model({
        name: 'b',
        dims: [3],
        data_type: 1,
        raw_data: new Uint8Array(new Float32Array([1, 2, 3]).buffer),
      }),
    );
    const raw = decodeModel(bytes).graph.initializer[0]!.raw_data!;
    expect(raw.buffer).toBe(bytes.buffer);
    expect(raw.byteOffset % 4).not.toBe(0); // new Float32Array(raw.buffer, raw.byteOffset) would throw here
    expect([...new Float32Array(new Uint8Array(raw).buffer)]).toEqual([1, 2, 3]);
    // on Node the decoded bytes are a Buffer, whose slice() is a view, not a copy
    expect(raw.slice().buffer).toBe(bytes.buffer);
  });
});
