import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HcrError, ONNX_METADATA_KEYS } from '@hcr/core';
import * as ort from 'onnxruntime-node';
import type { ModelRun } from '../model-files.js';
import { checkExportedFrom, readOnnxMetadataProps } from '../onnx-metadata.js';
import type { Predictor } from './predictor.js';

export const ONNX_FILE = 'model.onnx';

/** What ran, for reports: `onnxruntime-node <version> (cpu)`. */
export function onnxRuntimeDescription(): string {
  return `onnxruntime-node ${ort.env.versions.common ?? ''} (cpu)`.replace('  ', ' ');
}

/**
 * The exported ONNX file of a run (default `<modelDir>/model.onnx`), its metadata props, checked to come from
 * this run (a stale export is never scored as the model), and the hint that names the fix for any later check.
 */
export async function readExportedOnnx(
  run: ModelRun,
  file?: string,
): Promise<{ path: string; bytes: Uint8Array; props: Record<string, string>; reexport: { hint: string } }> {
  const path = file ?? join(run.dir, ONNX_FILE);
  const bytes = await readFile(path).catch(() => {
    throw new HcrError('ONNX_MISSING', `No ONNX model at ${path}.`, {
      hint: `Export it first: \`pnpm hcr export onnx ${run.dir}\` (or evaluate with --runtime tfjs).`,
    });
  });
  const reexport = { hint: `Re-export it: \`pnpm hcr export onnx ${run.dir}\`.` };
  const props = readOnnxBytes(path, () => readOnnxMetadataProps(bytes), {
    hint: `Re-export it (\`pnpm hcr export onnx ${run.dir}\`), or evaluate with --runtime tfjs.`,
  });
  checkExportedFrom(props, run.metadata, path, reexport);
  return { path, bytes, props, reexport };
}

/** `decode()` of a file's bytes; a protobuf decoder's bare "index out of range" becomes MODEL_INVALID naming the file. */
function readOnnxBytes<T>(path: string, decode: () => T, fix: { hint: string }): T {
  try {
    return decode();
  } catch (e) {
    if (e instanceof HcrError) throw e;
    throw new HcrError(
      'MODEL_INVALID',
      `${path} cannot be decoded as an ONNX model (${(e as Error).message}): the file is damaged or cut short.`,
      fix,
    );
  }
}

/** An onnxruntime session on `bytes` read from `path`; a file onnxruntime refuses is MODEL_INVALID naming it. */
export async function openOnnxSession(
  bytes: Uint8Array,
  path: string,
  fix: { hint: string },
): Promise<ort.InferenceSession> {
  try {
    return await ort.InferenceSession.create(bytes);
  } catch (e) {
    throw new HcrError(
      'MODEL_INVALID',
      `onnxruntime cannot load ${path} (${(e as Error).message.split('\n')[0]}): the file is damaged, cut short or not an ONNX model.`,
      fix,
    );
  }
}

/**
 * onnxruntime-node on the exported model (default `<modelDir>/model.onnx`). Refuses a file whose shapes
 * or embedded model id do not match the run, so a stale export is never scored as this model.
 */
export async function onnxPredictor(run: ModelRun, { file }: { file?: string } = {}): Promise<Predictor> {
  const { path, bytes, props, reexport } = await readExportedOnnx(run, file);
  const names = props[ONNX_METADATA_KEYS.classNames];
  if (names !== undefined && JSON.parse(names).join('') !== run.metadata.classNames.join(''))
    throw new HcrError(
      'MODEL_CLASSES_MISMATCH',
      `${path} names classes ${names}, metadata.json does not.`,
      reexport,
    );

  // The runtimes apply metadata.json's calibration; serving applies the ONNX file's: they must agree.
  const stamped = props[ONNX_METADATA_KEYS.calibration];
  const expected = run.metadata.calibration;
  const temps = (c: unknown) =>
    JSON.stringify((c as { temperatures?: unknown } | undefined)?.temperatures ?? null);
  if (temps(stamped === undefined ? undefined : JSON.parse(stamped)) !== temps(expected))
    throw new HcrError(
      'ONNX_STALE',
      `${path} carries ${stamped === undefined ? 'no calibration' : 'another calibration'}; metadata.json ${expected ? 'has one' : 'has none'}, so serving would report other confidences than eval.`,
      {
        hint: `Re-export it (\`pnpm hcr export onnx ${run.dir}\`), or run \`pnpm hcr calibrate ${run.dir}\`, which updates both.`,
      },
    );

  const session = await openOnnxSession(bytes, path, reexport);
  const inputName = session.inputNames[0]!;
  const outputName = session.outputNames[0]!;
  const inMeta = session.inputMetadata[0];
  const outMeta = session.outputMetadata[0];
  const { inputShape, classNames } = run.metadata;
  if (inMeta?.isTensor) {
    const dims = inMeta.shape.slice(1);
    if (dims.length !== 3 || dims.some((d, i) => typeof d === 'number' && d !== inputShape[i]))
      throw new HcrError(
        'MODEL_INPUT_MISMATCH',
        `${path} takes input [${inMeta.shape.join(', ')}]; metadata.json says [N, ${inputShape.join(', ')}].`,
        reexport,
      );
  }
  if (outMeta?.isTensor) {
    const last = outMeta.shape[outMeta.shape.length - 1];
    if (typeof last === 'number' && last !== classNames.length)
      throw new HcrError(
        'MODEL_CLASSES_MISMATCH',
        `${path} outputs ${last} values per image; metadata.json names ${classNames.length} classes.`,
        reexport,
      );
  }
  const [h, w, c] = inputShape;
  return {
    runtime: 'onnx',
    description: onnxRuntimeDescription(),
    async predict(x, n) {
      const feeds = { [inputName]: new ort.Tensor('float32', x, [n, h, w, c]) };
      const result = await session.run(feeds);
      const out = result[outputName]!;
      return out.data as Float32Array;
    },
    async dispose() {
      await session.release();
    },
  };
}
