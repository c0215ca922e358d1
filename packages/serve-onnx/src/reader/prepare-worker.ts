/**
 * Worker thread of the line preparation pool: encoded image -> 32-px line (prepareLineImage), off the
 * server's main thread. Errors travel back as { code, problem, hint } so HcrErrors survive the boundary.
 */
import { parentPort } from 'node:worker_threads';
import { HcrError } from '@hcr/core';
import { prepareLineImage } from './prepare-line.js';
import type { PrepareReply, PrepareRequest } from './prepare-pool.js';

const port = parentPort!;
port.on('message', async (req: PrepareRequest) => {
  let reply: PrepareReply;
  try {
    const line = await prepareLineImage(req.bytes, req.limits);
    reply = { id: req.id, line };
    port.postMessage(reply, [line.pixels.buffer as ArrayBuffer]);
  } catch (e) {
    reply =
      e instanceof HcrError
        ? { id: req.id, error: { code: e.code, problem: e.problem, hint: e.hint } }
        : { id: req.id, error: { problem: (e as Error)?.message ?? String(e) } };
    port.postMessage(reply);
  }
});
