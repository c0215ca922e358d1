import '@tensorflow/tfjs-backend-cpu';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ONNX_METADATA_KEYS } from '@hcr/core';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeModel,
  exportGraphModel,
  exportLayersModel,
  exportModelFile,
  fileIOHandler,
  loadTfjsModel,
  SUPPORTED_OPS,
  verifyExport,
} from '../src/index.js';
import { exportOnnxCli } from './helpers.js';
import { attrs, GraphJsonBuilder, kerasFunctionalJson, writeTfjsModel } from './tfjs-json.js';

const root = mkdtempSync(join(tmpdir(), 'hcr-export-test-'));
const repo = resolve(import.meta.dirname, '../../..');

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('models on disk', () => {
  it('a Keras Functional model in tensorflowjs_converter format (two shards split mid-tensor) exports with parity', async () => {
    const dir = join(root, 'keras');
    const { json, weights } = kerasFunctionalJson();
    writeTfjsModel(dir, json, weights);
    const { bytes, loaded, report } = await exportModelFile(dir);
    expect(report.sourceFormat).toBe('layers-model');
    expect(report.inputs[0]).toEqual({ name: 'input_1', shape: ['batch', 12, 12, 1] });
    expect(report.outputs[0].name).toBe('dense');
    const v = await verifyExport(loaded, bytes, { samples: 8 });
    expect(v.passed).toBe(true);
    expect(v.checks.map((c) => c.optimization)).toEqual(['all', 'disabled']);
    const docs = decodeModel(bytes).graph.node.map((n) => n.doc_string);
    expect(docs).toContain('layer conv2d_1 (Conv2D)');
    expect(docs).toContain('layer batch_normalization (BatchNormalization)');
  });

  it('fileIOHandler saves and loads a tfjs model; metadata.json becomes metadata_props', async () => {
    const dir = join(root, 'saved');
    const model = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [3], units: 2 })] });
    await model.save(fileIOHandler(dir));
    const meta = {
      id: 'run-1',
      uid: '0c6f4a0e-5a4b-4f4e-9d7c-2f1e8b9a6c3d',
      modelVersion: 20261201123456,
      classNames: ['a', 'b'],
      inputNormalisation: { mean: 0.5, std: 0.5 },
    };
    writeFileSync(join(dir, 'metadata.json'), JSON.stringify(meta));
    const { bytes } = await exportModelFile(join(dir, 'model.json'));
    const onnx = decodeModel(bytes);
    const props = Object.fromEntries(onnx.metadata_props.map((p) => [p.key, p.value]));
    expect(JSON.parse(props[ONNX_METADATA_KEYS.classNames])).toEqual(['a', 'b']);
    expect(JSON.parse(props[ONNX_METADATA_KEYS.inputNormalisation])).toEqual({ mean: 0.5, std: 0.5 });
    expect(props[ONNX_METADATA_KEYS.modelId]).toBe('run-1');
    // the run's identity: unique id, and the version in ModelProto.model_version (onnxruntime's modelmeta.version)
    expect(props[ONNX_METADATA_KEYS.modelUid]).toBe(meta.uid);
    expect(props[ONNX_METADATA_KEYS.modelVersion]).toBe('20261201123456');
    expect(onnx.model_version).toBe(20261201123456);
    // how to make the input, for runtimes outside hcr
    const pre = JSON.parse(props[ONNX_METADATA_KEYS.preprocessing]);
    expect(pre).toMatchObject({
      task: 'character',
      input: { layout: 'NHWC', shape: ['N', 28, 28, 1], dtype: 'float32' },
      pixels: { ink: 'bright', background: 0, mean: 0.5, std: 0.5, inputRange: [-1, 1] },
      character: { normalisation: 'canonical', size: 28, boxSize: 20, inkThreshold: 0.15 },
    });
    expect(pre.steps.join('\n')).toMatch(/crop: .*0\.15.*\n.*longer side to 20 px.*\n.*round\(14 - cx\)/);
  });

  it('a missing weight shard is a clear error', async () => {
    const dir = join(root, 'noshard');
    const { json, weights } = kerasFunctionalJson();
    writeTfjsModel(dir, json, weights);
    rmSync(join(dir, 'group1-shard2of2.bin'));
    await expect(exportModelFile(dir)).rejects.toMatchObject({ code: 'WEIGHTS_MISSING' });
  });
});

