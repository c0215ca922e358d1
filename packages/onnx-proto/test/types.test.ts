import { describe, expect, it } from 'vitest';
import {
  type AttributeProtoObject,
  type Dimension,
  decodeModel,
  decodeModelHeader,
  encodeModel,
  type GraphProtoObject,
  type ModelProto,
  type NodeProto,
  type TensorProtoObject,
  type ValueInfoProto,
} from '../src/index.js';
import { bytes, int, len, str, valueInfo } from './wire-writer.js';

// Checked by `tsc --noEmit -p tsconfig.json` (test/ is in it): each @ts-expect-error must be an error.

describe('public types follow onnx.proto', () => {
  it("name every field of the schema, on hcr's objects too", () => {
    const tensor: TensorProtoObject = {
      name: 't',
      dims: [2],
      data_type: 11,
      double_data: [1, 2],
      float_data: [],
      int32_data: [],
      int64_data: [],
      string_data: [],
      uint64_data: [],
      doc_string: 'd',
      data_location: 0,
      metadata_props: [{ key: 'k', value: 'v' }],
    };
    const attr: AttributeProtoObject = {
      name: 'body',
      type: 5,
      doc_string: 'd',
      g: { node: [], initializer: [], input: [], output: [] },
      graphs: [],
      tensors: [tensor],
    };
    const graph: GraphProtoObject = {
      name: 'g',
      node: [{ op_type: 'If', domain: '', input: ['c'], output: ['y'], attribute: [attr] }],
      initializer: [tensor],
      input: [],
      output: [],
      value_info: [],
      doc_string: 'd',
    };
    const bytes = encodeModel({
      ir_version: 8,
      domain: 'ai.example',
      opset_import: [{ domain: '', version: 13 }],
      graph,
      metadata_props: [],
    });
    const back = decodeModel(bytes);
    expect(back.domain).toBe('ai.example');
    expect(back.graph.initializer[0]!.double_data).toEqual([1, 2]);
    expect(back.graph.node[0]!.attribute![0]!.g!.name).toBeUndefined();
  });

  it('make proto2 optionals optional: a model from another tool checked through ModelProto', () => {
    // an unnamed initializer without raw_data, a value without a type, a dimension neither fixed nor named
    const model: ModelProto = decodeModel(
      bytes(
        len(7, len(5, int(2, 1)), len(11, str(1, 'x')), len(12, str(1, 'y'), len(2, len(1, len(2, len(1)))))),
      ),
    );
    const tensor = model.graph?.initializer?.[0];
    // @ts-expect-error name may be absent
    expect(() => tensor.name.length).toThrow(TypeError);
    expect(tensor?.raw_data).toBeUndefined();
    // @ts-expect-error ir_version may be absent (and is: the type says what a reader must check)
    expect(() => model.ir_version.toFixed()).toThrow(TypeError);
    const x: ValueInfoProto | undefined = model.graph?.input?.[0];
    // @ts-expect-error a value may have no type
    expect(() => x.type.tensor_type).toThrow(TypeError);
    const dims = model.graph?.output?.[0]?.type?.tensor_type?.shape?.dim ?? [];
    const unknown: Dimension = {};
    expect(dims).toEqual([unknown]);
    // @ts-expect-error a dimension holds a number or a name, not both
    const both: Dimension = { dim_value: 1, dim_param: 'N' };
    expect(both).toBeTruthy();
    const node: NodeProto = {};
    // @ts-expect-error op_type may be absent
    expect(() => node.op_type.length).toThrow(TypeError);
  });

  it('decodeModelHeader types its signature as onnx.proto has it', () => {
    const header = decodeModelHeader(bytes(len(7, valueInfo(11, 'x', 1, ['N']), len(12))));
    const [x, y] = [header.graph.input[0], header.graph.output[0]];
    // @ts-expect-error an output may be unnamed
    expect(() => y.name.length).toThrow(TypeError);
    expect(x?.type?.tensor_type?.shape?.dim).toEqual([{ dim_param: 'N' }]);
    expect(y?.name).toBeUndefined();
  });
});
