import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  checkParity,
  decodeModel,
  exportLayersModel,
  randomInputs,
  SUPPORTED_ACTIVATIONS,
  SUPPORTED_LAYERS,
  verifyExport,
} from '../src/index.js';
import { expectDeclaredShapes, expectLayersParity, expectParityAtWidths } from './helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

type LayerFactory = () => tfl.layers.Layer | tfl.layers.Layer[];

/** input -> layers -> output, with a conv in front so layouts are channels-first when it matters. */
function chain(inputShape: number[], make: LayerFactory, convFirst = false): tfl.LayersModel {
  const input = tfl.input({ shape: inputShape });
  let x = input as tfl.SymbolicTensor;
  if (convFirst) x = tfl.layers.conv2d({ filters: 4, kernelSize: 1 }).apply(x) as tfl.SymbolicTensor;
  const made = make();
  for (const l of Array.isArray(made) ? made : [made]) x = l.apply(x) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: x });
}

/** Non-trivial BN statistics (fresh layers have mean 0, var 1, which would hide mistakes). */
function randomiseWeights(model: tfl.LayersModel): void {
  for (const layer of model.layers) {
    const ws = layer.getWeights();
    if (ws.length === 0) continue;
    layer.setWeights(
      ws.map((w, i) =>
        layer.getClassName() === 'BatchNormalization' && i === ws.length - 1
          ? tf.randomUniform(w.shape, 0.5, 2, 'float32', 3)
          : tf.randomUniform(w.shape, -0.5, 0.5, 'float32', 11 + i),
      ),
    );
  }
}