/** A GraphModel using every op in SUPPORTED_OPS that tfjs-converter can run, as tensorflowjs_converter emits them. */
function writeGraphModel(dir: string): string[] {
  const b = new GraphJsonBuilder();
  const x = b.placeholder('images', [-1, 10, 10, 3]);
  const c1 = b.conv('conv1', '_FusedConv2D', x, b.const('conv1/w', [3, 3, 3, 8]), [b.const('conv1/b', [8])], {
    strides: 2,
    fused: ['BiasAdd', 'Relu'],
  });
  const dw = b.conv(
    'dw',
    'FusedDepthwiseConv2dNative',
    c1,
    b.const('dw/w', [3, 3, 8, 1]),
    [b.const('dw/b', [8])],
    { fused: ['BiasAdd', 'Relu6'] },
  );
  const dw2 = b.conv('dw2', 'DepthwiseConv2dNative', dw, b.const('dw2/w', [3, 3, 8, 2]), [], {
    padding: 'VALID',
  });
  const c2 = b.conv('c2', 'Conv2D', dw2, b.const('c2/w', [1, 1, 16, 8]), [], {});
  const ba = b.op('ba', 'BiasAdd', [c2, b.const('ba/b', [8])], { data_format: { s: attrs.b64('NHWC') } });
  const bn = b.op(
    'bn',
    'FusedBatchNormV3',
    [
      ba,
      b.const('bn/s', [8]),
      b.const('bn/o', [8]),
      b.const('bn/m', [8]),
      b.const('bn/v', [8], { range: [0.5, 2] }),
    ],
    {
      epsilon: { f: 0.001 },
      data_format: { s: attrs.b64('NHWC') },
      is_training: { b: false },
    },
  );
  const elu = b.op('elu', 'Elu', [bn]);
  const pad = b.op('pad', 'Pad', [elu, b.ints('pad/p', [0, 0, 1, 0, 0, 1, 0, 0], [4, 2])]);
  const mp = b.op('mp', 'MaxPool', [pad], {
    ksize: attrs.ilist([1, 2, 2, 1]),
    strides: attrs.ilist([1, 2, 2, 1]),
    padding: { s: attrs.b64('VALID') },
    data_format: { s: attrs.b64('NHWC') },
  });
  const ap = b.op('ap', 'AvgPool', [pad], {
    ksize: attrs.ilist([1, 3, 3, 1]),
    strides: attrs.ilist([1, 2, 2, 1]),
    padding: { s: attrs.b64('SAME') },
    data_format: { s: attrs.b64('NHWC') },
  });
  const cat = b.op('cat', 'ConcatV2', [mp, ap, b.ints('cat/axis', [3], [])], {
    N: { i: '2' },
    Tidx: { type: 'DT_INT32' },
  });
  const sig = b.op('sig', 'Sigmoid', [cat]);
  const tanh = b.op('tanh', 'Tanh', [cat]);
  const mul = b.op('mul', 'Mul', [sig, tanh]);
  const sub = b.op('sub', 'Sub', [mul, b.const('sub/c', [16])]);
  const div = b.op('div', 'RealDiv', [sub, b.const('div/c', [16], { range: [1, 2] })]);
  const add = b.op('add', 'AddV2', [div, mul]);
  const relu = b.op('relu', 'Relu', [add]);
  const tr = b.op('tr', 'Transpose', [relu, b.ints('tr/perm', [0, 3, 1, 2])], {
    Tperm: { type: 'DT_INT32' },
  });
  const mean = b.op('mean', 'Mean', [tr, b.ints('mean/axes', [2, 3])], {
    keep_dims: { b: true },
    Tidx: { type: 'DT_INT32' },
  });
  const sq = b.op('sq', 'Squeeze', [mean], { squeeze_dims: attrs.ilist([2, 3]) });
  const flat = b.op('flat', 'Reshape', [relu, b.ints('flat/shape', [-1, 2 * 2 * 16])], {
    Tshape: { type: 'DT_INT32' },
  });
  const fc = b.op('fc', '_FusedMatMul', [flat, b.const('fc/w', [64, 16]), b.const('fc/b', [16])], {
    transpose_a: { b: false },
    transpose_b: { b: false },
    fused_ops: { list: { s: [attrs.b64('BiasAdd'), attrs.b64('Relu')] } },
    num_args: { i: '1' },
    epsilon: { f: 0 },
  });
  const both = b.op('both', 'Add', [fc, sq]);
  const mm = b.op('mm', 'MatMul', [both, b.const('mm/w', [10, 16])], {
    transpose_a: { b: false },
    transpose_b: { b: true },
  });
  const ex = b.op('ex', 'ExpandDims', [mm, b.ints('ex/dim', [1], [])], { Tdim: { type: 'DT_INT32' } });
  const sm = b.op('sm', 'Softmax', [ex]);
  b.op('Identity', 'Identity', [sm]);
  writeTfjsModel(dir, b.json(), b.weights);
  return [...new Set(b.nodes.map((n) => n.op as string))];
}

