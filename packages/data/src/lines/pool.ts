import type { Worker } from 'node:worker_threads';
import { HcrError, moduleWorker } from '@hcr/core';
import type { LineChunk } from './chunk.js';
import type { LineConfig, LineSplitName } from './config.js';
import type { GlyphBank } from './glyphs.js';

type Reply = {
  id: number;
  chunk?: LineChunk;
  error?: { message: string; stack?: string; code?: string; hint?: string };
};

/** A fixed set of render workers; each job goes to the next idle worker. Results do not depend on which. */
export class LinePool {
  private readonly idle: Worker[] = [];
  private readonly queue: {
    job: { id: number; split: LineSplitName; start: number; end: number };
    resolve: (c: LineChunk) => void;
    reject: (e: unknown) => void;
  }[] = [];
  private readonly pending = new Map<Worker, (typeof this.queue)[number]>();
  private nextId = 0;
  private failure: Error | undefined;
  private closing = false;

  constructor(size: number, config: LineConfig, bank: GlyphBank) {
    for (let i = 0; i < size; i++) {
      const w = moduleWorker(import.meta.url, 'worker', { workerData: { config, bank } });
      w.on('message', (r: Reply) => this.onReply(w, r));
      w.on('error', (e) => this.onDeath(w, e));
      w.on(
        'exit',
        (code) =>
          code !== 0 && !this.closing && this.onDeath(w, new Error(`line worker exited with code ${code}`)),
      );
      this.idle.push(w);
    }
  }

  render(split: LineSplitName, start: number, end: number): Promise<LineChunk> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.queue.push({ job: { id: this.nextId++, split, start, end }, resolve, reject });
      this.pump();
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all([...this.idle, ...this.pending.keys()].map((w) => w.terminate()));
  }

  private pump(): void {
    while (this.idle.length && this.queue.length) {
      const w = this.idle.pop()!;
      const task = this.queue.shift()!;
      this.pending.set(w, task);
      w.postMessage(task.job);
    }
  }

  private onReply(w: Worker, r: Reply): void {
    const task = this.pending.get(w);
    this.pending.delete(w);
    this.idle.push(w);
    if (task) {
      if (r.error)
        task.reject(
          r.error.code
            ? new HcrError(r.error.code, r.error.message, { hint: r.error.hint })
            : Object.assign(new Error(`line worker failed: ${r.error.message}`), { stack: r.error.stack }),
        );
      else task.resolve(r.chunk!);
    }
    this.pump();
  }

  private onDeath(w: Worker, e: Error): void {
    this.failure ??= e;
    const task = this.pending.get(w);
    this.pending.delete(w);
    task?.reject(e);
    for (const t of this.queue.splice(0)) t.reject(e);
  }
}
