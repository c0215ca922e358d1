import { HcrError } from '@hcr/core';
import * as tf from '@tensorflow/tfjs-core';
import type { LoadedModel } from './export.js';
import {
  checkParity,
  concreteShapes,
  hasSymbolicDims,
  openSession,
  type ParityResult,
  randomInputs,
} from './parity.js';

/**
 * Sizes tried for unknown input dims (a line reader's width): odd and even, every remainder mod 4 (the
 * reader pools width by 2 twice, flooring), from the narrowest line to a long one.
 */
export const VERIFY_SIZES: readonly number[] = Object.freeze([16, 17, 18, 63, 64, 203]);

export interface VerifyOptions {
  /** Largest acceptable |onnx - tfjs| (default 1e-4). */
  tolerance?: number;
  /** Random samples per check (default 32). */
  samples?: number;
  /**
   * Concrete sizes for the unknown non-batch input dims (e.g. a line reader's width): the random checks
   * run once per size. Default VERIFY_SIZES, those below a reader's `minWidth` left out. Ignored when
   * every input dim but the batch is fixed.
   */
  sizes?: readonly number[];
  inputLayout?: 'nhwc' | 'nchw';
  /** Real inputs in TF layout (e.g. test images), [n, ...inputShape] for a single-input model. */
  realInputs?: { x: Float32Array; n: number; label: string };
}

export interface VerifyCheck extends ParityResult {
  /** `random`, `random 32x63x1` (the concrete input shape, when some dims are unknown) or the real inputs' label. */
  inputs: string;
  samples: number;
  /** TF-order shape of the (first) input, batch included, the check ran on. */
  shape: number[];
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
  checkVerifyOptions(loaded, opts);
  const tolerance = opts.tolerance ?? 1e-4;
  const samples = opts.samples ?? 32;
  const shapes = inputShapesOf(loaded);
  const reference =
    loaded.format === 'layers-model'
      ? loaded.model
      : (xs: tf.Tensor[]) => loaded.model.execute(xs.length === 1 ? xs[0] : xs, loaded.model.outputNodes);
  const checks: VerifyCheck[] = [];
  const run = async (inputs: tf.Tensor[], label: string, levels: ('all' | 'disabled')[]) => {
    // tfjs runs once per input set; each ORT optimisation level is compared with the same outputs
    const want = tfjsReference(label, () =>
      tf.tidy(() => {
        const out = typeof reference === 'function' ? reference(inputs) : reference.predict(one(inputs));
        return Array.isArray(out) ? out : [out];
      }),
    );
    try {
      assertFiniteReference(want, label);
      for (const optimization of levels) {
        const where = `the ${label} inputs [${inputs[0].shape.join(', ')}], ORT optimisations ${optimization}`;
        const r = await ortParity(where, async () => {
          const session = await openSession(bytes, optimization);
          try {
            return await checkParity(session, () => want.map((t) => t.clone()), inputs, {
              inputLayout: opts.inputLayout,
            });
          } finally {
            await session.release();
          }
        });
        checks.push({
          ...r,
          inputs: label,
          samples: inputs[0].shape[0] ?? 0,
          shape: [...inputs[0].shape],
          optimization,
          passed: r.maxAbsDiff <= tolerance,
        });
      }
    } finally {
      tf.dispose(want);
    }
  };
  const symbolic = hasSymbolicDims(shapes);
  const sizes = symbolic ? checkSizes(opts.sizes ?? defaultSizes(loaded)) : [0];
  for (const size of sizes) {
    const concrete = symbolic ? concreteShapes(shapes, size) : shapes;
    const random = randomInputs(concrete, samples, 1);
    const label = symbolic ? `random ${concrete[0].slice(1).join('x')}` : 'random';
    try {
      await run(random, label, ['all', 'disabled']);
    } finally {
      tf.dispose(random);
    }
  }
  if (opts.realInputs) {
    const { x, n, label } = opts.realInputs;
    const real = tf.tensor(x, [n, ...(shapes[0].slice(1) as number[])]);
    try {
      await run([real], label, ['all']);
    } finally {
      real.dispose();
    }
  }
  return { passed: checks.every((c) => c.passed), tolerance, checks };
}

/** tfjs failing to run the source model (e.g. a causal Conv1D, which tfjs 4.22 cannot run) leaves nothing to check. */
function tfjsReference(label: string, run: () => tf.Tensor[]): tf.Tensor[] {
  try {
    return run();
  } catch (e) {
    if (e instanceof HcrError) throw e;
    throw new HcrError(
      'MODEL_RUN_FAILED',
      `tfjs itself cannot run the model on the ${label} inputs (${(e as Error).message ?? String(e)}), so there is nothing to check the ONNX model against; nothing was written.`,
      {
        hint: 'exportModelFile / exportLayersModel (the API) export it without this check: compare the ONNX model with another reference, e.g. the Keras model it came from.',
        cause: e,
      },
    );
  }
}

/**
 * onnxruntime refusing the exported model (it cannot load it, a broadcast fails at run time, an output has
 * another size than tfjs') gives no figures to compare: an exporter bug, reported as a failed check
 * (PARITY_FAILED, exit code 2) rather than onnxruntime's raw message.
 */