/** Element-wise, activation and reduction ops, each applied to a channels-first value after a conv. */
function writeElementwiseGraph(dir: string): string[] {
  const b = new GraphJsonBuilder();
  const x = b.placeholder('x', [-1, 5, 5, 3]);
  const c = b.conv('c', 'Conv2D', x, b.const('c/w', [3, 3, 3, 4]), []);
  const pos = b.op('pos', 'AddV2', [b.op('abs', 'Abs', [c]), b.const('one', [], { values: [1] })]);
  const axes = b.ints('axes', [1, 2]);
  const branches: string[] = [];
  const reduce = (name: string, v: string, op = 'Mean') => {
    branches.push(b.op(`${name}/r`, op, [v, axes], { keep_dims: { b: false }, Tidx: { type: 'DT_INT32' } }));
  };
  for (const op of ['Relu6', 'Selu', 'Softplus', 'Neg', 'Floor', 'Ceil', 'Erf', 'Square', 'Exp'])
    reduce(op, b.op(op, op, [c]));
  for (const op of ['Sqrt', 'Rsqrt', 'Log', 'Reciprocal']) reduce(op, b.op(op, op, [pos]));
  reduce('leaky', b.op('leaky', 'LeakyRelu', [c], { alpha: { f: 0.1 } }));
  reduce('logsm', b.op('logsm', 'LogSoftmax', [c]));
  const k = b.const('k', [4]);
  for (const op of ['Maximum', 'Minimum', 'Div', 'SquaredDifference'])
    reduce(op, b.op(op, op, [c, op === 'Div' ? pos : k]));
  reduce('pow', b.op('pow', 'Pow', [pos, b.const('e', [], { values: [1.5] })]));
  reduce('max', c, 'Max');
  reduce('min', c, 'Min');
  reduce('sum', c, 'Sum');
  reduce('prod', b.op('small', 'Mul', [c, b.const('s', [], { values: [0.5] })]), 'Prod');
  const padded = b.op('padv2', 'PadV2', [
    c,
    b.ints('pp', [0, 0, 1, 1, 0, 2, 0, 0], [4, 2]),
    b.const('pv', [], { values: [0.25] }),
  ]);
  reduce('padv2', padded);
  const cat = b.op('cat', 'ConcatV2', [...branches, b.ints('cat/axis', [-1], [])], {
    N: { i: String(branches.length) },
  });
  b.op('out', 'Identity', [cat]);
  writeTfjsModel(dir, b.json(), b.weights, 9);
  return [...new Set(b.nodes.map((n) => n.op as string))];
}

