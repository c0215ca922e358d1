import type { Worker } from 'node:worker_threads';
import { HcrError, moduleWorker } from '@hcr/core';
import type { SessionTuning } from '../onnx/session.js';
import type { DecodedLine } from '../reader/decode-line.js';
import type { ReadOptions } from '../reader/read-options.js';
import type {
  InferenceReply,
  InferenceRequest,
  InferenceWorkerData,
  LoadFailure,
} from './inference-worker.js';

type StartData = InferenceWorkerData & { tuning: SessionTuning };

/** A model's output for one batch: its values and their shape. */
export interface ThreadOutput {
  data: Float32Array;
  dims: number[];
}

/**
 * onnxruntime sessions (one per model file) in their own worker thread: `run` sends a batch for one of them and
 * resolves with its first output. Runs are queued in the worker one at a time, like a session's own runs. A thread
 * that stops (it crashed, ran out of memory) fails the batches it held with INFERENCE_THREAD_FAILED, and the next
 * run starts a new one: a server keeps reading instead of failing every request after.
 */
export class InferenceThread {
  private readonly pending = new Map<
    number,
    { resolve: (y: ThreadOutput | DecodedLine[]) => void; reject: (e: unknown) => void; decoding: boolean }
  >();
  private nextId = 1;
  private closed = false;
  /** The running thread; undefined after it stopped, until a run starts the next. */
  private worker: Worker | undefined;
  private starting: Promise<Worker> | undefined;

  private constructor(
    private readonly data: StartData,
    worker: Worker,
  ) {
    this.adopt(worker);
  }

  /**
   * Opens the sessions in a new worker (and a line reader's decoder, its word lists compiled); resolves once they
   * are loaded. A model onnxruntime cannot load fails with the session's own error (MODEL_INVALID), a
   * ModelLoadError naming which of `models` it is; word lists that cannot be compiled fail with compileLexicons'
   * error; a thread that cannot start is INFERENCE_THREAD_FAILED, not blamed on a model.
   */
  static async start(data: StartData): Promise<InferenceThread> {
    return new InferenceThread(data, await boot(data));
  }

  /**
   * Runs one batch of `models[model]` (x's buffer moves to the thread): on the running thread, or on a new one if
   * the last stopped.
   */
  run(x: Float32Array, dims: number[], model = 0): Promise<ThreadOutput> {
    return this.send((id) => ({ id, model, x, dims }), [x.buffer as ArrayBuffer]) as Promise<ThreadOutput>;
  }

  /**
   * Decodes lines' reader outputs under `options` (a line reader's thread, started with `decoder`); the outputs
   * are copied to the thread, the caller keeps its own.
   */
  decode(probs: readonly Float32Array[], options: ReadOptions): Promise<DecodedLine[]> {
    return this.send((id) => ({ id, decode: { probs: [...probs], options } })) as Promise<DecodedLine[]>;
  }

  /** Posts one request to the running thread (or a new one if the last stopped) and waits for its reply. */
  private async send(
    request: (id: number) => InferenceRequest,
    transfer: ArrayBuffer[] = [],
  ): Promise<ThreadOutput | DecodedLine[]> {
    if (this.closed) throw new Error('the inference thread is closed');
    const worker = this.worker ?? (await this.restart());
    const id = this.nextId++;
    const message = request(id);
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, decoding: 'decode' in message });
      worker.ref();
      worker.postMessage(message, transfer);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.starting?.catch(() => undefined);
    await this.worker?.terminate();
  }

  /**
   * One start for every run that finds the thread stopped; a start that fails fails those runs, and the next run
   * tries again.
   */
  private async restart(): Promise<Worker> {
    this.starting ??= boot(this.data)
      .then(async (worker) => {
        if (this.closed) {
          await worker.terminate();
          throw new Error('the inference thread is closed');
        }
        this.adopt(worker);
        return worker;
      })
      .finally(() => {
        this.starting = undefined;
      });
    const worker = await this.starting;
    if (this.worker !== worker) throw stoppedError('it stopped as soon as it started');
    return worker;
  }

  private adopt(worker: Worker): void {
    this.worker = worker;
    worker.unref();
    worker.on('message', (msg: InferenceReply) => {
      if (!('id' in msg)) return;
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (this.pending.size === 0) worker.unref();
      if ('y' in msg) p.resolve({ data: msg.y, dims: msg.dims });
      else if ('readings' in msg) p.resolve(msg.readings);
      // options were checked on the calling thread, so a decoding that fails here is hcr's bug, not the request's
      else if (p.decoding) p.reject(new Error(`decoding lines in the reader's thread failed: ${msg.error}`));
      else p.reject(new HcrError('MODEL_RUN_FAILED', `onnxruntime failed: ${msg.error}`));
    });
    const stopped = (why: string) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      const e = this.closed ? new Error('the inference thread is closed') : stoppedError(why);
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
    worker.on('error', (e) => stopped(e.message));
    worker.on('exit', (code) => stopped(`exit code ${code}`));
  }
}

/** A model's load error from the thread, as its session would have thrown it here, with which model it was. */
export class ModelLoadError extends HcrError {
  readonly model: number;
  constructor({ model, code, problem, hint }: LoadFailure) {
    super(code, problem, { hint });
    this.model = model;
  }
}

function stoppedError(why: string): HcrError {
  return new HcrError(
    'INFERENCE_THREAD_FAILED',
    `onnxruntime's worker thread stopped (${why}) while reading.`,
    {
      hint: 'Send the request again: the next one starts a new thread.',
    },
  );
}

/** A new worker with the session loaded (see InferenceThread.start for its errors). */
async function boot(data: StartData): Promise<Worker> {
  const worker = moduleWorker(import.meta.url, 'inference-worker', { workerData: data });
  let stopListening = () => {};
  const first = await new Promise<InferenceReply>((resolve, reject) => {
    const exited = (code: number) =>
      reject(new Error(`it exited (code ${code}) before the model was loaded`));
    worker.on('message', resolve).on('error', reject).on('exit', exited);
    // Only ours: a Worker has listeners of its own (they ref its port while 'message' has listeners).
    stopListening = () => worker.off('message', resolve).off('error', reject).off('exit', exited);
  }).catch(async (e) => {
    await worker.terminate();
    const what = data.models[0]?.what ?? 'model';
    throw new HcrError(
      'INFERENCE_THREAD_FAILED',
      `onnxruntime's worker thread for the ${what} did not start: ${(e as Error)?.message ?? e}`,
      {
        hint: `The thread failed before onnxruntime read the ${what}: fix what the message names, or run onnxruntime on the calling thread (inferenceThread: false).`,
        // which thread, for a front end that words the fix in its own options
        details: { what },
        cause: e,
      },
    );
  });
  stopListening();
  if ('loadFailed' in first) {
    await worker.terminate();
    throw new ModelLoadError(first.loadFailed);
  }
  if ('decoderFailed' in first) {
    await worker.terminate();
    const { code, problem, hint } = first.decoderFailed;
    throw new HcrError(code, problem, { hint });
  }
  return worker;
}
