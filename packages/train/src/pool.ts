import type { Worker } from 'node:worker_threads';
import { HcrError, moduleWorker } from '@hcr/core';
import type {
  EvalResult,
  FromWorker,
  InitMessage,
  InitReply,
  ShardJob,
  ShardResult,
  ToWorker,
  WorkerState,
} from './protocol.js';

class WorkerHandle {
  private readonly pending: { resolve: (v: unknown) => void; reject: (e: unknown) => void }[] = [];
  private dead: Error | undefined;

  constructor(readonly worker: Worker) {
    worker.on('message', (msg: FromWorker) => {
      const p = this.pending.shift();
      if (!p) return;
      if (msg.type === 'reply') p.resolve(msg.value);
      else {
        const e = msg.code
          ? new HcrError(msg.code, msg.message, { hint: msg.hint })
          : Object.assign(new Error(`training worker failed: ${msg.message}`), { stack: msg.stack });
        p.reject(e);
      }
    });
    const fail = (e: Error) => {
      this.dead = e;
      for (const p of this.pending.splice(0)) p.reject(e);
    };
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (this.pending.length) fail(new Error(`training worker exited (code ${code}) with requests pending`));
    });
  }

  request<T>(msg: ToWorker, transfer: ArrayBuffer[] = []): Promise<T> {
    if (this.dead) return Promise.reject(this.dead);
    return new Promise<T>((resolve, reject) => {
      this.pending.push({ resolve: resolve as (v: unknown) => void, reject });
      this.worker.postMessage(msg, transfer);
    });
  }
}

/**
 * N replicas in worker threads, driven in lock step by the coordinator. A step's shards may go to only the
 * first few of them; every replica applies every update, so an idle one can take shards again at any step.
 */
export class WorkerPool {
  private constructor(
    private readonly handles: WorkerHandle[],
    readonly info: InitReply,
  ) {}

  get size(): number {
    return this.handles.length;
  }

  static async start(count: number, init: Omit<InitMessage, 'type' | 'workerIndex'>): Promise<WorkerPool> {
    const handles = Array.from(
      { length: count },
      () => new WorkerHandle(moduleWorker(import.meta.url, 'worker')),
    );
    try {
      const replies = await Promise.all(
        handles.map((h, i) => h.request<InitReply>({ type: 'init', workerIndex: i, ...init })),
      );
      return new WorkerPool(handles, replies[0]!);
    } catch (e) {
      await Promise.all(handles.map((h) => h.worker.terminate()));
      throw e;
    }
  }

  /**
   * Computes the shards on the first `busy` workers (shard k on worker k mod busy); results come back ordered
   * by shard index.
   */
  async step(epoch: number, step: number, shards: ShardJob[], busy = this.size): Promise<ShardResult[]> {
    if (!Number.isInteger(busy) || busy < 1 || busy > this.size)
      throw new RangeError(
        `a step's busy workers (ActiveWorkers.next()) must be an integer in 1..${this.size}, the pool's workers; got ${busy}`,
      );
    const workers = this.handles.slice(0, busy);
    const perWorker = workers.map(() => [] as ShardJob[]);
    for (const s of shards) perWorker[s.index % workers.length]!.push(s);
    const replies = await Promise.all(
      workers.map((h, i) =>
        perWorker[i]!.length
          ? h.request<ShardResult[]>({ type: 'step', epoch, step, shards: perWorker[i]! })
          : Promise.resolve([]),
      ),
    );
    return replies.flat().sort((a, b) => a.index - b.index);
  }

  /** Every replica applies the same update. Not awaited per step: replies are checked on the next request. */
  apply(grads: Float32Array, state: Float32Array, lr: number, t: number): Promise<unknown> {
    return Promise.all(this.handles.map((h) => h.request({ type: 'apply', grads, state, lr, t })));
  }

  /** Evaluates a split, split into contiguous ranges over the workers. */
  async evaluate(split: string, count: number, batchSize = 500): Promise<EvalResult> {
    const n = this.handles.length;
    const per = Math.ceil(count / n);
    const parts = await Promise.all(
      this.handles.map((h, i) => {
        const start = Math.min(count, i * per);
        const end = Math.min(count, start + per);
        return start < end
          ? h.request<EvalResult>({ type: 'eval', split, start, end, batchSize })
          : Promise.resolve({
              pred: new Uint8Array(0),
              predDigits: new Uint8Array(0),
              predLetters: new Uint8Array(0),
              decoded: [],
              lossSum: 0,
            });
      }),
    );
    const pred = new Uint8Array(count);
    const predDigits = new Uint8Array(count);
    const predLetters = new Uint8Array(count);
    const decoded: number[][] = [];
    let at = 0;
    let lossSum = 0;
    for (const p of parts) {
      pred.set(p.pred, at);
      predDigits.set(p.predDigits, at);
      predLetters.set(p.predLetters, at);
      at += p.pred.length;
      decoded.push(...p.decoded);
      lossSum += p.lossSum;
    }
    // Character tasks fill the class arrays, line tasks `decoded`; the other stays empty.
    const lines = decoded.length > 0;
    return lines
      ? {
          pred: new Uint8Array(0),
          predDigits: new Uint8Array(0),
          predLetters: new Uint8Array(0),
          decoded,
          lossSum,
        }
      : { pred, predDigits, predLetters, decoded, lossSum };
  }

  getState(): Promise<WorkerState> {
    return this.handles[0]!.request<WorkerState>({ type: 'getState' });
  }

  async setState(s: WorkerState): Promise<void> {
    await Promise.all(this.handles.map((h) => h.request({ type: 'setState', ...s })));
  }

  async save(dir: string, metadata?: unknown): Promise<void> {
    await this.handles[0]!.request({ type: 'save', dir, metadata });
  }

  async close(): Promise<void> {
    await Promise.all(this.handles.map((h) => h.worker.terminate()));
  }
}
