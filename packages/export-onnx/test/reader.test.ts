import '@tensorflow/tfjs-backend-cpu';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  DEFAULT_INPUT_NORMALISATION,
  LINE_ALPHABET_36,
  type LineReaderInfo,
  type ModelMetadata,
  ONNX_METADATA_KEYS,
} from '@hcr/core';
import { buildReader, LINE_HEIGHT, LINE_MIN_WIDTH, LINE_STRIDE, readerFrames, saveModel } from '@hcr/model';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeModel,
  exportLayersModel,
  exportModelFile,
  LINE_READER_DIM_NAMES,
  type ModelProtoObject,
  randomInputs,
  VERIFY_SIZES,
  verifyExport,
} from '../src/index.js';
import { expectReaderParity, exportOnnxCli, randomiseBatchNorms } from './helpers.js';

const root = mkdtempSync(join(tmpdir(), 'hcr-export-reader-'));
const _repo = resolve(import.meta.dirname, '../../..');
const C = LINE_ALPHABET_36.size;

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function readerInfo(): LineReaderInfo {
  return {
    alphabetId: LINE_ALPHABET_36.id,
    symbols: [...LINE_ALPHABET_36.symbols],
    height: LINE_HEIGHT,
    stride: LINE_STRIDE,
    minWidth: LINE_MIN_WIDTH,
  };
}

function readerMetadata(): ModelMetadata {
  return {
    formatVersion: 1,
    id: 'reader-test',
    architecture: 'reader',
    labelSpace: 'hcr36',
    classNames: [...LINE_ALPHABET_36.symbols],
    inputShape: [LINE_HEIGHT, LINE_MIN_WIDTH, 1],
    inputNormalisation: DEFAULT_INPUT_NORMALISATION,
    characterNormalisation: 'canonical',
    letterSource: 'emnist-letters',
    dataManifestSha256: 'test',
    commit: 'test',
    createdAt: new Date(0).toISOString(),
    engine: 'cpu',
    trainingConfig: {},
    metrics: {},
    task: 'line',
    reader: readerInfo(),
  } as ModelMetadata;
}

const dimsOf = (v: ModelProtoObject['graph']['input'][number]) =>
  v.type.tensor_type.shape.dim.map((d) => ('dim_param' in d ? d.dim_param : d.dim_value));

describe('the CTC line reader exports with a symbolic batch and width', () => {
  const model = buildReader({ classes: C, seed: 5 });
  randomiseBatchNorms(model);
  const { bytes, report } = exportLayersModel(model, { dimNames: LINE_READER_DIM_NAMES });

  it('the ONNX graph reads [batch, 32, width, 1] and writes [batch, 1, frames, C]', () => {
    const onnx = decodeModel(bytes);
    expect(dimsOf(onnx.graph.input[0])).toEqual(['batch', 32, 'width', 1]);
    expect(dimsOf(onnx.graph.output[0])).toEqual(['batch', 1, 'frames', C]);
    expect(report.inputs[0]).toEqual({ name: 'image', shape: ['batch', 32, 'width', 1] });
    // one Transpose in (NHWC -> NCHW), one out; an ONNX op per tfjs layer, batch norm folded to Mul + Add
    const layers = (cls: string) => model.layers.filter((l) => l.getClassName() === cls).length;
    expect(report.opCounts).toMatchObject({
      Transpose: 2,
      Conv: layers('Conv2D'),
      MaxPool: layers('MaxPooling2D'),
      Mul: layers('BatchNormalization'),
      Softmax: 1,
    });
    expect(report.opCounts.Reshape ?? 0).toBe(0);
  });

  it('matches tfjs within 1e-4 at widths 16..203 and batch 1 and 3, ORT optimisations on and off', async () => {
    const worst = await expectReaderParity(model, bytes, [16, 17, 18, 63, 64, 203], readerFrames);
    console.info(`reader parity, max abs diff per width: ${JSON.stringify(worst)}`);
  });
});

