/**
 * Worker thread of the preparation pool: encoded image -> canonical 28x28 character (prepareImage), 32-px
 * line (prepareLineImage) or the lines of a page (prepareTextLines), off the server's main thread. Errors
 * travel back as { code, problem, hint } so HcrErrors survive the boundary. Tasks arrive and replies leave in
 * groups, their bytes and pixels packed in one moved buffer per message (see PreparePool).
 */
import { parentPort } from 'node:worker_threads';
import { HcrError } from '@hcr/core';
import { type PreparedTextLine, prepareImage, prepareLineImage, prepareTextLines } from '@hcr/image/decode';
import { Packer, unpack } from './packing.js';
import {
  isPageTask,
  type PrepareTask,
  type WorkerCancel,
  type WorkerReplies,
  type WorkerReply,
  type WorkerRequests,
} from './tasks.js';

/** A task's result: its pixels (moved back in the reply's buffer), and for a page each line without them. */
type Prepared = { pixels: Uint8Array | Float32Array; lines?: Omit<PreparedTextLine, 'pixels'>[] };

async function run(task: PrepareTask): Promise<Prepared> {
  if (task.kind === 'character') return prepareImage(task.bytes, task.options);
  if (task.kind === 'line') return prepareLineImage(task.bytes, task.limits);
  // Several lines travel as one reply: their pixels end to end, each line's size and box beside them.
  const lines = await prepareTextLines(task.bytes, task.limits);
  const pixels = new Uint8Array(lines.reduce((n, l) => n + l.pixels.length, 0));
  let at = 0;
  for (const l of lines) {
    pixels.set(l.pixels, at);
    at += l.pixels.length;
  }
  return { pixels, lines: lines.map(({ pixels: _, ...rest }) => rest) };
}

const port = parentPort!;

// Replies finished in the same turn of the event loop go back in one message, their pixels in one buffer.
let outbox: WorkerReply[] = [];
const pixels = new Packer();
function reply(msg: WorkerReply): void {
  if (outbox.length === 0) setImmediate(flush);
  outbox.push(msg);
}
function flush(): void {
  const replies = outbox;
  outbox = [];
  const buffer = pixels.take();
  port.postMessage({ replies, buffer } satisfies WorkerReplies, [buffer]);
}

async function handle(id: number, task: PrepareTask): Promise<void> {
  try {
    const result = await run(task);
    reply({ id, result: { ...result, pixels: pixels.add(result.pixels) } });
  } catch (e) {
    const error =
      e instanceof HcrError
        ? { code: e.code, problem: e.problem, hint: e.hint, details: e.details }
        : { problem: (e as Error)?.message ?? String(e) };
    reply({ id, error });
  }
}

// Pages wait their turn (isPageTask): begun all at once, twenty pages of four PDFs shared the CPU and memory until
// every request ran out of time together; one at a time, the first request's pages finish first, and pages of a
// request given up are dropped before they begin.
const pages: { id: number; task: PrepareTask }[] = [];
let pageRunning = false;
async function runPages(): Promise<void> {
  if (pageRunning) return;
  pageRunning = true;
  for (let next = pages.shift(); next; next = pages.shift()) await handle(next.id, next.task);
  pageRunning = false;
}

port.on('message', (msg: WorkerRequests | WorkerCancel) => {
  if ('cancel' in msg) {
    // dropped pages are answered, so the pool stops waiting for them; begun ones finish (or the deadline stops us)
    const gone = new Set(msg.cancel);
    for (let i = pages.length - 1; i >= 0; i--)
      if (gone.has(pages[i]!.id))
        reply({ id: pages.splice(i, 1)[0]!.id, error: { code: 'CANCELLED', problem: 'dropped' } });
    return;
  }
  for (const { id, task } of msg.tasks) {
    const full = { ...task, bytes: unpack(msg.buffer, task.bytes) as Uint8Array } as PrepareTask;
    if (isPageTask(full)) {
      pages.push({ id, task: full });
      void runPages();
    } else void handle(id, full);
  }
});
