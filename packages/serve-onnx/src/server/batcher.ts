/**
 * Micro-batching: images of concurrent requests wait a moment and run as one onnxruntime call, which
 * costs far less per image than many calls of one. One run is in flight at a time; while it runs, new
 * images queue, and the next run takes up to `maxBatch` of them at once.
 */
export interface BatcherOptions {
  /** Most images per run. */
  maxBatch: number;
  /** How long the first waiting image may wait for company when the model is idle (ms; 0 = no wait). */
  maxWaitMs: number;
  /** Most images waiting; beyond it `submit` rejects with OverloadedError. */
  maxQueue: number;
  /**
   * How long an idle model may wait for images announced by `submitWhenReady` that are still being
   * prepared (ms; default 2). It waits only while such images exist: a lone request runs at once.
   */
  maxGatherMs?: number;
}

export class OverloadedError extends Error {
  constructor(queued: number) {
    super(`${queued} images are already waiting for the model`);
    this.name = 'OverloadedError';
  }
}

interface Pending<I, O> {
  item: I;
  resolve: (o: O) => void;
  reject: (e: unknown) => void;
}

export class MicroBatcher<I, O> {
  private queue: Pending<I, O>[] = [];
  private running = false;
  private timer: NodeJS.Timeout | undefined;
  /** Images announced by submitWhenReady and still being prepared. */
  private incoming = 0;

  constructor(
    private readonly run: (items: I[]) => Promise<O[]>,
    private readonly opts: BatcherOptions,
    private readonly onBatch?: (size: number, seconds: number) => void,
  ) {}

  get queued(): number {
    return this.queue.length;
  }

  /** Whether `count` more items fit in the queue now. */
  private fits(count: number): boolean {
    return this.queue.length + count <= this.opts.maxQueue;
  }

  submit(items: readonly I[]): Promise<O[]> {
    if (!this.fits(items.length)) return Promise.reject(new OverloadedError(this.queue.length));
    if (items.length === 1) {
      // one image (most requests): one promise instead of one per item plus Promise.all
      const one = new Promise<O[]>((resolve, reject) =>
        this.queue.push({ item: items[0]!, resolve: (o) => resolve([o]), reject }),
      );
      this.schedule();
      return one;
    }
    const done = items.map(
      (item) => new Promise<O>((resolve, reject) => this.queue.push({ item, resolve, reject })),
    );
    this.schedule();
    return Promise.all(done);
  }

  /**
   * `count` items that `ready` will produce (e.g. images being decoded in a worker): while they are on
   * their way an idle model waits up to maxGatherMs for them, so concurrent requests share a run instead
   * of each taking a small one. Items that would not fit in the queue now are refused at once, before
   * their preparation ends: an overloaded server answers 503 without waiting for work it will not do.
   */
  async submitWhenReady(count: number, ready: Promise<readonly I[]>): Promise<O[]> {
    if (!this.fits(count)) {
      ready.catch(() => {}); // its preparation goes on unwatched; a failure there is nobody's answer
      throw new OverloadedError(this.queue.length);
    }
    this.incoming += count;
    let items: readonly I[];
    try {
      items = await ready;
    } catch (e) {
      this.incoming -= count;
      this.schedule();
      throw e;
    }
    this.incoming -= count;
    return this.submit(items);
  }

  private schedule(): void {
    if (this.running || this.queue.length === 0) return;
    if (this.queue.length >= this.opts.maxBatch) return void this.flush();
    if (this.incoming > 0) {
      this.timer ??= setTimeout(
        () => this.flush(),
        Math.max(this.opts.maxWaitMs, this.opts.maxGatherMs ?? 2),
      );
      return;
    }
    if (this.opts.maxWaitMs <= 0) return void this.flush();
    this.timer ??= setTimeout(() => this.flush(), this.opts.maxWaitMs);
  }

  private async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.running || this.queue.length === 0) return;
    this.running = true;
    const batch = this.queue.splice(0, this.opts.maxBatch);
    const t0 = performance.now();
    try {
      const out = await this.run(batch.map((p) => p.item));
      for (let i = 0; i < batch.length; i++) batch[i]!.resolve(out[i]!);
    } catch (e) {
      for (const p of batch) p.reject(e);
    } finally {
      this.onBatch?.(batch.length, (performance.now() - t0) / 1000);
      this.running = false;
      // Whatever queued during the run goes next, without waiting: it has waited already.
      if (this.queue.length > 0) void this.flush();
    }
  }
}