describe('a reader run directory (saveModel from @hcr/model)', () => {
  const dir = join(root, 'reader-run');
  beforeAll(async () => {
    const model = buildReader({ classes: C, seed: 7 });
    randomiseBatchNorms(model, 100);
    await saveModel(model, dir, readerMetadata());
  });

  it('exportModelFile names width and frames, writes hcr.reader, and verifyExport checks several widths', async () => {
    const { bytes, loaded, report } = await exportModelFile(dir);
    expect(report.inputs[0].shape).toEqual(['batch', 32, 'width', 1]);
    expect(report.outputs[0].shape).toEqual(['batch', 1, 'frames', C]);
    const props = Object.fromEntries(decodeModel(bytes).metadata_props.map((p) => [p.key, p.value]));
    expect(JSON.parse(props[ONNX_METADATA_KEYS.reader])).toEqual(readerInfo());
    expect(JSON.parse(props[ONNX_METADATA_KEYS.inputNormalisation])).toEqual(DEFAULT_INPUT_NORMALISATION);
    expect(JSON.parse(props[ONNX_METADATA_KEYS.metadata]).task).toBe('line');
    expect(JSON.parse(props[ONNX_METADATA_KEYS.preprocessing])).toMatchObject({
      task: 'line',
      input: { layout: 'NHWC', shape: ['N', 32, 'width', 1] },
      pixels: { ink: 'bright', mean: DEFAULT_INPUT_NORMALISATION.mean, std: DEFAULT_INPUT_NORMALISATION.std },
      line: { height: 32, margin: 3, minWidth: readerInfo().minWidth, stride: readerInfo().stride, blank: 0 },
    });
    const v = await verifyExport(loaded, bytes, { samples: 2 });
    expect(v.passed).toBe(true);
    expect(v.checks.map((c) => c.shape[2])).toEqual(VERIFY_SIZES.flatMap((w) => [w, w]));
    expect(v.checks.map((c) => c.optimization)).toEqual(VERIFY_SIZES.flatMap(() => ['all', 'disabled']));
    expect(v.checks[0].inputs).toBe('random 32x16x1');
    // sizes below the reader's minWidth are left out of the defaults; explicit sizes are used as given
    const narrow = await verifyExport(loaded, bytes, { samples: 1, sizes: [20] });
    expect(narrow.checks.map((c) => c.shape)).toEqual([
      [1, 32, 20, 1],
      [1, 32, 20, 1],
    ]);
    await expect(verifyExport(loaded, bytes, { sizes: [0] })).rejects.toMatchObject({ code: 'BAD_OPTION' });
    // channels-first input for runtimes that want it: [batch, 1, 32, width]
    const nchw = await exportModelFile(dir, { inputLayout: 'nchw' });
    expect(nchw.report.inputs[0].shape).toEqual(['batch', 1, 32, 'width']);
    const vn = await verifyExport(nchw.loaded, nchw.bytes, {
      samples: 2,
      sizes: [17, 64],
      inputLayout: 'nchw',
    });
    expect(vn.passed).toBe(true);
  });

  it('hcr export onnx <run-dir> reports parity per width and writes the reader', () => {
    const out = join(root, 'reader.onnx');
    const r = exportOnnxCli(dir, out, '--json', '--samples', '2', '--images', '0');
    expect(r.status, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.parity.passed).toBe(true);
    expect(json.parity.checks.map((c: { inputs: string }) => c.inputs)).toContain('random 32x203x1');
    const onnx = decodeModel(readFileSync(out));
    expect(dimsOf(onnx.graph.input[0])).toEqual(['batch', 32, 'width', 1]);
    expect(onnx.metadata_props.map((p) => p.key)).toContain(ONNX_METADATA_KEYS.reader);
  });

  it('reader metadata that does not fit the model is an error naming the fix', async () => {
    const meta = readerMetadata();
    const write = (m: unknown) => writeFileSync(join(dir, 'metadata.json'), JSON.stringify(m));
    try {
      write({ ...meta, reader: undefined });
      await expect(exportModelFile(dir)).rejects.toMatchObject({
        code: 'METADATA_INVALID',
        message: expect.stringContaining("no 'reader' entry"),
      });
      write({ ...meta, reader: { ...meta.reader, symbols: meta.reader?.symbols.slice(0, 40) } });
      await expect(exportModelFile(dir)).rejects.toMatchObject({
        code: 'METADATA_INVALID',
        message: expect.stringContaining(`${C} outputs per frame, but reader.symbols lists 40`),
      });
      write({ ...meta, reader: { ...meta.reader, height: 28 } });
      await expect(exportModelFile(dir)).rejects.toMatchObject({ code: 'METADATA_INVALID' });
    } finally {
      write(meta);
    }
  });
});

describe('bad options around symbolic dims', () => {
  const model = buildReader({ classes: C, seed: 1 });

  it('naming a fixed dimension, or too many names, is an error', () => {
    expect(() =>
      exportLayersModel(model, { dimNames: { inputs: [['batch', 'height', 'width', null]] } }),
    ).toThrow(
      expect.objectContaining({ code: 'BAD_DIM_NAMES', message: expect.stringContaining('fixed (32)') }),
    );
    expect(() =>
      exportLayersModel(model, { dimNames: { outputs: [['batch', null, 'frames', null, 'x']] } }),
    ).toThrow(expect.objectContaining({ code: 'BAD_DIM_NAMES' }));
    expect(() => exportLayersModel(model, { dimNames: { inputs: [[], []] } })).toThrow(
      expect.objectContaining({ code: 'BAD_DIM_NAMES' }),
    );
  });

  it('random inputs for an unknown width need a size', () => {
    expect(() => randomInputs([[null, 32, null, 1]], 1)).toThrow(
      expect.objectContaining({ code: 'UNKNOWN_INPUT_DIM' }),
    );
  });
});
