import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { decodeModel, encodeModel, type ModelProto, unknownFields } from '../src/index.js';
import {
  bytes,
  entry,
  f32,
  int,
  len,
  packedF32,
  packedF64,
  packedVarint,
  str,
  tensorType,
  valueInfo,
} from './wire-writer.js';

/**
 * A model using every field of ONNX 1.17 that the first schema left out, written by hand from onnx.proto's
 * field numbers, each message's fields in ascending order (as protobufjs writes them).
 */
function everyField(): Uint8Array {
  const tensorFields = len(
    5, // GraphProto.initializer
    int(1, 2), // dims (a proto2 repeated int64 without [packed = true]: one tag per value)
    int(2, 11), // data_type DOUBLE
    len(3, int(1, 0), int(2, 2)), // segment {begin, end}
    str(8, 'd'), // name
    packedF64(10, [1.5, -2.25]), // double_data
    entry(16, 'tensor.meta', 'x'), // metadata_props
  );
  const external = len(
    5,
    int(1, 3),
    int(2, 1),
    str(8, 'w'),
    entry(13, 'location', 'w.bin'), // external_data
    entry(13, 'offset', '0'),
    int(14, 1), // data_location EXTERNAL
  );
  const uint64 = len(5, int(1, 2), int(2, 13), str(8, 'u'), packedVarint(11, [7, 2 ** 40])); // uint64_data
  const sparse = len(
    15, // GraphProto.sparse_initializer
    len(1, int(1, 1), int(2, 1), packedF32(4, [3]), str(8, 'sv')), // values
    len(2, int(1, 1), int(2, 7), packedVarint(7, [4]), str(8, 'si')), // indices
    int(3, 8), // dims
  );
  const sequenceOut = len(
    12,
    str(1, 'seq'),
    len(2, len(4, tensorType(1, 1, ['N']))), // TypeProto.sequence_type {elem_type}
    entry(4, 'value.meta', 'y'), // ValueInfoProto.metadata_props
  );
  const mapOut = len(12, str(1, 'map'), len(2, len(5, int(1, 8), tensorType(2, 1, [])))); // map_type
  const optionalOut = len(12, str(1, 'opt'), len(2, len(9, tensorType(1, 1, [2])))); // optional_type
  const sparseOut = len(12, str(1, 'sp'), len(2, len(8, int(1, 1), len(2, len(1, int(1, 8)))))); // sparse_tensor_type
  const node = len(
    1, // GraphProto.node
    str(1, 'x'),
    str(2, 'y'),
    str(4, 'Custom'),
    len(5, str(1, 'tp'), tensorType(14, 1, [3]), int(20, 13)), // AttributeProto.tp, type TYPE_PROTO
    len(5, str(1, 'tps'), tensorType(15, 1, []), int(20, 14)), // type_protos
    len(5, str(1, 'st'), int(20, 11), len(22, int(3, 4))), // sparse_tensor
    len(5, str(1, 'sts'), int(20, 12), len(23, int(3, 5))), // sparse_tensors
    str(7, 'custom'),
    str(8, 'v2'), // overload
    entry(9, 'node.meta', 'z'), // metadata_props
  );
  const graph = len(
    7,
    node,
    str(2, 'g'),
    tensorFields,
    external,
    uint64,
    valueInfo(11, 'x', 1, ['N', 3]),
    sequenceOut,
    mapOut,
    optionalOut,
    sparseOut,
    len(14, str(1, 'x'), entry(2, 'SCALE_TENSOR', 's')), // quantization_annotation
    sparse,
    entry(16, 'graph.meta', 'w'), // metadata_props
  );
  const training = len(
    20, // ModelProto.training_info
    len(1, str(2, 'init')),
    len(2, str(2, 'algo')),
    entry(3, 'a', 'b'),
    entry(4, 'c', 'd'),
  );
  const fn = len(
    25, // ModelProto.functions
    str(1, 'Custom'),
    str(4, 'a'),
    str(5, 'b'),
    str(6, 'alpha'),
    len(7, str(1, 'a'), str(2, 'b'), str(4, 'Identity')),
    str(8, 'doc'),
    len(9, str(1, ''), int(2, 15)),
    str(10, 'custom'),
    len(11, str(1, 'beta'), f32(2, 0.5), int(20, 1)), // attribute_proto
    valueInfo(12, 'a', 1, []),
    str(13, 'v2'),
    entry(14, 'fn.meta', 'v'),
  );
  return bytes(int(1, 10), str(2, 'hand'), graph, len(8, str(1, ''), int(2, 15)), training, fn);
}

