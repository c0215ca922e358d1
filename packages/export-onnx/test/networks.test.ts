import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeModel } from '../src/index.js';
import { expectLayersParity } from './helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

type T = tfl.SymbolicTensor;
const ap = (layer: tfl.layers.Layer, x: T | T[]) => layer.apply(x) as T;

/** Fresh BN layers are identity-like; give them real statistics so folding mistakes show. */
function randomiseBatchNorms(model: tfl.LayersModel): void {
  let seed = 1;
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'BatchNormalization') continue;
    const ws = layer.getWeights();
    layer.setWeights(
      ws.map((w, i) =>
        tf.randomUniform(
          w.shape,
          i === ws.length - 1 ? 0.5 : -0.5,
          i === ws.length - 1 ? 1.5 : 0.5,
          'float32',
          seed++,
        ),
      ),
    );
  }
}

function convBnRelu6(x: T, filters: number, kernel: number, stride = 1): T {
  x = ap(
    tfl.layers.conv2d({ filters, kernelSize: kernel, strides: stride, padding: 'same', useBias: false }),
    x,
  );
  x = ap(tfl.layers.batchNormalization({ epsilon: 1e-3 }), x);
  return ap(tfl.layers.reLU({ maxValue: 6 }), x);
}

/** MobileNetV2 inverted residual block (expand 1x1, depthwise 3x3, project 1x1, residual when shapes match). */
function invertedResidual(x: T, inC: number, outC: number, stride: number, expand: number): T {
  let h = x;
  if (expand !== 1) h = convBnRelu6(h, inC * expand, 1);
  if (stride === 2)
    h = ap(
      tfl.layers.zeroPadding2d({
        padding: [
          [0, 1],
          [0, 1],
        ],
      }),
      h,
    );
  h = ap(
    tfl.layers.depthwiseConv2d({
      kernelSize: 3,
      strides: stride,
      padding: stride === 2 ? 'valid' : 'same',
      useBias: false,
    }),
    h,
  );
  h = ap(tfl.layers.batchNormalization(), h);
  h = ap(tfl.layers.reLU({ maxValue: 6 }), h);
  h = ap(tfl.layers.conv2d({ filters: outC, kernelSize: 1, useBias: false }), h);
  h = ap(tfl.layers.batchNormalization(), h);
  return stride === 1 && inC === outC ? ap(tfl.layers.add(), [x, h]) : h;
}

/** MobileNetV2 topology (alpha 0.35, fewer repeats), 32x32 input, as Keras' applications builds it. */
export function mobileNetV2Like(size = 32, classes = 10): tfl.LayersModel {
  const input = tfl.input({ shape: [size, size, 3], name: 'image' });
  let x = convBnRelu6(input, 16, 3, 2);
  const cfg: [number, number, number, number][] = [
    // [expand, out, repeats, stride]
    [1, 8, 1, 1],
    [6, 8, 2, 2],
    [6, 16, 2, 2],
    [6, 24, 2, 2],
    [6, 32, 1, 1],
  ];
  let c = 16;
  for (const [t, out, n, s] of cfg) {
    for (let i = 0; i < n; i++) {
      x = invertedResidual(x, c, out, i === 0 ? s : 1, t);
      c = out;
    }
  }
  x = convBnRelu6(x, 128, 1);
  x = ap(tfl.layers.globalAveragePooling2d({}), x);
  x = ap(tfl.layers.dropout({ rate: 0.2 }), x);
  const out = ap(tfl.layers.dense({ units: classes, activation: 'softmax', name: 'predictions' }), x);
  const model = tfl.model({ inputs: input, outputs: out, name: 'mobilenetv2_like' });
  randomiseBatchNorms(model);
  return model;
}

function convBn(
  x: T,
  filters: number,
  kh: number,
  kw: number,
  stride = 1,
  padding: 'same' | 'valid' = 'same',
): T {
  x = ap(tfl.layers.conv2d({ filters, kernelSize: [kh, kw], strides: stride, padding, useBias: false }), x);
  x = ap(tfl.layers.batchNormalization({ scale: false }), x);
  return ap(tfl.layers.activation({ activation: 'relu' }), x);
}

