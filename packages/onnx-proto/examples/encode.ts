import { DataType, decodeModel, encodeModel, OnnxProtoError, readMetadataProps } from '@hcr/onnx-proto';

const value = (name: string) => ({
  name,
  type: {
    tensor_type: { elem_type: DataType.FLOAT, shape: { dim: [{ dim_param: 'N' }, { dim_value: 3 }] } },
  },
});
const model = {
  ir_version: 8,
  opset_import: [{ domain: '', version: 13 }],
  producer_name: 'example',
  graph: {
    name: 'identity',
    node: [{ op_type: 'Identity', input: ['x'], output: ['y'] }],
    initializer: [],
    input: [value('x')],
    output: [value('y')],
  },
  metadata_props: [{ key: 'hcr.model_id', value: 'example' }],
};
const bytes = encodeModel(model);
console.log(readMetadataProps(bytes)); // { 'hcr.model_id': 'example' }
console.log(decodeModel(bytes).graph.input[0].type.tensor_type.shape.dim); // [ { dim_param: 'N' }, { dim_value: 3 } ]

// field names are onnx.proto's snake_case: a camelCase key (which the compiler flags in a literal) is refused
const camelCase = { ...model, producerName: 'example' };
try {
  encodeModel(camelCase);
} catch (e) {
  console.log(e instanceof OnnxProtoError && e.code); // ONNX_INVALID_MODEL: the message says to use producer_name
}
