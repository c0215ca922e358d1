import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import {
  DataType,
  decodeModel,
  encodeModel,
  type ModelProtoObject,
  metadataRecord,
  readMetadataProps,
} from '../src/index.js';

/** y = x + b, x and y float32 [N, 3]; b an initializer. */
function addModel(props: Record<string, string>): ModelProtoObject {
  const b = new Float32Array([1, 2, 3]);
  const value = (name: string) => ({
    name,
    type: {
      tensor_type: { elem_type: DataType.FLOAT, shape: { dim: [{ dim_param: 'N' }, { dim_value: 3 }] } },
    },
  });
  return {
    ir_version: 8,
    opset_import: [{ domain: '', version: 13 }],
    producer_name: 'hcr-onnx-proto-test',
    model_version: 20261201123456,
    graph: {
      name: 'add',
      node: [{ op_type: 'Add', input: ['x', 'b'], output: ['y'], name: 'add' }],
      initializer: [{ name: 'b', dims: [3], data_type: DataType.FLOAT, raw_data: new Uint8Array(b.buffer) }],
      input: [value('x')],
      output: [value('y')],
    },
    metadata_props: Object.entries(props).map(([key, value]) => ({ key, value })),
  };
}

describe('@hcr/onnx-proto', () => {
  it('writes models onnxruntime loads and runs', async () => {
    const session = await ort.InferenceSession.create(encodeModel(addModel({ a: '1' })));
    const x = new ort.Tensor('float32', new Float32Array([10, 20, 30, 40, 50, 60]), [2, 3]);
    const y = (await session.run({ x })).y!;
    expect(y.dims).toEqual([2, 3]);
    expect([...(y.data as Float32Array)]).toEqual([11, 22, 33, 41, 52, 63]);
    await session.release();
  });

  it('round-trips the fields hcr reads (int64 as numbers, symbolic dims, metadata)', () => {
    const props = { 'hcr.model_id': 'run-1', 'hcr.metadata': '{"id":"run-1"}' };
    const model = decodeModel(encodeModel(addModel(props)));
    expect(model.model_version).toBe(20261201123456);
    expect(model.opset_import).toEqual([{ domain: '', version: 13 }]);
    expect(model.graph.input[0]!.type.tensor_type.shape.dim).toEqual([{ dim_param: 'N' }, { dim_value: 3 }]);
    expect([...new Float32Array(new Uint8Array(model.graph.initializer[0]!.raw_data!).buffer)]).toEqual([
      1, 2, 3,
    ]);
    expect(metadataRecord(model)).toEqual(props);
  });

  it('uses the field numbers of the official onnx.proto', () => {
    // ModelProto.ir_version = 1 (varint), producer_name = 2, metadata_props = 14 {key = 1, value = 2}
    const bytes = encodeModel({
      ir_version: 8,
      opset_import: [],
      producer_name: 'p',
      graph: undefined as never,
      metadata_props: [{ key: 'k', value: 'v' }],
    });
    expect([...bytes]).toEqual([0x08, 8, 0x12, 1, 0x70, 0x72, 6, 0x0a, 1, 0x6b, 0x12, 1, 0x76]);
  });

  it('reads metadata_props straight from bytes and refuses bytes that are not ONNX', () => {
    expect(readMetadataProps(encodeModel(addModel({ x: 'y' })))).toEqual({ x: 'y' });
    expect(() => readMetadataProps(new Uint8Array([0xff, 0xff, 0xff]))).toThrow();
  });
});
