import { availableParallelism } from 'node:os';
import { HcrError } from '@hcr/core';
import { IMAGE_FORMATS_TEXT } from '@hcr/image/decode';

/**
 * What a recogniser or line reader needs to close safely: calls made after close() fail with CLOSED (not
 * onnxruntime's bare "Session already disposed."), close() waits for the calls already running before it
 * releases the sessions, and a second close() is the first one's promise.
 */
export interface Lifecycle {
  /** fn(), unless closed; counted until it settles, so close() waits for it. */
  run<T>(fn: () => Promise<T>): Promise<T>;
  /** Refuses new calls, waits for the running ones, then release() (once, however often it is called). */
  close(release: () => Promise<void>): Promise<void>;
}

/** `what` names the object in the error (`recognizer`), `create` the function that makes another. */
export function lifecycle(what: string, create: string): Lifecycle {
  let closing: Promise<void> | undefined;
  const running = new Set<Promise<unknown>>();
  return {
    run<T>(fn: () => Promise<T>): Promise<T> {
      if (closing)
        return Promise.reject(
          new HcrError('CLOSED', `This ${what} is closed: close() released its model.`, {
            hint: `Call close() only when done with it, or make another with ${create}.`,
          }),
        );
      const p = fn();
      running.add(p);
      const done = () => running.delete(p);
      p.then(done, done);
      return p;
    },
    close(release: () => Promise<void>): Promise<void> {
      closing ??= Promise.allSettled([...running]).then(release);
      return closing;
    },
  };
}

/** BAD_INPUT for an input that is not an object (a file name given for its bytes, null). */
export function notAnInput(input: unknown): HcrError {
  const what = typeof input === 'string' ? `the string '${input.slice(0, 80)}'` : String(input);
  return new HcrError('BAD_INPUT', `An input is ${what}, not an image.`, {
    hint: `Pass the image file's bytes (await readFile(path), ${IMAGE_FORMATS_TEXT}), { image: bytes } or pixel values; a path is not read.`,
  });
}

/** `code` (MODEL_MISSING, READER_MISSING) when `create({ model })` was given neither a path nor bytes. */
export function checkModelOption(model: unknown, create: string, code: string, several = false): void {
  const one = (m: unknown) => typeof m === 'string' || m instanceof Uint8Array;
  if (one(model) || (several && Array.isArray(model) && model.every(one))) return;
  const got =
    model === undefined
      ? 'no model'
      : `model: ${typeof model === 'object' && model !== null ? 'an object' : String(model)}`;
  throw new HcrError(code, `${create} was given ${got}, not a path to an ONNX file or its bytes.`, {
    hint: `Pass ${create}({ model: 'path/to/model.onnx' }) or the file's bytes as a Uint8Array${several ? ' (or a list of them for an ensemble)' : ''}.`,
  });
}

const LEVELS = ['disabled', 'basic', 'extended', 'all'];

/**
 * The onnxruntime settings, before a session is opened: a negative thread count was reported as a model to
 * re-export, and intraOpThreads: 1e6 had onnxruntime start threads for minutes.
 */
export function checkTuning(opts: {
  intraOpThreads?: unknown;
  interOpThreads?: unknown;
  graphOptimizationLevel?: unknown;
}): void {
  const max = Math.max(64, availableParallelism());
  for (const name of ['intraOpThreads', 'interOpThreads'] as const) {
    const v = opts[name];
    if (v !== undefined && !(Number.isInteger(v) && (v as number) >= 1 && (v as number) <= max))
      throw new HcrError('BAD_OPTION', `${name} must be a whole number from 1 to ${max}, got ${String(v)}.`, {
        hint: `Leave it out (${name === 'intraOpThreads' ? 'all cores' : '1'}) or pass at most the cores of the machine (${availableParallelism()}).`,
      });
  }
  const level = opts.graphOptimizationLevel;
  if (level !== undefined && !LEVELS.includes(level as string))
    throw new HcrError(
      'BAD_OPTION',
      `graphOptimizationLevel must be one of ${LEVELS.join(', ')}, got ${String(level)}.`,
      {
        hint: "Leave it out ('all', the default) or pass one of those.",
      },
    );
}
