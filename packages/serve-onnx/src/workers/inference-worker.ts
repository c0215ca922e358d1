/**
 * Worker thread that owns onnxruntime sessions (one per model file: the character model, or each file of a line
 * reader's ensemble): float32 batches in, a model's first output out. onnxruntime runs synchronously on the
 * thread that calls it, so a server keeps its main thread for HTTP by calling it here instead. A line reader's
 * thread also decodes its lines (beam searches, ~0.5 ms a line), for the same reason.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { isHcrError } from '@hcr/core';
import * as ort from 'onnxruntime-node';
import { openSession, type SessionTuning } from '../onnx/session.js';
import { createLineDecoder, type DecodedLine, type LineDecoderData } from '../reader/decode-line.js';
import type { ReadOptions } from '../reader/read-options.js';

/** One model file and the names of its input and of the output returned. */
export interface ThreadModel {
  bytes: Uint8Array;
  inputName: string;
  outputName: string;
  /** What onnxruntime's load error calls it ('model', 'reader'). */
  what: string;
}
export interface InferenceWorkerData {
  models: ThreadModel[];
  tuning: SessionTuning;
  /** A line reader's: what decoding its lines here needs. */
  decoder?: LineDecoderData;
}
/** A batch for `models[model]`, or lines' reader outputs to decode under read options. */
export type InferenceRequest =
  | { id: number; model: number; x: Float32Array; dims: number[] }
  | { id: number; decode: { probs: Float32Array[]; options: ReadOptions } };
/** A model's own load error, handed back whole (an error thrown here reaches the caller as a plain Error). */
export type LoadFailure = { model: number; code: string; problem: string; hint?: string };
export type InferenceReply =
  | { id: number; y: Float32Array; dims: number[] }
  | { id: number; readings: DecodedLine[] }
  | { id: number; error: string }
  | { ready: true }
  | { loadFailed: LoadFailure };

const data = workerData as InferenceWorkerData;
const port = parentPort!;

/** The sessions, or undefined after posting the first model that onnxruntime cannot load. */
async function openAll(): Promise<ort.InferenceSession[] | undefined> {
  const sessions: ort.InferenceSession[] = [];
  for (const [model, m] of data.models.entries()) {
    try {
      sessions.push((await openSession(m.bytes, data.tuning, m.what)).session);
    } catch (e) {
      if (!isHcrError(e)) throw e; // not the model's fault: the thread fails to start
      port.postMessage({
        loadFailed: { model, code: e.code, problem: e.problem, hint: e.hint },
      } satisfies InferenceReply);
      for (const s of sessions) await s.release();
      return undefined;
    }
  }
  return sessions;
}

const sessions = await openAll();
// With no sessions there is no listener either, so the thread ends by itself.
if (sessions) serve(sessions);

function serve(sessions: ort.InferenceSession[]): void {
  const decode = data.decoder ? createLineDecoder(data.decoder) : undefined;
  port.on('message', async (request: InferenceRequest) => {
    const { id } = request;
    try {
      if ('decode' in request) {
        if (!decode) throw new Error('this thread has no line decoder');
        const readings = decode(request.decode.probs, request.decode.options);
        port.postMessage({ id, readings } satisfies InferenceReply);
        return;
      }
      const { model, x, dims } = request;
      const m = data.models[model]!;
      const out = await sessions[model]!.run({ [m.inputName]: new ort.Tensor('float32', x, dims) });
      const output = out[m.outputName]!;
      const probs = output.data as Float32Array;
      // Copied, not moved: moving onnxruntime's own output buffer costs ~15 us, copying a batch's
      // probabilities ~1 us (and a view would carry its whole buffer along).
      const y = probs.byteLength === probs.buffer.byteLength ? probs : probs.slice();
      port.postMessage({ id, y, dims: [...output.dims] } satisfies InferenceReply);
    } catch (e) {
      port.postMessage({ id, error: (e as Error)?.message ?? String(e) } satisfies InferenceReply);
    }
  });
  port.postMessage({ ready: true } satisfies InferenceReply);
}