describe('decode -> encode keeps every field of ONNX 1.17', () => {
  it('reads the fields the first schema dropped, by their onnx.proto numbers', () => {
    const m: ModelProto = decodeModel(everyField());
    const g = m.graph!;
    const [d, w, u] = g.initializer!;
    expect(d?.double_data).toEqual([1.5, -2.25]);
    expect(d?.segment).toEqual({ begin: 0, end: 2 });
    expect(d?.metadata_props).toEqual([{ key: 'tensor.meta', value: 'x' }]);
    expect(w?.data_location).toBe(1);
    expect(w?.external_data).toEqual([
      { key: 'location', value: 'w.bin' },
      { key: 'offset', value: '0' },
    ]);
    expect(u?.uint64_data).toEqual([7, 2 ** 40]);
    const sparse = g.sparse_initializer?.[0];
    expect(sparse?.values?.name).toBe('sv');
    expect(sparse?.indices?.int64_data).toEqual([4]);
    expect(sparse?.dims).toEqual([8]);
    const out = g.output!;
    expect(out[0]?.type?.sequence_type?.elem_type?.tensor_type?.shape?.dim).toEqual([{ dim_param: 'N' }]);
    expect(out[0]?.metadata_props).toEqual([{ key: 'value.meta', value: 'y' }]);
    expect(out[1]?.type?.map_type?.key_type).toBe(8);
    expect(out[2]?.type?.optional_type?.elem_type?.tensor_type?.elem_type).toBe(1);
    expect(out[3]?.type?.sparse_tensor_type?.shape?.dim).toEqual([{ dim_value: 8 }]);
    expect(g.quantization_annotation?.[0]?.quant_parameter_tensor_names?.[0]?.key).toBe('SCALE_TENSOR');
    expect(g.metadata_props).toEqual([{ key: 'graph.meta', value: 'w' }]);
    const n = g.node?.[0];
    expect(n?.overload).toBe('v2');
    expect(n?.metadata_props).toEqual([{ key: 'node.meta', value: 'z' }]);
    const attrs = n?.attribute ?? [];
    expect(attrs.map((a) => a.name)).toEqual(['tp', 'tps', 'st', 'sts']);
    expect(attrs[0]?.tp?.tensor_type?.elem_type).toBe(1);
    expect(attrs[1]?.type_protos).toHaveLength(1);
    expect(attrs[2]?.sparse_tensor?.dims).toEqual([4]);
    expect(attrs[3]?.sparse_tensors?.[0]?.dims).toEqual([5]);
    expect(m.training_info?.[0]?.algorithm?.name).toBe('algo');
    expect(m.training_info?.[0]?.update_binding).toEqual([{ key: 'c', value: 'd' }]);
    const fn = m.functions?.[0];
    expect([fn?.name, fn?.domain, fn?.overload, fn?.attribute]).toEqual([
      'Custom',
      'custom',
      'v2',
      ['alpha'],
    ]);
    expect(fn?.attribute_proto?.[0]?.f).toBe(0.5);
    expect(fn?.opset_import).toEqual([{ domain: '', version: 15 }]);
    expect(fn?.metadata_props).toEqual([{ key: 'fn.meta', value: 'v' }]);
    expect(unknownFields(m)).toEqual([]);
  });

  it('writes them back: decoding the re-encoded bytes gives the same model', () => {
    const m = decodeModel(everyField());
    expect(decodeModel(encodeModel(m))).toEqual(m);
  });

  it('writes them back byte for byte, [packed = true] fields packed as onnx.proto says', () => {
    const original = everyField();
    expect(Buffer.from(encodeModel(decodeModel(original))).equals(Buffer.from(original))).toBe(true);
    // float_data = 4 [packed = true]: one tag (4 << 3 | 2), a length, the floats; protobufjs wrote a tag per float
    const t = encodeModel({ graph: { initializer: [{ float_data: [1.5, 2.5], int64_data: [3, 4] }] } });
    expect([...t]).toEqual([
      0x3a,
      16,
      0x2a,
      14, // graph, initializer
      0x22,
      8,
      0,
      0,
      0xc0,
      0x3f,
      0,
      0,
      0x20,
      0x40, // float_data packed
      0x3a,
      2,
      3,
      4, // int64_data = 7, packed
    ]);
  });

  it('a model-local function survives the round trip and still runs in onnxruntime', async () => {
    const value = (name: string) => ({
      name,
      type: { tensor_type: { elem_type: 1, shape: { dim: [{ dim_param: 'N' }, { dim_value: 3 }] } } },
    });
    const original = encodeModel({
      ir_version: 8,
      opset_import: [
        { domain: '', version: 15 },
        { domain: 'custom', version: 1 },
      ],
      producer_name: 'test',
      graph: {
        name: 'g',
        node: [{ op_type: 'AddOne', domain: 'custom', input: ['x'], output: ['y'] }],
        initializer: [],
        input: [value('x')],
        output: [value('y')],
      },
      metadata_props: [],
      functions: [
        {
          name: 'AddOne',
          domain: 'custom',
          input: ['a'],
          output: ['b'],
          opset_import: [{ domain: '', version: 15 }],
          node: [
            {
              op_type: 'Constant',
              input: [],
              output: ['one'],
              attribute: [{ name: 'value_float', type: 1, f: 1 }],
            },
            { op_type: 'Add', input: ['a', 'one'], output: ['b'] },
          ],
        },
      ],
    });
    const again = encodeModel(decodeModel(original));
    expect(Buffer.from(again).equals(Buffer.from(original))).toBe(true);
    const session = await ort.InferenceSession.create(again);
    const x = new ort.Tensor('float32', new Float32Array([1, 2, 3]), [1, 3]);
    expect([...((await session.run({ x })).y!.data as Float32Array)]).toEqual([2, 3, 4]);
    await session.release();
  });

  it('keeps external-data locations: the decoded tensor names the file, the data stays in it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'onnx-proto-ext-'));
    writeFileSync(join(dir, 'w.bin'), new Uint8Array(new Float32Array([1, 2, 3]).buffer));
    const model = decodeModel(
      bytes(
        int(1, 8),
        len(
          7,
          len(1, str(1, 'x'), str(1, 'b'), str(2, 'y'), str(4, 'Add')),
          str(2, 'g'),
          len(5, int(1, 3), int(2, 1), str(8, 'b'), entry(13, 'location', 'w.bin'), int(14, 1)),
          valueInfo(11, 'x', 1, [3]),
          valueInfo(12, 'y', 1, [3]),
        ),
        len(8, str(1, ''), int(2, 13)),
      ),
    );
    const b = model.graph.initializer[0]!;
    expect(b.external_data).toEqual([{ key: 'location', value: 'w.bin' }]);
    expect(b.data_location).toBe(1);
    expect(b.raw_data).toBeUndefined();
    writeFileSync(join(dir, 'model.onnx'), encodeModel(model));
    const session = await ort.InferenceSession.create(join(dir, 'model.onnx'));
    const x = new ort.Tensor('float32', new Float32Array([10, 20, 30]), [3]);
    expect([...((await session.run({ x })).y!.data as Float32Array)]).toEqual([11, 22, 33]);
    await session.release();
  });
});

