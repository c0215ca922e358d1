/**
 * Worker thread that owns one onnxruntime session: float32 batches in, the first output out. onnxruntime
 * runs synchronously on the thread that calls it, so a server keeps its main thread for HTTP by calling
 * it here instead.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { isHcrError } from '@hcr/core';
import * as ort from 'onnxruntime-node';
import { openSession, type SessionTuning } from '../onnx/session.js';

export interface InferenceWorkerData {
  model: Uint8Array;
  tuning: SessionTuning;
  inputName: string;
  outputName: string;
}
export type InferenceRequest = { id: number; x: Float32Array; dims: number[] };
/** The session's own load error, handed back whole: an error thrown here reaches the caller as a plain Error. */
export type LoadFailure = { code: string; problem: string; hint?: string };
export type InferenceReply =
  | { id: number; y: Float32Array }
  | { id: number; error: string }
  | { ready: true }
  | { loadFailed: LoadFailure };

const data = workerData as InferenceWorkerData;
const port = parentPort!;
const opened = await openSession(data.model, data.tuning, 'model').catch((e) => {
  if (!isHcrError(e)) throw e; // not the model's fault: the thread fails to start
  port.postMessage({
    loadFailed: { code: e.code, problem: e.problem, hint: e.hint },
  } satisfies InferenceReply);
  return undefined;
});
// With no session there is no listener either, so the thread ends by itself.
if (opened) serve(opened.session);

function serve(session: ort.InferenceSession): void {
  port.on('message', async ({ id, x, dims }: InferenceRequest) => {
    try {
      const out = await session.run({ [data.inputName]: new ort.Tensor('float32', x, dims) });
      const probs = out[data.outputName]!.data as Float32Array;
      // Copied, not moved: moving onnxruntime's own output buffer costs ~15 us, copying a batch's
      // probabilities ~1 us (and a view would carry its whole buffer along).
      const y = probs.byteLength === probs.buffer.byteLength ? probs : probs.slice();
      port.postMessage({ id, y } satisfies InferenceReply);
    } catch (e) {
      port.postMessage({ id, error: (e as Error)?.message ?? String(e) } satisfies InferenceReply);
    }
  });
  port.postMessage({ ready: true } satisfies InferenceReply);
}