describe('GraphModel (tfjs-converter format)', () => {
  it('element-wise, activation and reduction ops on channels-first values match tfjs', async () => {
    const dir = join(root, 'graph-ew');
    const used = writeElementwiseGraph(dir);
    const { bytes, loaded } = await exportModelFile(dir);
    const v = await verifyExport(loaded, bytes, { samples: 4 });
    expect(v.checks.map((c) => c.maxAbsDiff).every((d) => d <= 1e-4)).toBe(true);
    for (const op of used) expect(SUPPORTED_OPS).toContain(op);
    // together with the CNN graph below, every supported op but NoOp and the pass-throughs is exercised
    expect(used.length).toBeGreaterThanOrEqual(29);
  });

  it('a CNN graph with the ops tensorflowjs_converter emits exports with parity', async () => {
    const dir = join(root, 'graph');
    const used = writeGraphModel(dir);
    const { bytes, loaded, report } = await exportModelFile(dir);
    expect(report.sourceFormat).toBe('graph-model');
    expect(report.inputs[0]).toEqual({ name: 'images', shape: ['batch', 10, 10, 3] });
    expect(report.outputs[0]).toEqual({ name: 'Identity', shape: ['batch', 1, 10] });
    const v = await verifyExport(loaded, bytes, { samples: 5 });
    expect(v.checks[0].maxAbsDiff).toBeLessThanOrEqual(1e-4);
    expect(v.passed).toBe(true);
    for (const op of used) expect(SUPPORTED_OPS).toContain(op);
    expect(used.length).toBeGreaterThanOrEqual(28);
    const docs = decodeModel(bytes).graph.node.map((n) => n.doc_string);
    expect(docs).toContain('tf node conv1 (_FusedConv2D)');
  });

  it('NCHW input layout works for graph models too', async () => {
    const dir = join(root, 'graph');
    const { bytes, loaded } = await exportModelFile(dir, { inputLayout: 'nchw' });
    expect(decodeModel(bytes).graph.node[0].op_type).toBe('Conv');
    expect((await verifyExport(loaded, bytes, { samples: 3, inputLayout: 'nchw' })).passed).toBe(true);
  });

  it('an unsupported op is named, with the supported list', async () => {
    const dir = join(root, 'graph-bad');
    const b = new GraphJsonBuilder();
    const x = b.placeholder('x', [-1, 4]);
    b.op('cum', 'Cumsum', [x, b.ints('axis', [1], [])], {
      exclusive: { b: false },
      reverse: { b: false },
      Tidx: { type: 'DT_INT32' },
    });
    writeTfjsModel(dir, b.json(), b.weights);
    await expect(exportModelFile(dir)).rejects.toMatchObject({
      code: 'UNSUPPORTED_OP',
      message: expect.stringContaining("Node 'cum' has op Cumsum"),
      hint: expect.stringContaining('_FusedConv2D'),
    });
  });
});

describe('unsupported layers', () => {
  it('a tfjs layer class without a converter: clear error naming class, layer and the supported list', async () => {
    const model = tfl.sequential({
      layers: [tfl.layers.embedding({ inputDim: 10, outputDim: 4, inputLength: 3 })],
    });
    const dir = join(root, 'embedding');
    await model.save(fileIOHandler(dir));
    await expect(exportModelFile(dir)).rejects.toMatchObject({
      code: 'UNSUPPORTED_LAYER',
      message: expect.stringMatching(/Layer 'embedding.*' of class Embedding cannot be exported/),
      hint: expect.stringContaining('Conv2D'),
    });
  });

  it('hcr export onnx: an unknown layer class exits non-zero with a clear error and writes nothing', () => {
    const dir = join(root, 'unknown');
    const { json, weights } = kerasFunctionalJson();
    const text = JSON.stringify(json).replace('"class_name":"Add"', '"class_name":"FancyMerge"');
    writeTfjsModel(dir, JSON.parse(text), weights);
    const out = join(root, 'unknown.onnx');
    const r = spawnSync(
      process.execPath,
      [
        '--conditions=source',
        '--import',
        'tsx',
        join(repo, 'apps/cli/src/bin.ts'),
        'export',
        'onnx',
        dir,
        '-o',
        out,
      ],
      {
        cwd: repo,
        encoding: 'utf8',
      },
    );
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(
      "Layer 'add' of class FancyMerge cannot be exported to ONNX; nothing was written.",
    );
    expect(r.stderr).toContain('Supported layer classes: Activation, Add,');
    expect(existsSync(out)).toBe(false);
  });

  it('hcr export onnx: a parity failure exits 2 with the figures and writes nothing (unless --force)', () => {
    const dir = join(root, 'keras');
    const out = join(root, 'strict.onnx');
    const cli = (...extra: string[]) => exportOnnxCli(dir, out, '--samples', '4', '--images', '0', ...extra);
    // softmax outputs differ in the last float bits; no export can meet 1e-30
    const strict = cli('--tolerance', '1e-30');
    expect(strict.status).toBe(2);
    expect(strict.stderr).toMatch(/FAIL parity on 4 random .*max abs diff/);
    expect(strict.stderr).toContain('nothing was written');
    expect(existsSync(out)).toBe(false);
    const forced = cli('--tolerance', '1e-30', '--force');
    expect(forced.status).toBe(2);
    expect(existsSync(out)).toBe(true);
  });

  it('hcr export onnx: success prints parity figures and writes the file', () => {
    const dir = join(root, 'keras');
    const out = join(root, 'keras.onnx');
    const r = spawnSync(
      process.execPath,
      [
        '--conditions=source',
        '--import',
        'tsx',
        join(repo, 'apps/cli/src/bin.ts'),
        'export',
        'onnx',
        dir,
        '-o',
        out,
        '--json',
        '--samples',
        '4',
        '--images',
        '0',
      ],
      { cwd: repo, encoding: 'utf8' },
    );
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.parity.passed).toBe(true);
    expect(report.parity.checks[0].maxAbsDiff).toBeLessThanOrEqual(1e-4);
    expect(readFileSync(out).byteLength).toBe(report.report.byteLength);
  });
});

