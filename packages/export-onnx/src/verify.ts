import * as tf from '@tensorflow/tfjs-core';
import type { LoadedModel } from './export.js';
import { checkParity, openSession, type ParityResult, randomInputs } from './parity.js';

export interface VerifyOptions {
  /** Largest acceptable |onnx - tfjs| (default 1e-4). */
  tolerance?: number;
  /** Random samples per check (default 32). */
  samples?: number;
  inputLayout?: 'nhwc' | 'nchw';
  /** Real inputs in TF layout (e.g. test images), [n, ...inputShape] for a single-input model. */
  realInputs?: { x: Float32Array; n: number; label: string };
}

export interface VerifyCheck extends ParityResult {
  /** `random` or the label of the real inputs. */
  inputs: string;
  samples: number;
  /** ORT graph optimisation level the check ran with. */
  optimization: 'all' | 'disabled';
  passed: boolean;
}

export interface VerifyResult {
  passed: boolean;
  tolerance: number;
  checks: VerifyCheck[];
}

/** TF-order shape of each model input (batch and unknown dims as null). */
export function inputShapesOf(loaded: LoadedModel): (number | null)[][] {
  if (loaded.format === 'layers-model') return loaded.model.inputs.map((t) => [...t.shape]);
  return loaded.model.inputs.map((t) => (t.shape ?? []).map((d, i) => (i === 0 || d < 0 ? null : d)));
}

/**
 * Check an exported model against its source: random inputs under ORT graph optimisations 'all' and
 * 'disabled' (both must load and agree), plus real inputs when given.
 */
export async function verifyExport(
  loaded: LoadedModel,
  bytes: Uint8Array,
  opts: VerifyOptions = {},
): Promise<VerifyResult> {
  const tolerance = opts.tolerance ?? 1e-4;
  const samples = opts.samples ?? 32;
  const shapes = inputShapesOf(loaded);
  const reference =
    loaded.format === 'layers-model'
      ? loaded.model
      : (xs: tf.Tensor[]) => loaded.model.execute(xs.length === 1 ? xs[0] : xs, loaded.model.outputNodes);
  const checks: VerifyCheck[] = [];
  const run = async (inputs: tf.Tensor[], label: string, optimization: 'all' | 'disabled') => {
    const session = await openSession(bytes, optimization);
    const r = await checkParity(session, reference, inputs, { inputLayout: opts.inputLayout });
    await session.release();
    checks.push({
      ...r,
      inputs: label,
      samples: inputs[0].shape[0] ?? 0,
      optimization,
      passed: r.maxAbsDiff <= tolerance,
    });
  };
  const random = randomInputs(shapes, samples, 1);
  try {
    await run(random, 'random', 'all');
    await run(random, 'random', 'disabled');
  } finally {
    tf.dispose(random);
  }
  if (opts.realInputs) {
    const { x, n, label } = opts.realInputs;
    const real = tf.tensor(x, [n, ...(shapes[0].slice(1) as number[])]);
    try {
      await run([real], label, 'all');
    } finally {
      real.dispose();
    }
  }
  return { passed: checks.every((c) => c.passed), tolerance, checks };
}