/** InceptionV3-style: stem, an A block (1x1 / 5x5 / double 3x3 / pool branches), a factorised 1x7-7x1 block, reduction. */
export function inceptionV3Like(size = 75, classes = 10): tfl.LayersModel {
  const input = tfl.input({ shape: [size, size, 3], name: 'input_1' });
  let x = convBn(input, 8, 3, 3, 2, 'valid');
  x = convBn(x, 8, 3, 3, 1, 'valid');
  x = convBn(x, 16, 3, 3);
  x = ap(tfl.layers.maxPooling2d({ poolSize: 3, strides: 2 }), x);
  // mixed A
  const b1 = convBn(x, 8, 1, 1);
  const b5 = convBn(convBn(x, 6, 1, 1), 8, 5, 5);
  const b3 = convBn(convBn(convBn(x, 8, 1, 1), 12, 3, 3), 12, 3, 3);
  const bp = convBn(
    ap(tfl.layers.averagePooling2d({ poolSize: 3, strides: 1, padding: 'same' }), x),
    4,
    1,
    1,
  );
  x = ap(tfl.layers.concatenate({ axis: 3, name: 'mixed0' }), [b1, b5, b3, bp]);
  // reduction
  const r3 = convBn(x, 16, 3, 3, 2, 'valid');
  const r33 = convBn(convBn(convBn(x, 8, 1, 1), 12, 3, 3), 12, 3, 3, 2, 'valid');
  const rp = ap(tfl.layers.maxPooling2d({ poolSize: 3, strides: 2 }), x);
  x = ap(tfl.layers.concatenate({ axis: -1, name: 'mixed1' }), [r3, r33, rp]);
  // factorised 7x7
  const c1 = convBn(x, 12, 1, 1);
  const c7 = convBn(convBn(convBn(x, 8, 1, 1), 8, 1, 7), 12, 7, 1);
  const cp = convBn(
    ap(tfl.layers.averagePooling2d({ poolSize: 3, strides: 1, padding: 'same' }), x),
    12,
    1,
    1,
  );
  x = ap(tfl.layers.concatenate({ axis: 3, name: 'mixed2' }), [c1, c7, cp]);
  x = ap(tfl.layers.globalAveragePooling2d({ name: 'avg_pool' }), x);
  const out = ap(tfl.layers.dense({ units: classes, activation: 'softmax', name: 'predictions' }), x);
  const model = tfl.model({ inputs: input, outputs: out, name: 'inception_v3_like' });
  randomiseBatchNorms(model);
  return model;
}

describe('real-world architectures export with parity', () => {
  it('MobileNetV2-style (inverted residuals, depthwise, ReLU6, asymmetric ZeroPadding) at 32x32', async () => {
    const r = await expectLayersParity(mobileNetV2Like());
    expect(r.argmaxAgreement).toBe(1);
    const ops = decodeModel(r.bytes).graph.node.map((n) => n.op_type);
    // one transpose for the NHWC input; everything after stays channels-first
    expect(ops.filter((o) => o === 'Transpose')).toHaveLength(1);
    const model = decodeModel(r.bytes);
    expect(model.graph.input[0].name).toBe('image');
    expect(model.graph.output[0].name).toBe('predictions');
  });

  it('InceptionV3-style (branches, concat on channels, 1x7/7x1 convs, BN without scale) at 75x75', async () => {
    const r = await expectLayersParity(inceptionV3Like());
    expect(r.argmaxAgreement).toBe(1);
    const ops = decodeModel(r.bytes).graph.node.map((n) => n.op_type);
    expect(ops.filter((o) => o === 'Transpose')).toHaveLength(1);
  });

  it('NCHW input layout removes the last transpose', async () => {
    const r = await expectLayersParity(mobileNetV2Like(), { inputLayout: 'nchw' });
    expect(decodeModel(r.bytes).graph.node.some((n) => n.op_type === 'Transpose')).toBe(false);
  });

  it('opsets 13 and 18+ (reduce axes as attribute vs input) both load and match', async () => {
    for (const opset of [13, 18, 21]) {
      const r = await expectLayersParity(mobileNetV2Like(), { opset });
      expect(decodeModel(r.bytes).opset_import[0].version).toBe(opset);
    }
  });
});