describe('the wrong kind of model is named, with the function to use', () => {
  it('exportLayersModel(graphModel), exportGraphModel(layersModel), exportGraphModel without its artifacts', async () => {
    const dir = join(root, 'graph-kind');
    writeElementwiseGraph(dir);
    const graph = await loadTfjsModel(dir);
    if (graph.format !== 'graph-model') throw new Error('expected a GraphModel');
    expect(() => exportLayersModel(graph.model as never)).toThrow(
      expect.objectContaining({
        code: 'WRONG_MODEL_KIND',
        problem: 'exportLayersModel was given a tfjs GraphModel; nothing was exported.',
        hint: expect.stringContaining('exportGraphModel(model, artifacts)'),
      }),
    );
    expect(() => exportGraphModel(graph.model, {})).toThrow(
      expect.objectContaining({
        code: 'WRONG_MODEL_KIND',
        problem: expect.stringMatching(/artifacts without a GraphDef/),
      }),
    );
    const layers = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [3], units: 2 })] });
    expect(() => exportGraphModel(layers as never, {})).toThrow(
      expect.objectContaining({
        code: 'WRONG_MODEL_KIND',
        problem: 'exportGraphModel was given a tfjs LayersModel; nothing was exported.',
        hint: 'Use exportLayersModel(model) for it.',
      }),
    );
    expect(() => exportLayersModel({} as never)).toThrow(
      expect.objectContaining({
        code: 'WRONG_MODEL_KIND',
        problem: expect.stringMatching(/an object \(Object\), not a tfjs LayersModel/),
      }),
    );
  });

  it('exportModelFile on an .onnx file says it is ONNX already, not that the file is damaged', async () => {
    const file = join(root, 'already.onnx');
    const layers = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [3], units: 2 })] });
    writeFileSync(file, exportLayersModel(layers).bytes);
    const e = await exportModelFile(file).catch((x: unknown) => x);
    expect(e).toMatchObject({
      code: 'WRONG_MODEL_KIND',
      problem: `${file} is an ONNX model already; there is nothing to export.`,
    });
    expect((e as Error).message).not.toMatch(/damaged/);
  });
});

