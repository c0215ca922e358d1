import type { Worker } from 'node:worker_threads';
import { HcrError, moduleWorker } from '@hcr/core';
import type { SessionTuning } from '../onnx/session.js';
import type { InferenceReply, InferenceWorkerData } from './inference-worker.js';

/**
 * An onnxruntime session in its own worker thread: `run` sends a batch and resolves with the first output.
 * Runs are queued in the worker one at a time, like a session's own runs.
 */
export class InferenceThread {
  private readonly pending = new Map<
    number,
    { resolve: (y: Float32Array) => void; reject: (e: unknown) => void }
  >();
  private nextId = 1;
  private failed: Error | undefined;

  private constructor(private readonly worker: Worker) {
    worker.unref();
    worker.on('message', (msg: InferenceReply) => {
      if (!('id' in msg)) return;
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (this.pending.size === 0) worker.unref();
      if ('y' in msg) p.resolve(msg.y);
      else p.reject(new HcrError('MODEL_RUN_FAILED', `onnxruntime failed: ${msg.error}`));
    });
    const fail = (e: Error) => {
      this.failed ??= e;
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the inference thread exited (${code})`)));
  }

  /**
   * Opens the session in a new worker; resolves once it is loaded. A model onnxruntime cannot load fails with the
   * session's own error (MODEL_INVALID); a thread that cannot start is INFERENCE_THREAD_FAILED, not blamed on the model.
   */
  static async start(data: InferenceWorkerData & { tuning: SessionTuning }): Promise<InferenceThread> {
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
      throw new HcrError(
        'INFERENCE_THREAD_FAILED',
        `onnxruntime's worker thread did not start: ${(e as Error)?.message ?? e}`,
        {
          hint: 'The thread failed before onnxruntime read the model: fix what the message names, or run onnxruntime on the calling thread (inferenceThread: false).',
          cause: e,
        },
      );
    });
    stopListening();
    if ('loadFailed' in first) {
      await worker.terminate();
      const { code, problem, hint } = first.loadFailed;
      throw new HcrError(code, problem, { hint });
    }
    return new InferenceThread(worker);
  }

  run(x: Float32Array, dims: number[]): Promise<Float32Array> {
    if (this.failed) return Promise.reject(this.failed);
    const id = this.nextId++;
    return new Promise<Float32Array>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.ref();
      this.worker.postMessage({ id, x, dims }, [x.buffer as ArrayBuffer]);
    });
  }

  async close(): Promise<void> {
    this.failed ??= new Error('the inference thread is closed');
    await this.worker.terminate();
  }
}
