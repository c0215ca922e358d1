import '@tensorflow/tfjs-backend-cpu';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LINE_ALPHABET_36 } from '@hcr/core';
import { buildReader, readerFrames } from '@hcr/model';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkParity,
  concreteShapes,
  decodeModel,
  type ExportOptions,
  exportLayersModel,
  exportModelFile,
  fileIOHandler,
  LINE_READER_DIM_NAMES,
  type ModelProtoObject,
  openSession,
  randomInputs,
  VERIFY_SIZES,
  verifyExport,
} from '../src/index.js';
import { expectParityAtWidths, expectReaderParity, randomiseBatchNorms, TOLERANCE } from './helpers.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const FEATURES = 5;
/** Sequence lengths and batch sizes every recurrent case runs at (one export, symbolic time and batch). */
const LENGTHS = [1, 7, 20];
const BATCHES = [1, 3];

// tfjs' default recurrent initializer is orthogonal, which fails on the wasm backend: use Glorot
const glorot = (seed: number) => tfl.initializers.glorotUniform({ seed });
const seeded = { kernelInitializer: glorot(1), recurrentInitializer: glorot(2) };

/** Seeded uniform weights in [-0.5, 0.5], biases included (fresh biases are zero and hide gate mix-ups). */
function randomiseWeights(model: tfl.LayersModel): void {
  let seed = 100;
  for (const layer of model.layers) {
    const ws = layer.getWeights();
    if (ws.length > 0)
      layer.setWeights(ws.map((w) => tf.randomUniform(w.shape, -0.5, 0.5, 'float32', seed++)));
  }
}

/** input [time (free), FEATURES] -> layers -> output(s). */
function sequenceModel(make: () => tfl.layers.Layer[], features = FEATURES): tfl.LayersModel {
  const input = tfl.input({ shape: [null, features], name: 'seq' });
  let xs: tfl.SymbolicTensor | tfl.SymbolicTensor[] = input;
  for (const l of make()) xs = l.apply(xs) as tfl.SymbolicTensor | tfl.SymbolicTensor[];
  const model = tfl.model({ inputs: input, outputs: xs });
  randomiseWeights(model);
  return model;
}

const dimsOf = (v: ModelProtoObject['graph']['input'][number]) =>
  v.type.tensor_type.shape.dim.map((d) => ('dim_param' in d ? d.dim_param : d.dim_value));

/**
 * Export with the time dim named `time`, check that batch and time stay symbolic, and compare with tfjs
 * at every length and batch size, ORT optimisations on and off. Returns the worst max abs diff.
 */
async function expectSequenceParity(model: tfl.LayersModel, opts: ExportOptions = {}): Promise<number> {
  const { bytes } = exportLayersModel(model, { ...opts, dimNames: { inputs: [[null, 'time', null]] } });
  expect(dimsOf(decodeModel(bytes).graph.input[0])).toEqual(['batch', 'time', FEATURES]);
  const sessions = [await openSession(bytes, 'all'), await openSession(bytes, 'disabled')];
  let worst = 0;
  for (const length of LENGTHS) {
    for (const batch of BATCHES) {
      const inputs = randomInputs(concreteShapes([model.inputs[0].shape], length), batch, length + batch);
      for (const session of sessions) {
        const r = await checkParity(session, model, inputs);
        expect(r.maxAbsDiff, `length ${length}, batch ${batch}`).toBeLessThanOrEqual(TOLERANCE);
        worst = Math.max(worst, r.maxAbsDiff);
      }
      tf.dispose(inputs);
    }
  }
  await Promise.all(sessions.map((s) => s.release()));
  return worst;
}

const opCounts = (bytes: Uint8Array) => {
  const counts: Record<string, number> = {};
  for (const n of decodeModel(bytes).graph.node) counts[n.op_type] = (counts[n.op_type] ?? 0) + 1;
  return counts;
};

const worstByCase: Record<string, number> = {};
afterAll(() =>
  console.info(`recurrent parity, max abs diff per case: ${JSON.stringify(worstByCase, null, 1)}`),
);

const lstm = (args: Partial<Parameters<typeof tfl.layers.lstm>[0]> = {}) =>
  tfl.layers.lstm({ units: 4, ...seeded, ...args });
const gru = (args: Partial<Parameters<typeof tfl.layers.gru>[0]> = {}) =>
  tfl.layers.gru({ units: 4, ...seeded, ...args });
const simpleRnn = (args: Partial<Parameters<typeof tfl.layers.simpleRNN>[0]> = {}) =>
  tfl.layers.simpleRNN({ units: 4, ...seeded, ...args });