describe("a metadata.json that is not hcr's, or does not fit the model, is left out with a warning", () => {
  const cases: [string, unknown, RegExp][] = [
    [
      '2 class names for 10 outputs',
      { classNames: ['a', 'b'] },
      /classNames lists 2 classes, but the model has 10 outputs/,
    ],
    [
      'an unknown input normalisation',
      { inputNormalisation: 'zeroToOne' },
      /inputNormalisation is "zeroToOne", not \{ mean, std \}/,
    ],
    [
      'a string model version',
      { id: 'run', modelVersion: '3' },
      /modelVersion is "3", not a non-negative integer/,
    ],
    [
      "a Teachable Machine export's",
      {
        tfjsVersion: '1.3.1',
        tmVersion: '2.4.4',
        modelName: 'tm-my-image-model',
        labels: ['a', 'b'],
        imageSize: 224,
      },
      /is not hcr's model metadata \(it has none of its keys/,
    ],
  ];
  for (const [name, meta, why] of cases) {
    it(name, async () => {
      const dir = join(root, 'foreign-metadata');
      const model = tfl.sequential({
        layers: [tfl.layers.dense({ inputShape: [3], units: 10, activation: 'softmax' })],
      });
      await model.save(fileIOHandler(dir));
      writeFileSync(join(dir, 'metadata.json'), JSON.stringify(meta));
      const { bytes, report, loaded } = await exportModelFile(dir);
      expect(report.warnings).toHaveLength(1);
      expect(report.warnings[0]).toMatch(why);
      expect(report.warnings[0]).toMatch(
        /metadata\.json .* so it was left out of the ONNX model's metadata_props/,
      );
      expect(loaded.metadata).toBeNull();
      const onnx = decodeModel(bytes);
      expect(onnx.metadata_props).toEqual([]);
      expect(onnx.model_version ?? 0).toBe(0);
    });
  }

  it('hcr metadata that fits is kept, with no warning', async () => {
    const dir = join(root, 'own-metadata');
    const model = tfl.sequential({ layers: [tfl.layers.dense({ inputShape: [3], units: 2 })] });
    await model.save(fileIOHandler(dir));
    const meta = {
      id: 'run',
      modelVersion: 7,
      classNames: ['a', 'b'],
      inputNormalisation: { mean: 0.5, std: 0.5 },
    };
    writeFileSync(join(dir, 'metadata.json'), JSON.stringify(meta));
    const { bytes, report } = await exportModelFile(dir);
    expect(report.warnings).toEqual([]);
    expect(decodeModel(bytes).model_version).toBe(7);
  });
});

describe('export options from JavaScript are checked, naming the option', () => {
  const model = tfl.sequential({
    layers: [tfl.layers.conv2d({ inputShape: [4, 4, 1], filters: 2, kernelSize: 1 })],
  });

  it("opset '17' (a string) says a number was expected", () => {
    expect(() => exportLayersModel(model, { opset: '17' as never })).toThrow(
      expect.objectContaining({
        code: 'BAD_OPSET',
        problem: 'opset must be a number, an integer from 13 to 21 (default 17), not the string "17".',
        hint: 'Pass a number, e.g. opset: 17.',
      }),
    );
    expect(() => exportLayersModel(model, { opset: 12 })).toThrow(
      expect.objectContaining({ code: 'BAD_OPSET', problem: 'Opset 12 is not supported.' }),
    );
  });

  it("inputLayout 'NCHW' (upper case) is refused instead of exporting NHWC", async () => {
    for (const call of [
      () => exportLayersModel(model, { inputLayout: 'NCHW' as never }),
      () => exportModelFile(join(root, 'nowhere'), { inputLayout: 'NCHW' as never }),
    ]) {
      await expect(async () => call()).rejects.toMatchObject({
        code: 'BAD_OPTION',
        problem: `inputLayout must be 'nhwc' or 'nchw', not "NCHW".`,
        hint: expect.stringContaining("inputLayout: 'nchw'"),
      });
    }
    const dims = decodeModel(exportLayersModel(model, { inputLayout: 'nchw' }).bytes).graph.input[0].type
      .tensor_type.shape.dim;
    expect(dims.map((d) => ('dim_value' in d ? d.dim_value : d.dim_param))).toEqual(['batch', 1, 4, 4]);
  });

  it('modelVersion must be an integer', () => {
    expect(() => exportLayersModel(model, { modelVersion: '3' as never })).toThrow(
      expect.objectContaining({
        code: 'BAD_OPTION',
        problem: expect.stringMatching(/^modelVersion must be a non-negative integer, not "3"/),
      }),
    );
  });
});
