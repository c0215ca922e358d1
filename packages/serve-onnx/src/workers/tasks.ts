import type { HcrErrorDetails } from '@hcr/core';
import type { LineLimits, PreprocessOptions, TextLinesOptions } from '@hcr/image/decode';
import type { PackedRef } from './packing.js';

/** What a preparation worker does: an encoded character or line image -> what the model takes. */
export type PrepareTask =
  | { kind: 'character'; bytes: Uint8Array; options: PreprocessOptions }
  | { kind: 'line'; bytes: Uint8Array; limits: Partial<LineLimits> }
  | { kind: 'text-lines'; bytes: Uint8Array; limits: Partial<LineLimits> & TextLinesOptions };

export type WorkerReply =
  | { id: number; result: unknown }
  | { id: number; error: { code?: string; problem: string; hint?: string; details?: HcrErrorDetails } };

/** A task as sent: its bytes are a slice of the message's packed buffer. */
export type PackedTask = { id: number; task: Omit<PrepareTask, 'bytes'> & { bytes: PackedRef } };
/** Tasks sent to a worker together (one message per turn of the event loop), their bytes in one buffer. */
export type WorkerRequests = { tasks: PackedTask[]; buffer: ArrayBuffer };
/** Tasks given up by their caller (the request timed out or its client left): dropped if not begun. */
export type WorkerCancel = { cancel: number[] };

/**
 * A page of a document (a PDF or a TIFF, which may hold pages), or every line of a page: tens of ms to seconds each.
 * A worker runs these one at a time, in the order they came; characters and single line images run as they come.
 */
export function isPageTask(task: PrepareTask): boolean {
  if (task.kind === 'text-lines') return true;
  const b = task.bytes;
  const pdf = b[0] === 0x25 && b[1] === 0x50 && b[2] === 0x44 && b[3] === 0x46; // %PDF
  const tiff =
    (b[0] === 0x49 && b[1] === 0x49 && b[2] === 0x2a) || (b[0] === 0x4d && b[1] === 0x4d && b[3] === 0x2a);
  return pdf || tiff;
}
/** Replies sent back together; each result's `pixels` is a slice of the packed buffer. */
export type WorkerReplies = { replies: WorkerReply[]; buffer: ArrayBuffer };