const bidi = (layer: tfl.layers.Layer, mergeMode?: 'concat' | 'sum' | 'ave' | 'mul' | null) =>
  tfl.layers.bidirectional({ layer: layer as tfl.RNN, mergeMode: mergeMode as 'concat' });

const cases: [string, () => tfl.layers.Layer[]][] = [
  // tfjs' LSTM/GRU default recurrentActivation is hardSigmoid (Keras 2's), not sigmoid
  ['LSTM returnSequences, default activations (tanh, hardSigmoid)', () => [lstm({ returnSequences: true })]],
  ['LSTM last output only', () => [lstm()]],
  ['LSTM no bias', () => [lstm({ returnSequences: true, useBias: false })]],
  [
    'LSTM sigmoid recurrent activation, unitForgetBias',
    () => [lstm({ recurrentActivation: 'sigmoid', unitForgetBias: true })],
  ],
  ['LSTM relu activation', () => [lstm({ activation: 'relu', returnSequences: true })]],
  ['LSTM goBackwards, returnSequences', () => [lstm({ goBackwards: true, returnSequences: true })]],
  ['LSTM goBackwards, last output', () => [lstm({ goBackwards: true })]],
  ['LSTM returnState (output, h, c)', () => [lstm({ returnSequences: true, returnState: true })]],
  [
    'LSTM dropout and recurrentDropout (identity at inference)',
    () => [lstm({ dropout: 0.5, recurrentDropout: 0.5 })],
  ],
  [
    'two stacked LSTMs then Dense',
    () => [
      lstm({ returnSequences: true }),
      lstm({ units: 3, returnSequences: true }),
      tfl.layers.dense({ units: 2 }),
    ],
  ],
  ['GRU returnSequences, default activations', () => [gru({ returnSequences: true })]],
  ['GRU last output, sigmoid, no bias', () => [gru({ recurrentActivation: 'sigmoid', useBias: false })]],
  [
    'GRU goBackwards, returnState',
    () => [gru({ goBackwards: true, returnSequences: true, returnState: true })],
  ],
  ['SimpleRNN tanh', () => [simpleRnn({ returnSequences: true })]],
  ['SimpleRNN relu, last output', () => [simpleRnn({ activation: 'relu' })]],
  ['Bidirectional LSTM concat', () => [bidi(lstm({ returnSequences: true }), 'concat')]],
  ['Bidirectional LSTM concat, last outputs', () => [bidi(lstm(), 'concat')]],
  ['Bidirectional LSTM sum', () => [bidi(lstm({ returnSequences: true }), 'sum')]],
  ['Bidirectional LSTM ave, last outputs', () => [bidi(lstm(), 'ave')]],
  ['Bidirectional LSTM mul', () => [bidi(lstm({ returnSequences: true, useBias: false }), 'mul')]],
  ['Bidirectional LSTM mergeMode null (two outputs)', () => [bidi(lstm({ returnSequences: true }), null)]],
  [
    'Bidirectional LSTM returnState (output, fh, fc, bh, bc)',
    () => [bidi(lstm({ returnSequences: true, returnState: true }), 'concat')],
  ],
  ['Bidirectional GRU concat', () => [bidi(gru({ returnSequences: true }), 'concat')]],
  ['Bidirectional SimpleRNN concat, last outputs', () => [bidi(simpleRnn(), 'concat')]],
];

