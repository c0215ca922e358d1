import { describe, expect, it } from 'vitest';
import {
  DataType,
  decodeModel,
  decodeModelHeader,
  encodeModel,
  OnnxProtoError,
  readMetadataProps,
} from '../src/index.js';
import { bytes, int, len, str, tag, valueInfo } from './wire-writer.js';

const value = (name: string) => ({
  name,
  type: {
    tensor_type: { elem_type: DataType.FLOAT, shape: { dim: [{ dim_param: 'N' }, { dim_value: 3 }] } },
  },
});

describe('decodeModelHeader: signature and metadata without nodes or weights', () => {
  it('reads the model fields, the graph signature and the initializer names only', () => {
    const model = encodeModel({
      ir_version: 8,
      opset_import: [{ domain: '', version: 13 }],
      producer_name: 'p',
      model_version: 7,
      graph: {
        name: 'g',
        node: [{ op_type: 'Add', input: ['x', 'b'], output: ['y'] }],
        initializer: [{ name: 'b', dims: [3], data_type: DataType.FLOAT, raw_data: new Uint8Array(12) }],
        input: [value('x'), value('b')],
        output: [value('y')],
      },
      metadata_props: [{ key: 'k', value: 'v' }],
    });
    const header = decodeModelHeader(model);
    expect(header.ir_version).toBe(8);
    expect(header.model_version).toBe(7);
    expect(header.opset_import).toEqual([{ domain: '', version: 13 }]);
    expect(header.metadata_props).toEqual([{ key: 'k', value: 'v' }]);
    expect(header.graph.name).toBe('g');
    expect(header.graph.input.map((i) => i.name)).toEqual(['x', 'b']);
    expect(header.graph.output[0]!.type).toEqual(decodeModel(model).graph.output[0]!.type);
    expect(header.graph.initializer).toEqual([{ name: 'b' }]);
    expect(Object.keys(header.graph)).not.toContain('node');
  });

  it('does not look inside nodes (their bounds are checked), so their count costs no memory', () => {
    // a node whose content is no protobuf: decodeModel refuses it, the header and the metadata are read
    const model = bytes(
      int(1, 8),
      len(7, len(1, [0xff, 0xff]), str(2, 'g'), valueInfo(11, 'x', 1, [1]), valueInfo(12, 'y', 1, [1])),
      len(14, str(1, 'k'), str(2, 'v')),
    );
    expect(() => decodeModel(model)).toThrow(OnnxProtoError);
    expect(decodeModelHeader(model).graph.output[0]!.name).toBe('y');
    expect(readMetadataProps(model)).toEqual({ k: 'v' });
    // the bounds still are
    expect(() => decodeModelHeader(bytes(len(7, tag(1, 2), [50, 1, 2])))).toThrow(
      /truncated at byte 6 inside field graph\.node/,
    );
  });

  it('a file of a million empty nodes: the metadata read without building them', () => {
    const n = 1 << 20;
    const file = new Uint8Array(5 + 2 * n + 8);
    file.set([0x3a, 0x80, 0x80, 0x80, 0x01]); // ModelProto.graph, 2^21 bytes
    for (let i = 0; i < n; i++) file[5 + 2 * i] = 0x0a; // GraphProto.node {}
    file.set(len(14, str(1, 'k'), str(2, 'v')), 5 + 2 * n);
    expect(readMetadataProps(file)).toEqual({ k: 'v' });
  });
});
