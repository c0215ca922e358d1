import type { Worker } from 'node:worker_threads';
import { HcrError, moduleWorker } from '@hcr/core';
import { type PackedRef, Packer, unpack } from './packing.js';
import type { PackedTask, PrepareTask, WorkerCancel, WorkerReplies, WorkerReply } from './tasks.js';

interface Pending {
  resolve: (r: unknown) => void;
  reject: (e: unknown) => void;
  /** The task (with a deadline, its own copy of the bytes), to hand to a new worker if this one is stopped. */
  task: PrepareTask;
  /** performance.now() when it was asked for. */
  since: number;
  /**
   * Given up by its caller (already failed CANCELLED) after it went to its worker: kept until the worker drops it
   * or answers, so that the deadline still stops a worker held by it.
   */
  cancelled?: true;
}

interface Slot {
  worker: Worker;
  pending: Map<number, Pending>;
  /** Tasks waiting for this turn of the event loop to end, then sent in one message. */
  outbox: PackedTask[];
  /** Their image bytes, copied in one buffer. */
  bytes: Packer;
  /** Stopped for a task past its deadline: its exit is no crash. */
  retired?: true;
}

/**
 * The most worker threads a pool starts: each holds its own V8 heap and libvips, and past the cores they only
 * take turns; a typo's 99999 would start them all (and run the machine out of memory) before the first request.
 */
export const MAX_PREPARE_WORKERS = 64;

/** BAD_OPTION unless `n` is a whole number of preparation threads from `min` (0: the calling thread) to MAX_PREPARE_WORKERS. */
export function checkPrepareWorkers(n: number, min = 0): void {
  if (Number.isInteger(n) && n >= min && n <= MAX_PREPARE_WORKERS) return;
  throw new HcrError(
    'BAD_OPTION',
    `prepareWorkers must be a whole number from ${min} to ${MAX_PREPARE_WORKERS}, got ${n}.`,
    { hint: `Use 0 (prepare on the calling thread) or 1..cores (at most ${MAX_PREPARE_WORKERS}).` },
  );
}

export interface PreparePoolOptions {
  /**
   * A task unanswered after this many ms is given up: it fails with TIMEOUT, its worker is stopped and
   * replaced, and the worker's other tasks go to the new one. Without it, a file that takes minutes to prepare
   * (a 3 kB PDF page of a million curves) holds its worker, and every task queued behind it, that long.
   * Default: none.
   */
  taskTimeoutMs?: number;
  /** Called when a worker is stopped for that, with the number of tasks given up. */
  onTimeout?: (tasks: number) => void;
}

/**
 * The pool a recogniser or line reader was asked for (none for 0 or no count). When the count or options are
 * refused, `release()` runs first (the sessions already opened must not stay open), then the error is thrown.
 */