async function ortParity(where: string, check: () => Promise<ParityResult>): Promise<ParityResult> {
  try {
    return await check();
  } catch (e) {
    // onnxruntime-node missing: its own error says what to install; a model it cannot load is ours to report
    if (e instanceof HcrError && e.code !== 'MODEL_INVALID') throw e;
    const cause = e instanceof HcrError ? e.cause : e;
    const msg = ((cause as Error)?.message ?? String(cause)).trim();
    throw new HcrError(
      'PARITY_FAILED',
      `onnxruntime cannot run the exported model on ${where} (${msg}), so it cannot be checked against tfjs; nothing was written.`,
      {
        hint: 'This is an exporter bug: report the model (its model.json, or the layer named in the message). --force does not apply, as there is no difference to accept.',
        exitCode: 2,
        cause: e,
      },
    );
  }
}

/**
 * tfjs' own NaN/Infinity would read as an infinite ONNX difference, i.e. an exporter bug; it is the source model
 * that is broken (damaged or diverged weights, or a graph undefined on these inputs), so say that instead.
 */
function assertFiniteReference(outputs: tf.Tensor[], label: string): void {
  let bad = 0;
  let total = 0;
  for (const t of outputs) {
    const v = t.dataSync();
    total += v.length;
    for (let i = 0; i < v.length; i++) if (!Number.isFinite(v[i]!)) bad++;
  }
  if (bad === 0) return;
  throw new HcrError(
    'MODEL_OUTPUT_NOT_FINITE',
    `The model itself (in tfjs) outputs NaN or Infinity for ${bad} of ${total} values on the ${label} inputs, so there is nothing to check the ONNX model against; nothing was written.`,
    {
      hint: "Its weights are damaged or its training diverged: restore them from the model's own save (an hcr run: its training directory or checkpoint), or re-train (`hcr train`, with a lower learning rate if it diverged). A graph undefined on inputs in [-1, 1] (e.g. the log of a negative number) cannot be checked on random inputs.",
    },
  );
}

function one(xs: tf.Tensor[]): tf.Tensor | tf.Tensor[] {
  return xs.length === 1 ? xs[0] : xs;
}

function defaultSizes(loaded: LoadedModel): readonly number[] {
  const min = loaded.metadata?.task === 'line' ? (loaded.metadata.reader?.minWidth ?? 1) : 1;
  const sizes = VERIFY_SIZES.filter((s) => s >= min);
  return sizes.length ? sizes : [min];
}

/** Most random samples a check runs (each is one input of the model, in tfjs and in onnxruntime). */
const MAX_VERIFY_SAMPLES = 4096;

/**
 * The options, before any work: a NaN tolerance failed every check in silence (|diff| <= NaN is false),
 * samples 0 was reported as tfjs failing to run the model, a negative count or real inputs of the wrong
 * size came out as tfjs RangeErrors.
 */
function checkVerifyOptions(loaded: LoadedModel, opts: VerifyOptions): void {
  const bad = (problem: string, hint: string): never => {
    throw new HcrError('BAD_OPTION', `verifyExport: ${problem}.`, { hint });
  };
  if (loaded?.format !== 'layers-model' && loaded?.format !== 'graph-model')
    bad(
      `the model is ${loaded === null || typeof loaded !== 'object' ? String(loaded) : 'not a LoadedModel'}`,
      'Pass what loadTfjsModel(path) returns (or the `loaded` of exportModelFile).',
    );
  if (typeof opts !== 'object' || opts === null)
    bad(`the options are ${String(opts)}`, 'Pass an object such as { tolerance: 1e-4 }, or leave it out.');
  const { tolerance, samples, realInputs } = opts;
  if (tolerance !== undefined && !(typeof tolerance === 'number' && tolerance >= 0 && tolerance < Infinity))
    bad(`tolerance ${String(tolerance)} is not a number >= 0`, 'Pass e.g. tolerance: 1e-4 (the default).');
  if (samples !== undefined && !(Number.isInteger(samples) && samples >= 1 && samples <= MAX_VERIFY_SAMPLES))
    bad(
      `samples ${String(samples)} is not an integer from 1 to ${MAX_VERIFY_SAMPLES}`,
      'Pass e.g. samples: 32 (the default).',
    );
  if (realInputs !== undefined) {
    const shape = inputShapesOf(loaded)[0]?.slice(1) ?? [];
    const size = shape.reduce<number>((a, d) => a * (d ?? Number.NaN), 1);
    const { x, n } = realInputs;
    if (!(x instanceof Float32Array) || !Number.isInteger(n) || n < 1 || x.length !== n * size)
      bad(
        `realInputs holds ${x instanceof Float32Array ? `${x.length} values` : 'no Float32Array'} for n = ${String(n)} inputs of [${shape.map((d) => d ?? '?').join(', ')}]${Number.isNaN(size) ? ' (an input of unknown size)' : ` (${Number.isInteger(n) ? n * size : '?'} values)`}`,
        'Pass { x, n, label } with x a Float32Array of n inputs in TF layout, one after another.',
      );
  }
}

function checkSizes(sizes: readonly number[]): readonly number[] {
  if (sizes.length === 0 || sizes.some((s) => !Number.isInteger(s) || s <= 0)) {
    throw new HcrError(
      'BAD_OPTION',
      `Sizes for unknown input dimensions must be positive integers, not [${sizes.join(', ')}].`,
      { hint: `Give one or more widths, e.g. ${VERIFY_SIZES.join(',')}.` },
    );
  }
  return sizes;
}
