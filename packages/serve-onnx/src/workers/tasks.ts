import type { PreprocessOptions } from '../preprocess/preprocess.js';
import type { LineLimits } from '../reader/prepare-line.js';

/** What a preparation worker does: an encoded character or line image -> what the model takes. */
export type PrepareTask =
  | { kind: 'character'; bytes: Uint8Array; options: PreprocessOptions }
  | { kind: 'line'; bytes: Uint8Array; limits: Partial<LineLimits> };

export type WorkerReply =
  | { id: number; result: unknown }
  | { id: number; error: { code?: string; problem: string; hint?: string } };

/** Tasks sent to a worker together (one message per turn of the event loop). */
export type PrepareRequest = { id: number; task: PrepareTask };
export type WorkerRequests = { tasks: PrepareRequest[] };
/** Replies sent back together. */
export type WorkerReplies = { replies: WorkerReply[] };