const cases: [string, number[], LayerFactory, boolean?][] = [
  ['Conv2D valid stride 1', [9, 9, 3], () => tfl.layers.conv2d({ filters: 5, kernelSize: 3 })],
  [
    'Conv2D same stride 2 (asymmetric pads)',
    [10, 10, 3],
    () => tfl.layers.conv2d({ filters: 5, kernelSize: 3, strides: 2, padding: 'same' }),
  ],
  [
    'Conv2D same stride 2 odd size, 4x4 kernel',
    [9, 11, 2],
    () => tfl.layers.conv2d({ filters: 3, kernelSize: 4, strides: 2, padding: 'same' }),
  ],
  [
    'Conv2D dilation 2, no bias, tanh',
    [11, 11, 2],
    () =>
      tfl.layers.conv2d({
        filters: 3,
        kernelSize: 3,
        dilationRate: 2,
        useBias: false,
        activation: 'tanh',
        padding: 'same',
      }),
  ],
  [
    'Conv2D rectangular kernel and strides',
    [12, 10, 2],
    () => tfl.layers.conv2d({ filters: 3, kernelSize: [3, 2], strides: [2, 1] }),
  ],
  [
    'Conv2D channelsFirst',
    [3, 8, 8],
    () => tfl.layers.conv2d({ filters: 4, kernelSize: 3, dataFormat: 'channelsFirst', padding: 'same' }),
  ],
  [
    'Conv2D 1x5 same (non-square kernel)',
    [1, 9, 3],
    () => tfl.layers.conv2d({ filters: 4, kernelSize: [1, 5], padding: 'same' }),
  ],
  [
    'Conv2D 2x4 same (even kernel: asymmetric pads)',
    [5, 7, 2],
    () => tfl.layers.conv2d({ filters: 3, kernelSize: [2, 4], padding: 'same' }),
  ],
  [
    'Conv2D 2x1 valid (collapses the height)',
    [2, 7, 3],
    () => tfl.layers.conv2d({ filters: 4, kernelSize: [2, 1] }),
  ],
  ['Conv1D valid', [12, 3], () => tfl.layers.conv1d({ filters: 4, kernelSize: 3 })],
  [
    'Conv1D same stride 2',
    [11, 3],
    () => tfl.layers.conv1d({ filters: 4, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }),
  ],
  ['DepthwiseConv2D same', [8, 8, 4], () => tfl.layers.depthwiseConv2d({ kernelSize: 3, padding: 'same' })],
  [
    'DepthwiseConv2D multiplier 2 stride 2',
    [9, 9, 3],
    () =>
      tfl.layers.depthwiseConv2d({
        kernelSize: 3,
        depthMultiplier: 2,
        strides: 2,
        padding: 'same',
        activation: 'relu6',
      }),
  ],
  [
    'SeparableConv2D dilation 2 (tfjs applies it here, unlike DepthwiseConv2D)',
    [9, 9, 3],
    () => tfl.layers.separableConv2d({ filters: 4, kernelSize: 3, padding: 'same', dilationRate: 2 }),
  ],
  [
    'SeparableConv2D',
    [8, 8, 3],
    () => tfl.layers.separableConv2d({ filters: 5, kernelSize: 3, padding: 'same', depthMultiplier: 2 }),
  ],
  [
    'SeparableConv2D valid no bias',
    [8, 8, 3],
    () => tfl.layers.separableConv2d({ filters: 5, kernelSize: 3, useBias: false }),
  ],
  ['Conv2DTranspose valid', [5, 5, 3], () => tfl.layers.conv2dTranspose({ filters: 4, kernelSize: 3 })],
  [
    'Conv2DTranspose same stride 2',
    [5, 6, 3],
    () => tfl.layers.conv2dTranspose({ filters: 4, kernelSize: 3, strides: 2, padding: 'same' }),
  ],
  [
    'Conv2DTranspose valid stride 3 kernel 2',
    [4, 4, 2],
    () => tfl.layers.conv2dTranspose({ filters: 2, kernelSize: 2, strides: 3 }),
  ],
  ['BatchNormalization after conv', [6, 6, 3], () => tfl.layers.batchNormalization(), true],
  ['LayerNormalization', [5, 6], () => tfl.layers.layerNormalization()],
  ['Dense', [7], () => tfl.layers.dense({ units: 5, activation: 'sigmoid' })],
  ['Dense on rank 3', [4, 7], () => tfl.layers.dense({ units: 5 })],
  [
    'Dense on rank 4 after conv (channels-first input)',
    [5, 5, 3],
    () => tfl.layers.dense({ units: 2 }),
    true,
  ],
  ['ReLU max_value', [10], () => tfl.layers.reLU({ maxValue: 0.3 })],
  ['ReLU', [6, 6, 2], () => tfl.layers.reLU(), true],
  ['LeakyReLU', [10], () => tfl.layers.leakyReLU({ alpha: 0.2 })],
  ['PReLU', [4, 4, 3], () => tfl.layers.prelu({ alphaInitializer: 'randomUniform' }), true],
  ['PReLU shared axes', [4, 4, 3], () => tfl.layers.prelu({ sharedAxes: [1, 2] }), true],
  ['ELU alpha', [10], () => tfl.layers.elu({ alpha: 1 })],
  ['ThresholdedReLU', [10], () => tfl.layers.thresholdedReLU({ theta: 0.1 })],
  ['Softmax layer last axis', [6], () => tfl.layers.softmax()],
  [
    'ZeroPadding2D asymmetric',
    [5, 5, 2],
    () =>
      tfl.layers.zeroPadding2d({
        padding: [
          [1, 2],
          [0, 3],
        ],
      }),
    true,
  ],
  [
    'Cropping2D',
    [8, 8, 2],
    () =>
      tfl.layers.cropping2D({
        cropping: [
          [1, 2],
          [0, 3],
        ],
      }),
    true,
  ],
  ['UpSampling2D nearest', [4, 5, 2], () => tfl.layers.upSampling2d({ size: [2, 3] }), true],
  [
    'UpSampling2D bilinear',
    [4, 5, 2],
    () => tfl.layers.upSampling2d({ size: [2, 2], interpolation: 'bilinear' }),
  ],
  ['Rescaling', [6], () => tfl.layers.rescaling({ scale: 1 / 255, offset: -0.5 })],
  ['MaxPooling2D', [8, 8, 2], () => tfl.layers.maxPooling2d({ poolSize: 2 }), true],
  [
    'MaxPooling2D pool and strides 2x1, odd size',
    [7, 5, 3],
    () => tfl.layers.maxPooling2d({ poolSize: [2, 1], strides: [2, 1] }),
    true,
  ],
  [
    'MaxPooling2D same stride 2 pool 3',
    [9, 8, 2],
    () => tfl.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }),
  ],
  [
    'AveragePooling2D same (padding excluded)',
    [7, 7, 2],
    () => tfl.layers.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same' }),
  ],
  ['AveragePooling2D valid', [8, 8, 2], () => tfl.layers.averagePooling2d({ poolSize: [2, 3] }), true],
  ['MaxPooling1D', [9, 3], () => tfl.layers.maxPooling1d({ poolSize: 2 })],
  [
    'AveragePooling1D same',
    [9, 3],
    () => tfl.layers.averagePooling1d({ poolSize: 3, strides: 2, padding: 'same' }),
  ],
  ['GlobalAveragePooling2D', [5, 5, 3], () => tfl.layers.globalAveragePooling2d({}), true],
  ['GlobalMaxPooling2D', [5, 5, 3], () => tfl.layers.globalMaxPooling2d({}), true],
  ['GlobalAveragePooling1D', [6, 3], () => tfl.layers.globalAveragePooling1d()],
  ['GlobalMaxPooling1D', [6, 3], () => tfl.layers.globalMaxPooling1d()],
  [
    'Flatten after conv keeps NHWC order',
    [4, 5, 3],
    () => [tfl.layers.flatten(), tfl.layers.dense({ units: 4 })],
    true,
  ],
  ['Reshape', [4, 6], () => tfl.layers.reshape({ targetShape: [3, 8] })],
  ['Reshape with -1 after conv', [4, 4, 2], () => tfl.layers.reshape({ targetShape: [-1, 2] }), true],
  ['Permute', [3, 4, 5], () => [tfl.layers.permute({ dims: [3, 1, 2] }), tfl.layers.flatten()]],
  [
    'Permute after conv then Dense',
    [4, 5, 3],
    () => [tfl.layers.permute({ dims: [2, 1, 3] }), tfl.layers.dense({ units: 2 })],
    true,
  ],
  ['RepeatVector', [5], () => tfl.layers.repeatVector({ n: 3 })],
  [
    'Dropout family is identity',
    [6],
    () => [
      tfl.layers.dropout({ rate: 0.5 }),
      tfl.layers.gaussianNoise({ stddev: 1 }),
      tfl.layers.gaussianDropout({ rate: 0.3 }),
      tfl.layers.alphaDropout({ rate: 0.3 }),
    ],
  ],
  ['SpatialDropout1D is identity', [4, 6], () => tfl.layers.spatialDropout1d({ rate: 0.5 })],
];

