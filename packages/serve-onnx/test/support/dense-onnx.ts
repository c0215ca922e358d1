import { LABEL_SPACE_36, ONNX_METADATA_KEYS } from '@hcr/core';
import { DataType, encodeModel, type NodeProtoObject, type TensorProtoObject } from '@hcr/onnx-proto';

/** A dense layer: weights [inputs x units] row-major, bias [units]. */
export interface DenseLayer {
  weights: Float32Array;
  bias: Float32Array;
  inputs: number;
  units: number;
}

export interface DenseOnnxOptions {
  layers: DenseLayer[];
  modelId?: string;
  mean?: number;
  std?: number;
  classNames?: string[];
  /** `hcr.label_space` to write (hcr36, hcr47, hcr62); omitted when absent. */
  labelSpace?: string;
  /** Leave out metadata_props keys, to test the errors. */
  omitMetadata?: string[];
  inputName?: string;
  outputName?: string;
  /** A fixed batch dimension instead of the symbolic `N`. */
  fixedBatch?: number;
}

function floatTensor(name: string, dims: number[], data: Float32Array): TensorProtoObject {
  return {
    name,
    dims,
    data_type: DataType.FLOAT,
    raw_data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  };
}

/**
 * A classifier as ONNX: NHWC [N,28,28,1] -> Reshape [N,784] -> (MatMul, Add, Relu)* -> Softmax [N,classes],
 * with hcr metadata_props. The same signature as models from @hcr/export-onnx, small enough for tests.
 */
export function denseOnnxModel(opts: DenseOnnxOptions): Uint8Array {
  const inputName = opts.inputName ?? 'input';
  const outputName = opts.outputName ?? 'probabilities';
  const classNames = opts.classNames ?? [...LABEL_SPACE_36.classes];
  const shape = new BigInt64Array([-1n, 784n]);
  const initializer: TensorProtoObject[] = [
    {
      name: 'flat_shape',
      dims: [2],
      data_type: DataType.INT64,
      raw_data: new Uint8Array(shape.buffer),
    },
  ];
  const node: NodeProtoObject[] = [
    { op_type: 'Reshape', input: [inputName, 'flat_shape'], output: ['h0'], name: 'flatten' },
  ];
  let prev = 'h0';
  opts.layers.forEach((layer, i) => {
    initializer.push(floatTensor(`w${i}`, [layer.inputs, layer.units], layer.weights));
    initializer.push(floatTensor(`b${i}`, [layer.units], layer.bias));
    node.push({ op_type: 'MatMul', input: [prev, `w${i}`], output: [`mm${i}`], name: `dense${i}/matmul` });
    node.push({ op_type: 'Add', input: [`mm${i}`, `b${i}`], output: [`z${i}`], name: `dense${i}/bias` });
    prev = `z${i}`;
    if (i < opts.layers.length - 1) {
      node.push({ op_type: 'Relu', input: [prev], output: [`a${i}`], name: `dense${i}/relu` });
      prev = `a${i}`;
    }
  });
  node.push({ op_type: 'Softmax', input: [prev], output: [outputName], name: 'softmax' });
  const batchDim = opts.fixedBatch ? { dim_value: opts.fixedBatch } : { dim_param: 'N' };
  const omit = new Set(opts.omitMetadata ?? []);
  const metadata = [
    { key: ONNX_METADATA_KEYS.classNames, value: JSON.stringify(classNames) },
    {
      key: ONNX_METADATA_KEYS.inputNormalisation,
      value: JSON.stringify({ mean: opts.mean ?? 0.5, std: opts.std ?? 0.5 }),
    },
    { key: ONNX_METADATA_KEYS.modelId, value: opts.modelId ?? 'dense-test' },
    ...(opts.labelSpace ? [{ key: ONNX_METADATA_KEYS.labelSpace, value: opts.labelSpace }] : []),
  ].filter((p) => !omit.has(p.key));
  return encodeModel({
    ir_version: 8,
    producer_name: 'hcr-serve-onnx-tests',
    opset_import: [{ domain: '', version: 13 }],
    graph: {
      name: 'dense',
      node,
      initializer,
      input: [
        {
          name: inputName,
          type: {
            tensor_type: {
              elem_type: DataType.FLOAT,
              shape: { dim: [batchDim, { dim_value: 28 }, { dim_value: 28 }, { dim_value: 1 }] },
            },
          },
        },
      ],
      output: [
        {
          name: outputName,
          type: {
            tensor_type: {
              elem_type: DataType.FLOAT,
              shape: { dim: [batchDim, { dim_value: classNames.length }] },
            },
          },
        },
      ],
    },
    metadata_props: metadata,
  });
}
