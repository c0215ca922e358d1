import { HcrError, type LineReaderInfo, ONNX_METADATA_KEYS } from '@hcr/core';
import { type EngineName, initEngine } from '@hcr/engine';
import { loadLayersModelFile } from '@hcr/export-onnx';
import * as tf from '@tensorflow/tfjs-core';
import * as ort from 'onnxruntime-node';
import type { ModelRun } from '../model-files.js';
import { onnxRuntimeDescription, openOnnxSession, readExportedOnnx } from '../runtimes/onnx.js';
import type { RuntimeName } from '../runtimes/predictor.js';
import { predictFlat } from '../runtimes/tfjs.js';

/** A loaded line reader: a padded batch of normalised lines in, CTC probabilities out. */
export interface LineRuntime {
  runtime: RuntimeName;
  /** What ran, e.g. `tfjs 4.22.0 (wasm)`; recorded in lines.json. */
  description: string;
  /** Readers whose outputs it stacks (an ensemble; absent: 1). */
  members?: number;
  /** Flat Float32 [n, height, width, 1] in; flat [n, members, frames(width), symbols] probabilities out. */
  predict(x: Float32Array, n: number, width: number): Promise<Float32Array>;
  dispose(): Promise<void>;
}

/**
 * Several readers of one runtime as one: their outputs stacked on axis 1, [n, members, frames, symbols]
 * (each reader's own output has 1 there), for decodeCtcEnsemble. The members must share the alphabet, the
 * input height, the frame stride and the normalisation (checked by the caller).
 */
export function ensembleLineRuntime(members: readonly LineRuntime[]): LineRuntime {
  const M = members.length;
  return {
    runtime: members[0]!.runtime,
    description: `${members[0]!.description}, ${M} readers`,
    members: M,
    async predict(x, n, width) {
      const outs = [];
      for (const rt of members) outs.push(await rt.predict(x, n, width));
      const per = outs[0]!.length / n; // frames x symbols of one line
      const stacked = new Float32Array(n * M * per);
      for (let b = 0; b < n; b++)
        for (let m = 0; m < M; m++) stacked.set(outs[m]!.subarray(b * per, (b + 1) * per), (b * M + m) * per);
      return stacked;
    },
    async dispose() {
      for (const rt of members) await rt.dispose();
    },
  };
}

/** The reader geometry a run's metadata.json declares (checked by resolveReaderRun). */
export function readerInfo(run: ModelRun): LineReaderInfo {
  const info = run.metadata.reader;
  if (run.metadata.task !== 'line' || !info)
    throw new HcrError('MODEL_NOT_READER', `${run.dir} holds a character model, not a line reader.`, {
      hint: 'Evaluate it with `hcr eval` as a character model, or pass a reader run (metadata task "line").',
    });
  return info;
}

/** The saved reader on a tfjs engine; its input and output shapes are checked against metadata.json. */
export async function tfjsLineRuntime(
  run: ModelRun,
  { engine = 'wasm', log }: { engine?: EngineName; log?: (line: string) => void } = {},
): Promise<LineRuntime> {
  const info = readerInfo(run);
  const engineInfo = await initEngine({ engine, purpose: 'infer', log: log ?? (() => {}) });
  const { model } = await loadLayersModelFile(run.dir);
  const input = model.inputs[0]!.shape;
  const output = model.outputs[0]!.shape;
  const fix = {
    hint: 'model.json and metadata.json come from different models; re-train, or evaluate the directory they came from.',
  };
  if (input.length !== 4 || input[1] !== info.height || input[3] !== 1)
    throw new HcrError(
      'MODEL_INPUT_MISMATCH',
      `The model in ${run.dir} takes input [${input.join(', ')}]; a reader of height ${info.height} takes [n, ${info.height}, width, 1].`,
      fix,
    );
  if (output.length !== 4 || output[3] !== info.symbols.length)
    throw new HcrError(
      'MODEL_CLASSES_MISMATCH',
      `The model in ${run.dir} outputs [${output.join(', ')}]; metadata.json names ${info.symbols.length} symbols per frame.`,
      fix,
    );
  return {
    runtime: 'tfjs',
    description: `tfjs ${tf.version_core} (${engineInfo.name})`,
    predict: (x, n, width) => predictFlat(model, x, [n, info.height, width, 1]),
    async dispose() {
      model.dispose();
    },
  };
}

/**
 * onnxruntime-node on the exported reader (default `<modelDir>/model.onnx`). Refuses a file exported from
 * another model, or whose alphabet (metadata `hcr.reader`) or output size differs from metadata.json.
 */
export async function onnxLineRuntime(run: ModelRun, { file }: { file?: string } = {}): Promise<LineRuntime> {
  const info = readerInfo(run);
  const { path, bytes, props, reexport } = await readExportedOnnx(run, file);
  const readerProp = props[ONNX_METADATA_KEYS.reader];
  if (readerProp !== undefined) {
    const symbols = (JSON.parse(readerProp) as LineReaderInfo).symbols;
    if (JSON.stringify(symbols) !== JSON.stringify(info.symbols))
      throw new HcrError(
        'MODEL_CLASSES_MISMATCH',
        `${path} reads another alphabet than metadata.json.`,
        reexport,
      );
  }
  const session = await openOnnxSession(bytes, path, reexport);
  const inputName = session.inputNames[0]!;
  const outputName = session.outputNames[0]!;
  const outMeta = session.outputMetadata[0];
  if (outMeta?.isTensor) {
    const last = outMeta.shape[outMeta.shape.length - 1];
    if (typeof last === 'number' && last !== info.symbols.length)
      throw new HcrError(
        'MODEL_CLASSES_MISMATCH',
        `${path} outputs ${last} values per frame; metadata.json names ${info.symbols.length} symbols.`,
        reexport,
      );
  }
  return {
    runtime: 'onnx',
    description: onnxRuntimeDescription(),
    async predict(x, n, width) {
      const feeds = { [inputName]: new ort.Tensor('float32', x, [n, info.height, width, 1]) };
      const result = await session.run(feeds);
      return result[outputName]!.data as Float32Array;
    },
    async dispose() {
      await session.release();
    },
  };
}
