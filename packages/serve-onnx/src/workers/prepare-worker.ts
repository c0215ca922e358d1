/**
 * Worker thread of the preparation pool: encoded image -> canonical 28x28 character (prepareImage) or
 * 32-px line (prepareLineImage), off the server's main thread. Errors travel back as { code, problem,
 * hint } so HcrErrors survive the boundary; pixel buffers are moved, not copied. Tasks arrive and replies
 * leave in groups (see PreparePool).
 */
import { parentPort } from 'node:worker_threads';
import { HcrError } from '@hcr/core';
import { prepareImage } from '../preprocess/preprocess.js';
import { prepareLineImage } from '../reader/prepare-line.js';
import type { PrepareTask, WorkerReplies, WorkerReply, WorkerRequests } from './tasks.js';

async function run(task: PrepareTask): Promise<{ pixels: Uint8Array | Float32Array }> {
  if (task.kind === 'character') return prepareImage(task.bytes, task.options);
  return prepareLineImage(task.bytes, task.limits);
}

const port = parentPort!;

// Replies finished in the same turn of the event loop go back in one message.
let outbox: WorkerReply[] = [];
let transfer: ArrayBuffer[] = [];
function reply(msg: WorkerReply, moved?: ArrayBuffer): void {
  if (outbox.length === 0) setImmediate(flush);
  outbox.push(msg);
  if (moved) transfer.push(moved);
}
function flush(): void {
  const replies = outbox;
  const moved = transfer;
  outbox = [];
  transfer = [];
  port.postMessage({ replies } satisfies WorkerReplies, moved);
}

async function handle(id: number, task: PrepareTask): Promise<void> {
  try {
    const result = await run(task);
    const { pixels } = result;
    // Move the pixels; a view into a larger buffer is copied first, so nothing else is moved with it.
    if (pixels.byteOffset !== 0 || pixels.byteLength !== pixels.buffer.byteLength)
      result.pixels = pixels.slice();
    reply({ id, result }, result.pixels.buffer as ArrayBuffer);
  } catch (e) {
    const error =
      e instanceof HcrError
        ? { code: e.code, problem: e.problem, hint: e.hint }
        : { problem: (e as Error)?.message ?? String(e) };
    reply({ id, error });
  }
}

port.on('message', ({ tasks }: WorkerRequests) => {
  for (const { id, task } of tasks) void handle(id, task);
});