describe('every supported layer round-trips through onnxruntime within 1e-4', () => {
  for (const [name, shape, make, convFirst] of cases) {
    it(name, async () => {
      const model = chain(shape, make, convFirst);
      randomiseWeights(model);
      await expectLayersParity(model);
    });
  }

  for (const act of SUPPORTED_ACTIVATIONS) {
    it(`activation ${act} (Activation layer, and fused into Dense)`, async () => {
      await expectLayersParity(
        chain([4, 4, 3], () => tfl.layers.activation({ activation: act as never }), true),
      );
      await expectLayersParity(chain([6], () => tfl.layers.dense({ units: 5, activation: act as never })));
    });
  }

  it('softmax over the last axis of a 4-D tensor that ONNX holds channels-first', async () => {
    await expectLayersParity(chain([1, 7, 3], () => tfl.layers.activation({ activation: 'softmax' }), true));
    await expectLayersParity(chain([2, 5, 3], () => tfl.layers.softmax({ axis: -1 }), true));
  });

  it('softmax over a middle axis of a channels-first tensor', async () => {
    await expectLayersParity(chain([4, 5, 3], () => tfl.layers.activation({ activation: 'softmax' }), true));
  });
});

describe('a free width (input [h, null, c]): symbolic in ONNX, right at every width', () => {
  // every remainder mod 4 (two poolings by 2 floor), plus a longer line
  const widths = [5, 6, 7, 8, 21];
  const freeWidth: [string, number[], LayerFactory, boolean?][] = [
    ['Conv2D 1x5 same', [1, 4], () => tfl.layers.conv2d({ filters: 3, kernelSize: [1, 5], padding: 'same' })],
    [
      'Conv2D 2x4 same (even kernel)',
      [5, 2],
      () => tfl.layers.conv2d({ filters: 3, kernelSize: [2, 4], padding: 'same' }),
    ],
    [
      'Conv2D 3x3 same stride 2 (pads depend on the width)',
      [6, 2],
      () => tfl.layers.conv2d({ filters: 3, kernelSize: 3, strides: 2, padding: 'same' }),
    ],
    ['Conv2D 2x1 valid', [2, 3], () => tfl.layers.conv2d({ filters: 4, kernelSize: [2, 1] })],
    ['MaxPooling2D 2x1', [8, 3], () => tfl.layers.maxPooling2d({ poolSize: [2, 1], strides: [2, 1] }), true],
    ['MaxPooling2D 2x2 (odd widths floor)', [7, 3], () => tfl.layers.maxPooling2d({ poolSize: 2 }), true],
    [
      'AveragePooling2D 3x3 same stride 2',
      [7, 2],
      () => tfl.layers.averagePooling2d({ poolSize: 3, strides: 2, padding: 'same' }),
    ],
    ['softmax on the last axis', [1, 3], () => tfl.layers.activation({ activation: 'softmax' }), true],
  ];
  for (const [name, [h, c], make, convFirst] of freeWidth) {
    it(name, async () => {
      const model = chain([h, null as unknown as number, c], make, convFirst);
      randomiseWeights(model);
      await expectParityAtWidths(model, widths);
    });
  }

  it("'same' convs get explicit pads where TF's padding does not depend on the width (stride 1)", () => {
    const pads = (kernelSize: [number, number], strides = 1) => {
      const model = chain([5, null as unknown as number, 2], () =>
        tfl.layers.conv2d({ filters: 2, kernelSize, strides, padding: 'same' }),
      );
      const conv = decodeModel(exportLayersModel(model).bytes).graph.node.find((n) => n.op_type === 'Conv');
      const a = Object.fromEntries((conv?.attribute ?? []).map((x) => [x.name, x]));
      return a.pads ? a.pads.ints : new TextDecoder().decode(a.auto_pad.s);
    };
    // TF: total = k - 1, the odd pixel after: [top, left, bottom, right]
    expect(pads([2, 4])).toEqual([0, 1, 1, 2]);
    expect(pads([1, 5])).toEqual([0, 2, 0, 2]);
    expect(pads([3, 3], 2)).toBe('SAME_UPPER');
  });
});

