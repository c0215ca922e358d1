import type { LineLimits, PreprocessOptions, TextLinesOptions } from '@hcr/image/decode';
import type { PackedRef } from './packing.js';

/** What a preparation worker does: an encoded character or line image -> what the model takes. */
export type PrepareTask =
  | { kind: 'character'; bytes: Uint8Array; options: PreprocessOptions }
  | { kind: 'line'; bytes: Uint8Array; limits: Partial<LineLimits> }
  | { kind: 'text-lines'; bytes: Uint8Array; limits: Partial<LineLimits> & TextLinesOptions };

export type WorkerReply =
  | { id: number; result: unknown }
  | { id: number; error: { code?: string; problem: string; hint?: string } };

/** A task as sent: its bytes are a slice of the message's packed buffer. */
export type PackedTask = { id: number; task: Omit<PrepareTask, 'bytes'> & { bytes: PackedRef } };
/** Tasks sent to a worker together (one message per turn of the event loop), their bytes in one buffer. */
export type WorkerRequests = { tasks: PackedTask[]; buffer: ArrayBuffer };
/** Replies sent back together; each result's `pixels` is a slice of the packed buffer. */
export type WorkerReplies = { replies: WorkerReply[]; buffer: ArrayBuffer };
