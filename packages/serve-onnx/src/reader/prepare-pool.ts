import { Worker } from 'node:worker_threads';
import { HcrError } from '@hcr/core';
import type { LineLimits, PreparedLine } from './prepare-line.js';

export interface PrepareRequest {
  id: number;
  bytes: Uint8Array;
  limits: Partial<LineLimits>;
}

export type PrepareReply =
  | { id: number; line: PreparedLine }
  | { id: number; error: { code?: string; problem: string; hint?: string } };

/**
 * Spawns prepare-worker next to this module: .js from dist; from source (tsx), the .ts through tsx's
 * tsImport, because Node 20 does not apply `--import tsx` loader hooks inside worker threads (the same
 * way @hcr/train starts its workers). `--conditions=source` is inherited through execArgv.
 */
function spawnWorker(): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./prepare-worker.js', import.meta.url));
  const api = import.meta.resolve('tsx/esm/api');
  const url = new URL('./prepare-worker.ts', import.meta.url).href;
  const boot = `import(${JSON.stringify(api)}).then((m) => m.tsImport(${JSON.stringify(url)}, ${JSON.stringify(import.meta.url)}));`;
  return new Worker(boot, { eval: true });
}

interface Slot {
  worker: Worker;
  pending: Map<number, { resolve: (l: PreparedLine) => void; reject: (e: unknown) => void }>;
}

/**
 * Line preparation (image decoding + preprocessLine, several ms of synchronous work per line) in worker
 * threads, so a server's main thread keeps parsing requests and feeding onnxruntime meanwhile. Each
 * request goes to the worker with the fewest pending lines.
 */
export class PreparePool {
  private readonly slots: Slot[];
  private nextId = 1;
  private closed = false;

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1)
      throw new HcrError('BAD_OPTION', `prepareWorkers must be a whole number >= 1, got ${size}.`, {
        hint: 'Use 0 (prepare on the calling thread) or 1..cores.',
      });
    this.slots = Array.from({ length: size }, () => this.spawn());
  }

  get size(): number {
    return this.slots.length;
  }

  private spawn(): Slot {
    const slot: Slot = { worker: spawnWorker(), pending: new Map() };
    slot.worker.unref(); // an idle pool never keeps the process alive
    slot.worker.on('message', (msg: PrepareReply) => {
      const p = slot.pending.get(msg.id);
      if (!p) return;
      slot.pending.delete(msg.id);
      if (slot.pending.size === 0) slot.worker.unref();
      if ('line' in msg) p.resolve(msg.line);
      else
        p.reject(
          msg.error.code
            ? new HcrError(msg.error.code, msg.error.problem, { hint: msg.error.hint })
            : new Error(`line preparation worker failed: ${msg.error.problem}`),
        );
    });
    const fail = (e: unknown) => {
      for (const p of slot.pending.values()) p.reject(e);
      slot.pending.clear();
      // A crashed worker is replaced, so one bad image cannot take the pool down.
      if (!this.closed) this.slots[this.slots.indexOf(slot)] = this.spawn();
    };
    slot.worker.on('error', fail);
    slot.worker.on('exit', (code) => {
      if (!this.closed) fail(new Error(`line preparation worker exited (${code})`));
    });
    return slot;
  }

  prepare(bytes: Uint8Array, limits: Partial<LineLimits> = {}): Promise<PreparedLine> {
    if (this.closed) return Promise.reject(new Error('the line preparation pool is closed'));
    const slot = this.slots.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
    const id = this.nextId++;
    const copy = new Uint8Array(bytes); // own buffer: request bodies may be views into a shared pool
    return new Promise<PreparedLine>((resolve, reject) => {
      slot.pending.set(id, { resolve, reject });
      slot.worker.ref();
      slot.worker.postMessage({ id, bytes: copy, limits } satisfies PrepareRequest, [copy.buffer]);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