describe('cases where tfjs 4.22 itself is wrong or cannot run', () => {
  // tfjs 4.22 cannot run a causal Conv1D and gives it the length of 'valid' padding ([batch, 9, 4] for 11): the
  // export computes Keras' causal conv, checked against a hand-written one (left pad (k - 1) * dilation, then valid)
  for (const [strides, dilationRate] of [
    [1, 1],
    [2, 1],
    [1, 2],
  ]) {
    it(`Conv1D causal, free length, stride ${strides}, dilation ${dilationRate}: Keras' numbers in the declared shape`, async () => {
      const input = tfl.input({ shape: [null as unknown as number, 3] });
      const conv = tfl.layers.conv1d({ filters: 4, kernelSize: 3, padding: 'causal', strides, dilationRate });
      const model = tfl.model({ inputs: input, outputs: conv.apply(input) as tfl.SymbolicTensor });
      randomiseWeights(model);
      const [kernel, bias] = conv.getWeights();
      const keras = (xs: tf.Tensor[]) => {
        const padded = tf.pad(xs[0], [
          [0, 0],
          [2 * dilationRate, 0],
          [0, 0],
        ]) as tf.Tensor3D;
        return tf.add(tf.conv1d(padded, kernel as tf.Tensor3D, strides, 'valid', 'NWC', dilationRate), bias);
      };
      const { bytes } = exportLayersModel(model);
      for (const len of [11, 12]) {
        const xs = randomInputs([[null, len, 3]], 3, len);
        expect((await checkParity(bytes, keras, xs)).maxAbsDiff).toBeLessThanOrEqual(1e-5);
        expect(await expectDeclaredShapes(bytes, xs)).toEqual([[3, Math.ceil(len / strides), 4]]);
        tf.dispose(xs);
      }
      // and the CLI's check says that tfjs cannot run the source, instead of tfjs' NotImplementedError
      const loaded = { format: 'layers-model', model, modelJsonPath: '', metadata: null } as const;
      await expect(verifyExport(loaded, bytes, { samples: 2, sizes: [11] })).rejects.toMatchObject({
        code: 'MODEL_RUN_FAILED',
        problem: expect.stringMatching(
          /^tfjs itself cannot run the model on the random 11x3 inputs \(.*CAUSAL/,
        ),
      });
    });
  }

  it('Conv1D causal on a fixed length is refused (tfjs would declare the wrong length here and after)', () => {
    const input = tfl.input({ shape: [11, 3] });
    const out = tfl.layers.conv1d({ filters: 4, kernelSize: 3, padding: 'causal', name: 'tcn' }).apply(input);
    expect((out as tfl.SymbolicTensor).shape).toEqual([null, 9, 4]);
    expect(() => exportLayersModel(tfl.model({ inputs: input, outputs: out as tfl.SymbolicTensor }))).toThrow(
      expect.objectContaining({
        code: 'LAYER_CONVERSION_FAILED',
        problem: expect.stringMatching(
          /^Layer 'tcn' \(Conv1D\).*'causal' on a fixed length \(11\).*\(9, not 11\)/,
        ),
        hint: expect.stringContaining('free sequence length (input shape [null, 3])'),
      }),
    );
  });

  // tfjs' DepthwiseConv2D.call passes no dilation (and its output shape leaves it out): the export does the same
  for (const padding of ['same', 'valid'] as const) {
    it(`DepthwiseConv2D dilationRate 2 '${padding}' computes what tfjs does (undilated), in the declared shape`, async () => {
      const model = chain([9, 9, 3], () =>
        tfl.layers.depthwiseConv2d({ kernelSize: 3, dilationRate: 2, depthMultiplier: 2, padding }),
      );
      randomiseWeights(model);
      const { bytes } = await expectLayersParity(model);
      const xs = randomInputs([[null, 9, 9, 3]], 3, 4);
      expect(await expectDeclaredShapes(bytes, xs)).toEqual([
        [3, padding === 'same' ? 9 : 7, padding === 'same' ? 9 : 7, 6],
      ]);
      tf.dispose(xs);
    });
  }

  it('BatchNormalization on a non-last axis follows Keras semantics (tfjs mis-broadcasts gamma there)', async () => {
    const input = tfl.input({ shape: [4, 5, 6] });
    const bn = tfl.layers.batchNormalization({ axis: 1 });
    const model = tfl.model({ inputs: input, outputs: bn.apply(input) as tfl.SymbolicTensor });
    const [gamma, beta, mean, variance] = [
      tf.randomUniform([4], 0.5, 2, 'float32', 1),
      tf.randomUniform([4], -1, 1, 'float32', 2),
      tf.randomUniform([4], -1, 1, 'float32', 3),
      tf.randomUniform([4], 0.5, 2, 'float32', 4),
    ];
    bn.setWeights([gamma, beta, mean, variance]);
    const b = (t: tf.Tensor) => tf.reshape(t, [1, 4, 1, 1]);
    const keras = (xs: tf.Tensor[]) =>
      tf.add(tf.mul(tf.div(tf.sub(xs[0], b(mean)), tf.sqrt(tf.add(b(variance), 0.001))), b(gamma)), b(beta));
    const xs = randomInputs([[null, 4, 5, 6]], 3, 5);
    const r = await checkParity(exportLayersModel(model).bytes, keras, xs);
    expect(r.maxAbsDiff).toBeLessThanOrEqual(1e-5);
  });
});

describe('merge layers', () => {
  const mergeModel = (merge: (xs: tfl.SymbolicTensor[]) => tfl.SymbolicTensor, n = 2) => {
    const input = tfl.input({ shape: [6, 6, 3] });
    const branches = Array.from(
      { length: n },
      () =>
        tfl.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same' }).apply(input) as tfl.SymbolicTensor,
    );
    return tfl.model({ inputs: input, outputs: merge(branches) });
  };
  const merges: [string, (xs: tfl.SymbolicTensor[]) => tfl.SymbolicTensor][] = [
    ['Add', (xs) => tfl.layers.add().apply(xs) as tfl.SymbolicTensor],
    ['Multiply', (xs) => tfl.layers.multiply().apply(xs) as tfl.SymbolicTensor],
    ['Average', (xs) => tfl.layers.average().apply(xs) as tfl.SymbolicTensor],
    ['Maximum', (xs) => tfl.layers.maximum().apply(xs) as tfl.SymbolicTensor],
    ['Minimum', (xs) => tfl.layers.minimum().apply(xs) as tfl.SymbolicTensor],
    ['Concatenate channels', (xs) => tfl.layers.concatenate().apply(xs) as tfl.SymbolicTensor],
    ['Concatenate axis 1', (xs) => tfl.layers.concatenate({ axis: 1 }).apply(xs) as tfl.SymbolicTensor],
    ['Concatenate axis 2', (xs) => tfl.layers.concatenate({ axis: 2 }).apply(xs) as tfl.SymbolicTensor],
  ];
  for (const [name, merge] of merges) {
    it(`${name} of two and three branches`, async () => {
      await expectLayersParity(mergeModel(merge, 2));
      await expectLayersParity(mergeModel(merge, 3));
    });
  }

  // tfjs inserts the missing axes after the batch axis ([N, 4] -> [N, 1, 1, 4]); ONNX aligns dims from the
  // right, which only agrees at batch 1 (before the fix: batch 3 diff 1.6, or a broadcast error in ORT)
  const mixedRanks: [string, number[][], (xs: tfl.SymbolicTensor[]) => tfl.SymbolicTensor, boolean?][] = [
    ['Add [5,3,4] + [4]', [[5, 3, 4], [4]], (xs) => tfl.layers.add().apply(xs) as tfl.SymbolicTensor],
    ['Multiply [6,4] x [4]', [[6, 4], [4]], (xs) => tfl.layers.multiply().apply(xs) as tfl.SymbolicTensor],
    ['Maximum [4] and [6,4]', [[4], [6, 4]], (xs) => tfl.layers.maximum().apply(xs) as tfl.SymbolicTensor],
    [
      'Minimum [3,4], [4], [2,3,4]',
      [[3, 4], [4], [2, 3, 4]],
      (xs) => tfl.layers.minimum().apply(xs) as tfl.SymbolicTensor,
    ],
    [
      'Average of a channels-first conv output [5,5,4] and [4]',
      [[5, 5, 4], [4]],
      (xs) => tfl.layers.average().apply(xs) as tfl.SymbolicTensor,
      true,
    ],
  ];
  for (const [name, shapes, merge, convFirst] of mixedRanks) {
    it(`${name} (inputs of different rank), batch 1 and 3`, async () => {
      const inputs = shapes.map((shape) => tfl.input({ shape }));
      const xs = inputs.map((x) =>
        convFirst && x.shape.length === 4
          ? (tfl.layers.conv2d({ filters: 4, kernelSize: 1 }).apply(x) as tfl.SymbolicTensor)
          : x,
      );
      const model = tfl.model({ inputs, outputs: merge(xs) });
      const { bytes } = exportLayersModel(model);
      for (const batch of [1, 3]) {
        const data = randomInputs(
          inputs.map((t) => t.shape),
          batch,
          batch,
        );
        for (const level of ['all', 'disabled'] as const) {
          const r = await checkParity(bytes, model, data, { graphOptimizationLevel: level });
          expect(r.maxAbsDiff, `batch ${batch}, ORT ${level}`).toBeLessThanOrEqual(1e-6);
        }
        tf.dispose(data);
      }
    });
  }

  it('Concatenate with a negative axis other than -1 is refused (tfjs joins along the last axis instead)', () => {
    const a = tfl.input({ shape: [2, 3] });
    const b = tfl.input({ shape: [2, 3] });
    const out = tfl.layers.concatenate({ axis: -2, name: 'cat' }).apply([a, b]) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: [a, b], outputs: out });
    // what tfjs declares and what it computes disagree, so no export can match it
    expect(out.shape).toEqual([null, 4, 3]);
    const [x, y] = randomInputs([a.shape, b.shape], 1, 1);
    expect((model.predict([x, y]) as tf.Tensor).shape).toEqual([1, 2, 6]);
    expect(() => exportLayersModel(model)).toThrow(
      expect.objectContaining({
        code: 'LAYER_CONVERSION_FAILED',
        message: expect.stringMatching(
          /Layer 'cat' \(Concatenate\).*axis -2.*last axis.*nothing was written/,
        ),
        hint: expect.stringContaining('(1 for -2 here'),
      }),
    );
    tf.dispose([x, y]);
  });

  it('Add of a channels-first and a TF-order branch', async () => {
    const input = tfl.input({ shape: [4, 4, 3] });
    const a = tfl.layers.conv2d({ filters: 3, kernelSize: 1 }).apply(input) as tfl.SymbolicTensor;
    const out = tfl.layers.add().apply([a, input]) as tfl.SymbolicTensor;
    await expectLayersParity(tfl.model({ inputs: input, outputs: out }));
  });
});

