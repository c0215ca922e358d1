import '@tensorflow/tfjs-backend-cpu';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkParity, decodeModel, exportLayersModel, randomInputs, writeOnnx } from '@hcr/export-onnx';
import * as tfl from '@tensorflow/tfjs-layers';

const model = tfl.sequential({
  layers: [
    tfl.layers.conv2d({
      inputShape: [28, 28, 1],
      filters: 8,
      kernelSize: 3,
      padding: 'same',
      activation: 'relu',
    }),
    tfl.layers.maxPooling2d({ poolSize: 2 }),
    tfl.layers.flatten(),
    tfl.layers.dense({ units: 10, activation: 'softmax' }),
  ],
});
const { bytes, report } = exportLayersModel(model, { metadata: { author: 'me' } });
console.log(report.opset, report.parameterCount, report.transposeCount); // 17 15770 2: NHWC in, and before Flatten
console.log(report.opCounts); // { Transpose: 2, Conv: 1, Relu: 1, MaxPool: 1, Flatten: 1, MatMul: 1, Add: 1, Softmax: 1, Identity: 1 }

const dir = await mkdtemp(join(tmpdir(), 'hcr-export-'));
await writeOnnx(join(dir, 'model.onnx'), bytes); // temp file + rename
// onnxruntime-node and tfjs on the same 8 random images (the weights are random, so the difference varies: ~4e-8)
const parity = await checkParity(bytes, model, randomInputs([[null, 28, 28, 1]], 8));
console.log(parity.maxAbsDiff < 1e-4, parity.argmaxAgreement); // true 1: within the CLI's default tolerance
const onnx = decodeModel(await readFile(join(dir, 'model.onnx')));
console.log(onnx.producer_name, onnx.metadata_props); // @hcr/export-onnx [ { key: 'author', value: 'me' } ]
await rm(dir, { recursive: true });