describe('fields this schema does not know', () => {
  // ModelProto field 26 and NodeProto field 10 are not in ONNX 1.17's onnx.proto (later releases use them).
  const withUnknown = () =>
    bytes(
      int(1, 10),
      len(7, len(1, str(1, 'x'), str(2, 'y'), str(4, 'Identity'), len(10, str(1, 'dev'))), str(2, 'g')),
      len(26, str(1, 'config')),
    );

  it('are listed by unknownFields, and encodeModel refuses to drop them in silence', () => {
    const m = decodeModel(withUnknown());
    expect(unknownFields(m)).toEqual([
      '(model): ModelProto field 26 (LEN)',
      'graph.node[0]: NodeProto field 10 (LEN)',
    ]);
    expect(() => encodeModel(m)).toThrow(/2 field\(s\) this ONNX schema \(1\.17\) does not know/);
    // a copy with new metadata still holds them
    expect(() => encodeModel({ ...m, metadata_props: [{ key: 'k', value: 'v' }] })).toThrow(
      /dropUnknownFields/,
    );
    const dropped = decodeModel(encodeModel(m, { dropUnknownFields: true }));
    expect(unknownFields(dropped)).toEqual([]);
    expect(dropped.graph.node[0]!.op_type).toBe('Identity');
  });
});