describe('model structure', () => {
  it('nested Sequential inside a Functional model, and a shared layer', async () => {
    const inner = tfl.sequential({
      layers: [
        tfl.layers.conv2d({
          inputShape: [6, 6, 2],
          filters: 3,
          kernelSize: 3,
          padding: 'same',
          activation: 'relu',
        }),
      ],
    });
    const shared = tfl.layers.dense({ units: 4, name: 'shared_dense' });
    const a = tfl.input({ shape: [6, 6, 2], name: 'image_a' });
    const b = tfl.input({ shape: [6, 6, 2], name: 'image_b' });
    const fa = tfl.layers.flatten().apply(inner.apply(a)) as tfl.SymbolicTensor;
    const fb = tfl.layers.flatten().apply(inner.apply(b)) as tfl.SymbolicTensor;
    const out = tfl.layers
      .add()
      .apply([
        shared.apply(fa) as tfl.SymbolicTensor,
        shared.apply(fb) as tfl.SymbolicTensor,
      ]) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: [a, b], outputs: [out, fa], name: 'siamese' });
    const r = await expectLayersParity(model);
    expect(r.perOutput).toHaveLength(2);
  });

  it('nested Functional model called twice (weights stored once)', async () => {
    const ii = tfl.input({ shape: [5] });
    const block = tfl.model({
      inputs: ii,
      outputs: tfl.layers.dense({ units: 5, activation: 'tanh' }).apply(ii) as tfl.SymbolicTensor,
    });
    const x = tfl.input({ shape: [5] });
    const y = block.apply(block.apply(x)) as tfl.SymbolicTensor;
    const r = await expectLayersParity(tfl.model({ inputs: x, outputs: y }));
    const floats = decodeModel(r.bytes).graph.initializer.filter((t) => t.data_type === 1);
    expect(floats.map((t) => t.dims)).toEqual([[5, 5], [5]]);
  });

  it('every class in SUPPORTED_LAYERS is a real tfjs-layers class', () => {
    for (const cls of SUPPORTED_LAYERS) {
      if (['Functional', 'Model', 'Sequential', 'InputLayer'].includes(cls)) continue;
      expect(tf.serialization.SerializationMap.getMap().classNameMap[cls], cls).toBeDefined();
    }
  });
});
