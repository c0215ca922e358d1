import type { Worker } from 'node:worker_threads';
import { HcrError } from '@hcr/core';
import { type PackedRef, Packer, unpack } from './packing.js';
import { workerFor } from './spawn.js';
import type { PackedTask, PrepareTask, WorkerReplies, WorkerReply } from './tasks.js';

interface Slot {
  worker: Worker;
  pending: Map<number, { resolve: (r: unknown) => void; reject: (e: unknown) => void }>;
  /** Tasks waiting for this turn of the event loop to end, then sent in one message. */
  outbox: PackedTask[];
  /** Their image bytes, copied in one buffer. */
  bytes: Packer;
}

/**
 * Image decoding and preprocessing (characters and lines) in worker threads, so a server's main thread
 * keeps parsing requests and feeding onnxruntime meanwhile. Each task goes to the worker with the fewest
 * pending tasks; a crashed worker is replaced; an idle pool never keeps the process alive. Tasks of one
 * turn of the event loop (the requests parsed together under load) travel to a worker in one message, and
 * the worker answers those it finishes together in one message: a message between threads costs more
 * than preparing a 28x28 PNG.
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
    const slot: Slot = {
      worker: workerFor('prepare-worker'),
      pending: new Map(),
      outbox: [],
      bytes: new Packer(),
    };
    slot.worker.unref();
    const settle = (msg: WorkerReply) => {
      const p = slot.pending.get(msg.id);
      if (!p) return;
      slot.pending.delete(msg.id);
      if ('result' in msg) p.resolve(msg.result);
      else
        p.reject(
          msg.error.code
            ? new HcrError(msg.error.code, msg.error.problem, { hint: msg.error.hint })
            : new Error(`preparation worker failed: ${msg.error.problem}`),
        );
    };
    slot.worker.on('message', ({ replies, buffer }: WorkerReplies) => {
      for (const msg of replies) {
        const result = 'result' in msg ? (msg.result as { pixels?: PackedRef }) : undefined;
        if (result?.pixels) (result as { pixels: unknown }).pixels = unpack(buffer, result.pixels);
        settle(msg);
      }
      if (slot.pending.size === 0) slot.worker.unref();
    });
    const fail = (e: unknown) => {
      for (const p of slot.pending.values()) p.reject(e);
      slot.pending.clear();
      // One bad image cannot take the pool down.
      if (!this.closed) this.slots[this.slots.indexOf(slot)] = this.spawn();
    };
    slot.worker.on('error', fail);
    slot.worker.on('exit', (code) => {
      if (!this.closed) fail(new Error(`preparation worker exited (${code})`));
    });
    return slot;
  }

  /** Runs one task: its image bytes are copied at once and travel with the turn's other tasks. */
  run<R>(task: PrepareTask): Promise<R> {
    if (this.closed) return Promise.reject(new Error('the preparation pool is closed'));
    const slot = this.slots.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
    const id = this.nextId++;
    return new Promise<R>((resolve, reject) => {
      slot.pending.set(id, { resolve: resolve as (r: unknown) => void, reject });
      slot.worker.ref();
      if (slot.outbox.length === 0) setImmediate(() => this.send(slot));
      // Copied now (request bodies may be views into Node's shared buffer pool, and callers may reuse them).
      slot.outbox.push({ id, task: { ...task, bytes: slot.bytes.add(task.bytes) } });
    });
  }

  /** Sends the slot's waiting tasks in one message, their bytes in one moved buffer. */
  private send(slot: Slot): void {
    const tasks = slot.outbox;
    slot.outbox = [];
    if (tasks.length === 0) return;
    const buffer = slot.bytes.take();
    try {
      slot.worker.postMessage({ tasks, buffer }, [buffer]);
    } catch (e) {
      for (const { id } of tasks) {
        slot.pending.get(id)?.reject(e);
        slot.pending.delete(id);
      }
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}
