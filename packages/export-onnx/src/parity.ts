import { readFile } from 'node:fs/promises';
import { createRng, HcrError } from '@hcr/core';
import * as tf from '@tensorflow/tfjs-core';
import type * as ort from 'onnxruntime-node';
import { onnxRuntime } from './onnxruntime.js';

export interface ParityOptions {
  /** Layout the ONNX model expects (inputs are given in TF's NHWC order and transposed for ORT). */
  inputLayout?: 'nhwc' | 'nchw';
  /** ORT graph optimisation level (default 'all'). */
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
}

export interface ParityResult {
  /** Largest |onnx - tfjs| over every output element. */
  maxAbsDiff: number;
  /** Share of rows (last axis) whose argmax agrees, 0..1. */
  argmaxAgreement: number;
  rows: number;
  perOutput: { name: string; maxAbsDiff: number; argmaxAgreement: number }[];
}

/** What produces the reference outputs: a tfjs model or any function of the inputs. */
export type ReferenceModel =
  | { predict(x: tf.Tensor | tf.Tensor[]): tf.Tensor | tf.Tensor[] }
  | ((inputs: tf.Tensor[]) => tf.Tensor | tf.Tensor[]);

/** Open an ONNX model (bytes or path) in onnxruntime-node. */
export async function openSession(
  onnx: Uint8Array | string,
  level: ParityOptions['graphOptimizationLevel'] = 'all',
): Promise<ort.InferenceSession> {
  const what = typeof onnx === 'string' ? onnx : 'the ONNX bytes';
  const bytes =
    typeof onnx === 'string'
      ? await readFile(onnx).catch((e: Error) => {
          throw new HcrError('MODEL_NOT_FOUND', `Cannot read the ONNX model ${onnx}: ${e.message}.`, {
            hint: 'Pass the path of an .onnx file (`hcr export onnx` writes one) or its bytes.',
            cause: e,
          });
        })
      : onnx;
  const { InferenceSession } = await onnxRuntime();
  try {
    return await InferenceSession.create(bytes, { graphOptimizationLevel: level });
  } catch (e) {
    // onnxruntime's own message ("protobuf parsing failed") names neither the model nor a fix
    throw new HcrError('MODEL_INVALID', `onnxruntime cannot load ${what}: ${(e as Error).message}`, {
      hint: 'Pass a complete ONNX model (`hcr export onnx` writes one), or the level as disabled, basic, extended or all.',
      cause: e,
    });
  }
}

function toNchw(t: tf.Tensor): tf.Tensor {
  return t.rank >= 3
    ? tf.transpose(t, [0, t.rank - 1, ...Array.from({ length: t.rank - 2 }, (_, i) => i + 1)])
    : t;
}

/**
 * Run the ONNX model in onnxruntime-node and the source in tfjs on the same inputs (TF layout), and
 * compare every output.
 */
export async function checkParity(
  onnx: Uint8Array | string | ort.InferenceSession,
  reference: ReferenceModel,
  inputs: tf.Tensor[],
  opts: ParityOptions = {},
): Promise<ParityResult> {
  const session =
    typeof onnx === 'string' || onnx instanceof Uint8Array
      ? await openSession(onnx, opts.graphOptimizationLevel)
      : onnx;
  const { Tensor } = await onnxRuntime();
  const feeds: Record<string, ort.Tensor> = {};
  session.inputNames.forEach((name, i) => {
    const x = opts.inputLayout === 'nchw' ? toNchw(inputs[i]) : inputs[i];
    feeds[name] = new Tensor('float32', x.dataSync() as Float32Array, x.shape);
  });
  const ortOut = await session.run(feeds);
  const refRaw =
    typeof reference === 'function'
      ? reference(inputs)
      : reference.predict(inputs.length === 1 ? inputs[0] : inputs);
  const refs = Array.isArray(refRaw) ? refRaw : [refRaw];
  const perOutput = session.outputNames.map((name, i) => {
    const want = refs[i].dataSync() as Float32Array;
    const got = ortOut[name].data as Float32Array;
    if (got.length !== want.length) {
      throw new Error(
        `output '${name}': onnx has ${got.length} values (${ortOut[name].dims}), tfjs ${want.length} (${refs[i].shape})`,
      );
    }
    return { name, ...compare(got, want, refs[i].shape[refs[i].shape.length - 1] ?? 1) };
  });
  tf.dispose(refs);
  return {
    maxAbsDiff: Math.max(...perOutput.map((p) => p.maxAbsDiff)),
    argmaxAgreement: Math.min(...perOutput.map((p) => p.argmaxAgreement)),
    rows: perOutput.reduce((s, p) => s + p.rows, 0),
    perOutput: perOutput.map(({ name, maxAbsDiff, argmaxAgreement }) => ({
      name,
      maxAbsDiff,
      argmaxAgreement,
    })),
  };
}

function compare(got: Float32Array, want: Float32Array, rowLength: number) {
  let maxAbsDiff = 0;
  for (let i = 0; i < got.length; i++) {
    const d = Math.abs(got[i] - want[i]);
    // NaN on either side counts as infinitely different
    if (!(d <= maxAbsDiff)) maxAbsDiff = Number.isNaN(d) ? Number.POSITIVE_INFINITY : d;
  }
  const rows = Math.max(1, Math.floor(got.length / rowLength));
  let agree = 0;
  for (let r = 0; r < rows; r++) {
    if (argmax(got, r * rowLength, rowLength) === argmax(want, r * rowLength, rowLength)) agree++;
  }
  return { maxAbsDiff, argmaxAgreement: agree / rows, rows };
}

function argmax(a: Float32Array, off: number, n: number): number {
  let best = 0;
  for (let i = 1; i < n; i++) if (a[off + i] > a[off + best]) best = i;
  return best;
}

/** Deterministic uniform inputs in [lo, hi) (mulberry32), so a parity failure can be reproduced. */
export function randomInputs(
  shapes: (number | null)[][],
  batch: number,
  seed = 1,
  range: [number, number] = [-1, 1],
): tf.Tensor[] {
  const rng = createRng(seed);
  const next = rng.next;
  return shapes.map((shape) => {
    const dims = shape.map((d, i) => {
      if (i === 0) return batch;
      if (d === null || d < 0) {
        throw new HcrError(
          'UNKNOWN_INPUT_DIM',
          `Input shape [${shape.map((x) => x ?? 'null').join(', ')}] has an unknown dimension ${i}; random inputs need a size for it.`,
          { hint: 'Choose one with concreteShapes(shapes, size), e.g. a width for a line reader.' },
        );
      }
      return d;
    });
    const n = dims.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = range[0] + (range[1] - range[0]) * next();
    return tf.tensor(data, dims);
  });
}

/** `shapes` with every unknown dimension but the batch (dimension 0) set to `size`. */
export function concreteShapes(shapes: (number | null)[][], size: number): (number | null)[][] {
  return shapes.map((shape) => shape.map((d, i) => (i === 0 || (d !== null && d >= 0) ? d : size)));
}

/** True when some input has an unknown dimension besides the batch (e.g. a line reader's width). */
export function hasSymbolicDims(shapes: (number | null)[][]): boolean {
  return shapes.some((shape) => shape.some((d, i) => i > 0 && (d === null || d < 0)));
}