describe('recurrent layers round-trip through onnxruntime within 1e-4 (free time, batch 1 and 3)', () => {
  for (const [name, make] of cases) {
    it(name, async () => {
      worstByCase[name] = await expectSequenceParity(sequenceModel(make));
    });
  }

  for (const act of ['tanh', 'sigmoid', 'hardSigmoid', 'relu', 'elu', 'softsign', 'softplus'] as const) {
    it(`activation ${act} inside the cell (SimpleRNN, and LSTM's recurrent activation)`, async () => {
      worstByCase[`SimpleRNN activation ${act}`] = await expectSequenceParity(
        sequenceModel(() => [simpleRnn({ activation: act, returnSequences: true })]),
      );
      worstByCase[`LSTM recurrentActivation ${act}`] = await expectSequenceParity(
        sequenceModel(() => [lstm({ recurrentActivation: act, returnSequences: true })]),
      );
    });
  }

  it('LSTM at opset 13 (the lowest the package writes)', async () => {
    worstByCase['Bidirectional LSTM concat, opset 13'] = await expectSequenceParity(
      sequenceModel(() => [bidi(lstm({ returnSequences: true }), 'concat')]),
      { opset: 13 },
    );
  });

  it('one ONNX node per layer, weights in ONNX gate order, and no Transpose between stacked layers', () => {
    const model = sequenceModel(() => [
      lstm({ returnSequences: true }),
      bidi(gru({ returnSequences: true }), 'sum'),
    ]);
    const { bytes, report } = exportLayersModel(model);
    expect(opCounts(bytes)).toMatchObject({ LSTM: 1, GRU: 1, Transpose: 2 }); // one in, one out
    const init = Object.fromEntries(decodeModel(bytes).graph.initializer.map((t) => [t.name, t.dims]));
    const lstmName = model.layers[1].name;
    expect(init[`${lstmName}/W`]).toEqual([1, 16, FEATURES]);
    expect(init[`${lstmName}/R`]).toEqual([1, 16, 4]);
    expect(init[`${lstmName}/B`]).toEqual([1, 32]);
    expect(init[`${model.layers[2].name}/W`]).toEqual([2, 12, 4]);
    // the zero recurrence half of B is not counted as parameters: the count is tfjs'
    expect(report.parameterCount).toBe(model.countParams());
  });

  it("the ONNX LSTM's W rows are tfjs' kernel columns in ONNX gate order (i, o, f, c)", () => {
    const model = sequenceModel(() => [lstm({ units: 2 })], 1);
    const kernel = Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]); // [1 input, i0 i1 f0 f1 c0 c1 o0 o1]
    const [, rk, b] = model.layers[1].getWeights();
    model.layers[1].setWeights([tf.tensor2d(kernel, [1, 8]), rk, b]);
    const w = decodeModel(exportLayersModel(model).bytes).graph.initializer.find((t) =>
      t.name.endsWith('/W'),
    );
    const raw = w?.raw_data as Uint8Array;
    const values = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    expect(Array.from(values)).toEqual([1, 2, 7, 8, 3, 4, 5, 6]);
  });
});

describe('a recurrent model on disk', () => {
  const root = mkdtempSync(join(tmpdir(), 'hcr-export-recurrent-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('the default orthogonal recurrentInitializer: building fails with only tfjs-layers + cpu (as the README says), loading does not', async () => {
    // tfjs' Orthogonal initializer calls Tensor.flatten(), a chained op only @tensorflow/tfjs registers
    expect(() => tfl.sequential({ layers: [tfl.layers.lstm({ inputShape: [5, 3], units: 4 })] })).toThrow(
      /rMat\.flatten is not a function/,
    );
    const dir = join(root, 'orthogonal');
    await sequenceModel(() => [lstm({ units: 3 })]).save(fileIOHandler(dir));
    const file = join(dir, 'model.json');
    const text = readFileSync(file, 'utf8');
    const orthogonal = text.replace(
      /"recurrent_initializer":\{"class_name":"\w+","config":\{[^}]*\}\}/,
      '"recurrent_initializer":{"class_name":"Orthogonal","config":{"gain":1,"seed":null}}',
    );
    expect(orthogonal).not.toBe(text);
    writeFileSync(file, orthogonal);
    const { bytes, loaded } = await exportModelFile(dir);
    expect((await verifyExport(loaded, bytes, { samples: 2, sizes: [7] })).passed).toBe(true);
  });

  it('saved by tfjs, loaded back (Bidirectional weights by name) and verified at every VERIFY_SIZES length', async () => {
    const model = sequenceModel(() => [
      bidi(lstm({ returnSequences: true }), 'concat'),
      gru({ units: 3 }),
      tfl.layers.dense({ units: 2, activation: 'softmax' }),
    ]);
    await model.save(fileIOHandler(root));
    const { bytes, loaded, report } = await exportModelFile(root);
    expect(report.inputs[0].shape).toEqual(['batch', 'seq_dim1', FEATURES]);
    const v = await verifyExport(loaded, bytes, { samples: 3 });
    expect(v.passed).toBe(true);
    expect(v.checks.map((c) => c.shape[1])).toEqual(VERIFY_SIZES.flatMap((n) => [n, n]));
    // and against the model that was saved, so the weights came back in the right places
    const inputs = randomInputs(concreteShapes([model.inputs[0].shape], 9), 3, 1);
    expect((await checkParity(bytes, model, inputs)).maxAbsDiff).toBeLessThanOrEqual(TOLERANCE);
    tf.dispose(inputs);
  });
});