export async function openPreparePool(
  workers: number | undefined,
  options: PreparePoolOptions | undefined,
  release: () => Promise<void>,
): Promise<PreparePool | undefined> {
  try {
    return workers ? new PreparePool(workers, options) : undefined;
  } catch (e) {
    await release();
    throw e;
  }
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
  /** The tasks waiting on each caller's signal, and how to stop listening to it (see watch). */
  private readonly watched = new Map<AbortSignal, { tasks: Set<number>; stop: () => void }>();
  private readonly watchdog: NodeJS.Timeout | undefined;

  constructor(
    size: number,
    private readonly opts: PreparePoolOptions = {},
  ) {
    checkPrepareWorkers(size, 1);
    const timeout = opts.taskTimeoutMs;
    if (timeout !== undefined && !(timeout > 0))
      throw new HcrError('BAD_OPTION', `taskTimeoutMs must be a number of ms > 0, got ${timeout}.`, {
        hint: 'Leave it out for no deadline.',
      });
    this.slots = Array.from({ length: size }, () => this.spawn());
    if (timeout !== undefined) {
      // A worker busy in one long synchronous call cannot answer a message: only the pool can see it overrun.
      this.watchdog = setInterval(
        () => this.giveUpOverdue(timeout),
        Math.min(1000, Math.max(20, timeout / 4)),
      );
      this.watchdog.unref();
    }
  }

  get size(): number {
    return this.slots.length;
  }

  /** Tasks sent and not yet answered: being prepared or waiting for their worker. */
  get pending(): number {
    return this.slots.reduce((n, slot) => n + slot.pending.size, 0);
  }

  private spawn(): Slot {
    const slot: Slot = {
      worker: moduleWorker(import.meta.url, 'prepare-worker'),
      pending: new Map(),
      outbox: [],
      bytes: new Packer(),
    };
    slot.worker.unref();
    const settle = (msg: WorkerReply) => {
      const p = slot.pending.get(msg.id);
      if (!p) return;
      slot.pending.delete(msg.id);
      if (p.cancelled) return;
      if ('result' in msg) p.resolve(msg.result);
      else
        p.reject(
          msg.error.code
            ? new HcrError(msg.error.code, msg.error.problem, {
                hint: msg.error.hint,
                details: msg.error.details,
              })
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
      if (slot.retired) return;
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

  /**
   * Runs one task: its image bytes are copied at once and travel with the turn's other tasks. When `signal`
   * aborts (its request timed out, or its client left) the task fails with CANCELLED at once, and a page not yet
   * begun is dropped by its worker instead of being prepared for nobody.
   */
  run<R>(task: PrepareTask, signal?: AbortSignal): Promise<R> {
    if (this.closed) return Promise.reject(new Error('the preparation pool is closed'));
    if (signal?.aborted) return Promise.reject(cancelled());
    const slot = this.slots.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
    const id = this.nextId++;
    return new Promise<R>((resolve, reject) => {
      const done = signal ? this.watch(signal, id) : () => {};
      // The bytes are packed (copied) at once: request bodies may be views into Node's shared buffer pool, and
      // callers may reuse them. With a deadline the task keeps a copy of its own, to start again elsewhere.
      const own = this.watchdog ? { ...task, bytes: task.bytes.slice() } : task;
      this.enqueue(slot, id, {
        resolve: (r) => {
          done();
          resolve(r as R);
        },
        reject: (e) => {
          done();
          reject(e);
        },
        task: own,
        since: performance.now(),
      });
    });
  }

  /**
   * Cancels task `id` when `signal` aborts; the returned function stops watching. One listener per signal however
   * many tasks share it (a request's images): one each passed Node's 10 and warned of a leak on every such request.
   */
  private watch(signal: AbortSignal, id: number): () => void {
    let watch = this.watched.get(signal);
    if (!watch) {
      const tasks = new Set<number>();
      const onAbort = () => {
        this.watched.delete(signal);
        for (const t of tasks) this.cancel(t);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      watch = { tasks, stop: () => signal.removeEventListener('abort', onAbort) };
      this.watched.set(signal, watch);
    }
    const { tasks, stop } = watch;
    tasks.add(id);
    return () => {
      if (!tasks.delete(id) || tasks.size > 0) return;
      // the signal's last task is done: its listener goes, so a long-lived signal keeps nothing of this pool
      stop();
      this.watched.delete(signal); // an aborted signal takes no new tasks (run), so no other entry can be there
    };
  }

  /** A task given up by its caller: failed at once; its worker drops it (and says so) if it has not begun it. */
  private cancel(id: number): void {
    for (const slot of this.slots) {
      const p = slot.pending.get(id);
      if (!p || p.cancelled) continue;
      const waiting = slot.outbox.findIndex((t) => t.id === id);
      if (waiting >= 0) {
        slot.outbox.splice(waiting, 1);
        slot.pending.delete(id);
        if (slot.pending.size === 0) slot.worker.unref();
      } else {
        p.cancelled = true;
        slot.worker.postMessage({ cancel: [id] } satisfies WorkerCancel);
      }
      p.reject(cancelled());
      return;
    }
  }

  private enqueue(slot: Slot, id: number, p: Pending): void {
    slot.pending.set(id, p);
    slot.worker.ref();
    if (slot.outbox.length === 0) setImmediate(() => this.send(slot));
    slot.outbox.push({ id, task: { ...p.task, bytes: slot.bytes.add(p.task.bytes) } });
  }

  /**
   * Stops each worker holding a task older than `timeout` ms: those tasks fail with TIMEOUT, the others
   * start again on the worker that replaces it.
   */
  private giveUpOverdue(timeout: number): void {
    if (this.closed) return;
    const now = performance.now();
    for (const [i, slot] of this.slots.entries()) {
      const overdue = [...slot.pending.values()].filter((p) => now - p.since > timeout);
      if (overdue.length === 0) continue;
      slot.retired = true;
      void slot.worker.terminate();
      const fresh = this.spawn();
      this.slots[i] = fresh;
      for (const [id, p] of slot.pending) {
        if (p.cancelled) continue;
        if (now - p.since <= timeout) this.enqueue(fresh, id, p);
        else
          p.reject(
            new HcrError('TIMEOUT', `Preparing the image took longer than ${timeout} ms; it was stopped.`, {
              hint: 'A file this slow to decode is usually a PDF page of very many drawing operations: send the page as PNG or JPEG instead.',
            }),
          );
      }
      slot.pending.clear();
      this.opts.onTimeout?.(overdue.length);
    }
  }

  /** Sends the slot's waiting tasks in one message, their bytes in one moved buffer. */
  private send(slot: Slot): void {
    const tasks = slot.outbox;
    slot.outbox = [];
    if (tasks.length === 0 || slot.retired) return;
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
    clearInterval(this.watchdog);
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}

function cancelled(): HcrError {
  return new HcrError(
    'CANCELLED',
    'The preparation was given up: its request ended (it timed out, or its client left).',
    {
      hint: 'Nothing to fix in the image; send it again when the server is less busy, or with a longer --timeout-ms.',
    },
  );
}
