import { describe, expect, it } from 'vitest';
import { DataType, decodeModel, encodeModel, OnnxProtoError, readMetadataProps } from '../src/index.js';
import { bytes, f32, int, len, str, tag, valueInfo, varint } from './wire-writer.js';

/** A small valid model with weights, a node attribute and metadata. */
function model(): Uint8Array {
  return encodeModel({
    ir_version: 8,
    opset_import: [{ domain: '', version: 13 }],
    producer_name: 'p',
    graph: {
      name: 'g',
      node: [
        {
          op_type: 'Softmax',
          input: ['x'],
          output: ['y'],
          attribute: [{ name: 'axis', type: 2, i: -1 }],
        },
      ],
      initializer: [{ name: 'w', dims: [2], data_type: DataType.FLOAT, raw_data: new Uint8Array(8) }],
      input: [
        {
          name: 'x',
          type: { tensor_type: { elem_type: 1, shape: { dim: [{ dim_param: 'N' }, { dim_value: 2 }] } } },
        },
      ],
      output: [{ name: 'y', type: { tensor_type: { elem_type: 1, shape: { dim: [{ dim_value: 2 }] } } } }],
    },
    metadata_props: [{ key: 'k', value: 'v' }],
  });
}

function refusal(input: Uint8Array): OnnxProtoError {
  try {
    decodeModel(input);
  } catch (e) {
    expect(e).toBeInstanceOf(OnnxProtoError);
    expect((e as OnnxProtoError).code).toBe('ONNX_MALFORMED');
    return e as OnnxProtoError;
  }
  throw new Error('decoded without error');
}

describe('decodeModel refuses bytes that are not an ONNX ModelProto, naming the byte and the field', () => {
  const graph = len(7, str(2, 'g'), valueInfo(11, 'x', 1, [1]));

  it('empty input, and a ModelProto without a graph', () => {
    expect(refusal(new Uint8Array()).message).toBe('not an ONNX ModelProto: the input is empty (0 bytes)');
    expect(refusal(bytes(int(1, 8), str(2, 'p'))).message).toBe(
      'not an ONNX ModelProto: it has no graph (ModelProto field 7)',
    );
    expect(() => readMetadataProps(new Uint8Array())).toThrow(OnnxProtoError);
  });

  it('a wire type that is not the field type', () => {
    // producer_name (string) written as a varint: protobufjs read it as a 3-byte string "ABC"
    expect(refusal(bytes(tag(2, 0), [3, 0x41, 0x42, 0x43])).message).toBe(
      'not an ONNX ModelProto: field producer_name at byte 0 has wire type VARINT, but ModelProto.producer_name (string) is LEN',
    );
    const e = refusal(bytes(graph, len(8, tag(2, 1), [1, 0, 0, 0, 0, 0, 0, 0])));
    expect(e.message).toMatch(/field opset_import\[0\]\.version at byte \d+ has wire type I64/);
    expect(refusal(bytes(tag(7, 0), [5])).message).toMatch(/field graph at byte 0 has wire type VARINT/);
  });

  it('lengths past the end, and lengths of 2^32 or more (a length of 2^32 + 3 was read as 3)', () => {
    expect(refusal(bytes(tag(7, 2), varint(1000), [1, 2, 3])).message).toBe(
      'not an ONNX ModelProto: truncated at byte 6 inside field graph: the field at byte 0 claims 1000 bytes, 3 remain',
    );
    expect(refusal(bytes(tag(2, 2), varint(2 ** 32 + 3), [0x41, 0x42, 0x43], graph)).message).toMatch(
      /field producer_name at byte 0 claims a length of 4294967299 bytes \(2\^32 or more/,
    );
    expect(refusal(bytes(tag(7, 2), varint(-5), [0x41])).message).toMatch(
      /claims a length of more than 2\^53/,
    );
    // a field running past the end of the message holding it
    const e = refusal(bytes(len(7, tag(2, 2), varint(10), str(1, 'x')), [0, 0, 0, 0, 0, 0, 0, 0]));
    expect(e.message).toMatch(
      /inside field graph\.name: the field at byte 2 claims 10 bytes, 3 remain in its enclosing message/,
    );
  });

  it('a cut file names where it ends and in which field', () => {
    const whole = model();
    const e = refusal(whole.subarray(0, 40));
    expect(e.message).toMatch(/^not an ONNX ModelProto: truncated at byte 40 inside field graph/);
    expect(e.offset).toBeTypeOf('number');
  });

  it('bad varints, field number 0, groups and wire types 6 and 7', () => {
    expect(refusal(bytes(tag(1, 0), [0x80])).message).toBe(
      'not an ONNX ModelProto: truncated at byte 2 inside field ir_version (a varint starting at byte 1)',
    );
    expect(refusal(bytes(tag(1, 0), Array(10).fill(0x80), [1])).message).toMatch(
      /a varint longer than 10 bytes at byte 1/,
    );
    expect(refusal(bytes([0x00, 0x01])).message).toMatch(/invalid field number 0 at byte 0/);
    for (const w of [3, 4, 6, 7])
      expect(refusal(bytes(tag(99, w), [1])).message).toMatch(/invalid wire type/);
  });

  it('packed values that are not whole values', () => {
    const e = refusal(bytes(len(7, len(5, len(4, [0, 0, 0x80, 0x3f, 0])))));
    expect(e.message).toMatch(
      /graph\.initializer\[0\]\.float_data at byte \d+: 5 bytes of packed float values/,
    );
  });

  it('nesting deeper than protobufjs decodes (its own error was "maximum nesting depth exceeded")', () => {
    let inner: number[] = [];
    for (let i = 0; i < 40; i++) inner = len(1, len(5, len(6, inner))); // node { attribute { g { ... } } }
    expect(refusal(bytes(len(7, inner))).message).toMatch(
      /messages nested more than 100 deep at byte \d+ inside field graph\.node\[0\]\.attribute\[0\]\.g/,
    );
  });

  it('never lets a protobufjs RangeError through: every cut and many flipped bytes of a model', () => {
    const whole = model();
    const seen = new Set<string>();
    const check = (b: Uint8Array) => {
      try {
        decodeModel(b);
      } catch (e) {
        if (!(e instanceof OnnxProtoError)) throw e;
        seen.add(e.code);
      }
    };
    for (let cut = 0; cut < whole.length; cut++) check(whole.subarray(0, cut));
    let seed = 1;
    const rand = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let i = 0; i < 3000; i++) {
      const b = whole.slice();
      for (let k = 0; k < 3; k++) b[Math.floor(rand() * b.length)] = Math.floor(rand() * 256);
      check(b);
    }
    expect([...seen]).toEqual(['ONNX_MALFORMED']);
  });

  it('still reads what protobuf allows: unpacked and packed repeated numbers alike', () => {
    const m = decodeModel(
      bytes(len(7, len(5, int(1, 2), int(1, 3), f32(4, 1.5), f32(4, 2.5)), str(2, 'g')), int(1, 8)),
    );
    expect(m.graph.initializer[0]!.dims).toEqual([2, 3]);
    expect(m.graph.initializer[0]!.float_data).toEqual([1.5, 2.5]);
  });
});
