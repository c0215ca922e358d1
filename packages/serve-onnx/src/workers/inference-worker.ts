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
/** An HcrError of starting, handed back whole (an error thrown here reaches the caller as a plain Error). */
export type StartFailure = { code: string; problem: string; hint?: string };
/** A model's own load error, with which of `models` it was. */
export type LoadFailure = StartFailure & { model: number };
export type InferenceReply =
  | { id: number; y: Float32Array; dims: number[] }
  | { id: number; readings: DecodedLine[] }
  | { id: number; error: string }
  | { ready: true }
  | { loadFailed: LoadFailure }
  /** The decoder's word lists could not be compiled (LEXICON_EMPTY: none of a list's words in the alphabet). */
  | { decoderFailed: StartFailure };

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

type LineDecoder = ReturnType<typeof createLineDecoder>;

/**
 * The sessions and a line reader's decoder (its word lists compiled now, not in the first request), or undefined
 * after posting why one of them could not be made.
 */
async function open(): Promise<{ sessions: ort.InferenceSession[]; decode?: LineDecoder } | undefined> {
  const sessions = await openAll();
  if (!sessions || !data.decoder) return sessions && { sessions };
  try {
    return { sessions, decode: createLineDecoder(data.decoder) };
  } catch (e) {
    if (!isHcrError(e)) throw e;
    port.postMessage({
      decoderFailed: { code: e.code, problem: e.problem, hint: e.hint },
    } satisfies InferenceReply);
    for (const s of sessions) await s.release();
    return undefined;
  }
}

const opened = await open();
// With nothing to serve there is no listener either, so the thread ends by itself.
if (opened) serve(opened.sessions, opened.decode);

function serve(sessions: ort.InferenceSession[], decode?: LineDecoder): void {
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