describe('what a recurrent layer cannot export is refused, naming the layer and the option', () => {
  const refused = (model: tfl.LayersModel, option: string) =>
    expect(() => exportLayersModel(model)).toThrow(
      expect.objectContaining({
        code: 'LAYER_CONVERSION_FAILED',
        message: expect.stringMatching(new RegExp(`Layer 'rnn' \\((LSTM|GRU|Bidirectional)\\).*${option}`)),
      }),
    );

  it('a stateful LSTM', () => {
    const input = tfl.input({ batchShape: [2, 4, FEATURES] });
    const out = lstm({ stateful: true, name: 'rnn' }).apply(input) as tfl.SymbolicTensor;
    refused(tfl.model({ inputs: input, outputs: out }), 'stateful: true');
  });

  it('a Bidirectional around a goBackwards layer', () => {
    refused(
      sequenceModel(() => [
        tfl.layers.bidirectional({ layer: lstm({ goBackwards: true }) as tfl.RNN, name: 'rnn' }),
      ]),
      'goBackwards: true',
    );
  });

  it('an activation the ONNX op does not have', () => {
    refused(
      sequenceModel(() => [gru({ activation: 'selu', name: 'rnn' })]),
      "activation 'selu'",
    );
  });

  it('initial states fed as inputs', () => {
    const input = tfl.input({ shape: [4, FEATURES] });
    const h = tfl.input({ shape: [4] });
    const c = tfl.input({ shape: [4] });
    const out = lstm({ name: 'rnn' }).apply(input, { initialState: [h, c] }) as tfl.SymbolicTensor;
    refused(tfl.model({ inputs: [input, h, c], outputs: out }), 'initialState');
  });
});

describe('Reshape with -1 of a channels-first value with a free width keeps TensorFlow order', () => {
  it('conv [h, width, c] -> Reshape [-1, c] (ONNX holds the conv output NCHW)', async () => {
    const input = tfl.input({ shape: [2, null, 3] });
    const conv = tfl.layers.conv2d({ filters: 4, kernelSize: [2, 1], kernelInitializer: glorot(3) });
    const seq = tfl.layers.reshape({ targetShape: [-1, 4] }).apply(conv.apply(input)) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: input, outputs: seq });
    await expectParityAtWidths(model, [1, 5, 16]);
  });
});

/**
 * Seeded random batch-norm statistics (fresh ones are trivial and hide mistakes), and LSTM input kernels
 * and biases larger than Glorot's: on random lines the trunk's frames differ little, and with Glorot
 * weights every frame's best class would be the same, a comparison that could miss a mix-up of frames.
 */
function randomiseStatistics(model: tfl.LayersModel): void {
  let seed = randomiseBatchNorms(model);
  for (const layer of model.layers) {
    if (layer.getClassName() !== 'Bidirectional') continue;
    // forward kernel, recurrent kernel, bias, then the backward layer's
    const ws = layer.getWeights();
    layer.setWeights(
      ws.map((w, i) => (i % 3 === 1 ? w : tf.randomUniform(w.shape, -0.3, 0.3, 'float32', seed++))),
    );
  }
}

/**
 * The CRNN line reader is `buildReader({ context: 'bilstm' })`: the reader's conv trunk ([N, 1, T, 128], free T),
 * a bidirectional LSTM over the frames, a 1x1 conv to the alphabet and a softmax.
 */
describe('a CRNN line reader (conv trunk + bidirectional LSTM) exports with a symbolic batch and width', () => {
  const C = LINE_ALPHABET_36.size;
  const model = buildReader({ classes: C, seed: 3, context: 'bilstm' });
  randomiseStatistics(model);
  const { bytes } = exportLayersModel(model, { dimNames: LINE_READER_DIM_NAMES });

  it('reads [batch, 32, width, 1], writes [batch, 1, frames, C], with one bidirectional LSTM node', () => {
    const onnx = decodeModel(bytes);
    expect(dimsOf(onnx.graph.input[0])).toEqual(['batch', 32, 'width', 1]);
    expect(dimsOf(onnx.graph.output[0])).toEqual(['batch', 1, 'frames', C]);
    const node = onnx.graph.node.find((n) => n.op_type === 'LSTM');
    const direction = node?.attribute?.find((a) => a.name === 'direction')?.s as Uint8Array;
    expect(new TextDecoder().decode(direction)).toBe('bidirectional');
    expect(opCounts(bytes).LSTM).toBe(1);
  });

  it('matches tfjs within 1e-4 at widths 16, 57 and 203, batch 1 and 3, ORT optimisations on and off', async () => {
    const worst = await expectReaderParity(model, bytes, [16, 57, 203], readerFrames);
    console.info(`CRNN parity, max abs diff per width: ${JSON.stringify(worst)}`);
  });
});
