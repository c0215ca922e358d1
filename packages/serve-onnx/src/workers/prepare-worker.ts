/**
 * Worker thread of the preparation pool: encoded image -> canonical 28x28 character (prepareImage) or
 * 32-px line (prepareLineImage), off the server's main thread. Errors travel back as { code, problem,
 * hint } so HcrErrors survive the boundary; pixel buffers are moved, not copied.
 */
import { parentPort } from 'node:worker_threads';
import { HcrError } from '@hcr/core';
import { prepareImage } from '../preprocess/preprocess.js';
import { prepareLineImage } from '../reader/prepare-line.js';
import type { PrepareTask, WorkerReply } from './tasks.js';

async function run(task: PrepareTask): Promise<{ pixels: Uint8Array | Float32Array }> {
  if (task.kind === 'character') return prepareImage(task.bytes, task.options);
  return prepareLineImage(task.bytes, task.limits);
}

const port = parentPort!;
port.on('message', async ({ id, task }: { id: number; task: PrepareTask }) => {
  try {
    const result = await run(task);
    const { pixels } = result;
    // Move the pixels; a view into a larger buffer is copied first, so nothing else is moved with it.
    if (pixels.byteOffset !== 0 || pixels.byteLength !== pixels.buffer.byteLength)
      result.pixels = pixels.slice();
    port.postMessage({ id, result } satisfies WorkerReply, [result.pixels.buffer as ArrayBuffer]);
  } catch (e) {
    const error =
      e instanceof HcrError
        ? { code: e.code, problem: e.problem, hint: e.hint }
        : { problem: (e as Error)?.message ?? String(e) };
    port.postMessage({ id, error } satisfies WorkerReply);
  }
});
