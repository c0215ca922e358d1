import { cpus } from 'node:os';
import { HcrError, moduleWorker } from '@hcr/core';
import type { EngineName } from '@hcr/engine';
import type { ModelRun } from '../model-files.js';
import type { Predictor } from './predictor.js';

type Reply =
  | { ready: true; description: string }
  | { initError: { message: string; code?: string; problem?: string; hint?: string } }
  | { id: number; probs: Float32Array }
  | { id: number; error: string };

export const DEFAULT_TFJS_WORKERS = Math.max(1, Math.min(2, cpus().length));

/**
 * tfjs's wasm engine runs one thread per instance; evaluation is embarrassingly parallel, so a pool of
 * workers (one engine each) scores batches side by side. Batches are identical whatever worker gets them,
 * so the results do not depend on the worker count.
 */
export async function tfjsPoolPredictor(
  run: ModelRun,
  { engine = 'auto', workers = DEFAULT_TFJS_WORKERS }: { engine?: EngineName; workers?: number } = {},
): Promise<Predictor> {
  const pending = new Map<number, { resolve: (p: Float32Array) => void; reject: (e: Error) => void }>();
  const busy: number[] = [];
  const pool = Array.from({ length: workers }, () =>
    moduleWorker(import.meta.url, 'tfjs-worker', { workerData: { runDir: run.dir, engine } }),
  );
  const descriptions = await Promise.all(
    pool.map(
      (w, i) =>
        new Promise<string>((resolve, reject) => {
          busy[i] = 0;
          w.on('error', (e) => {
            reject(e);
            for (const p of pending.values()) p.reject(e);
          });
          w.on('message', (msg: Reply) => {
            if ('ready' in msg) resolve(msg.description);
            else if ('initError' in msg) {
              const e = msg.initError;
              reject(
                e.code
                  ? new HcrError(e.code, e.problem ?? e.message, { hint: e.hint })
                  : new Error(e.message),
              );
            } else {
              const p = pending.get(msg.id);
              pending.delete(msg.id);
              busy[i]!--;
              if ('error' in msg) p?.reject(new Error(msg.error));
              else p?.resolve(msg.probs);
            }
          });
        }),
    ),
  ).catch(async (e) => {
    await Promise.all(pool.map((w) => w.terminate()));
    throw e;
  });
  let nextId = 0;
  return {
    runtime: 'tfjs',
    // the same words as in-process: the worker count changes speed, never results (timing records it)
    description: descriptions[0]!,
    concurrency: workers,
    predict(x, n) {
      const i = busy.indexOf(Math.min(...busy));
      const id = nextId++;
      busy[i]!++;
      // copy: the caller may reuse its buffer, and the transfer detaches ours
      const copy = x.slice();
      return new Promise<Float32Array>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        pool[i]!.postMessage({ id, x: copy, n }, [copy.buffer]);
      });
    },
    async dispose() {
      await Promise.all(pool.map((w) => w.terminate()));
    },
  };
}
