/**
 * One tfjs inference worker: loads the run's LayersModel on its own engine instance and answers
 * { id, x, n } batches with probabilities. Spawned by tfjs-pool.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { EngineName } from '@hcr/engine';
import { resolveModelRun } from '../model-files.js';
import { tfjsPredictor } from './tfjs.js';

const { runDir, engine } = workerData as { runDir: string; engine: EngineName };
const port = parentPort!;

try {
  const predictor = await tfjsPredictor(await resolveModelRun(runDir), { engine });
  port.on('message', async (msg: { id: number; x: Float32Array; n: number } | { close: true }) => {
    if ('close' in msg) {
      await predictor.dispose();
      port.close();
      return;
    }
    try {
      const probs = (await predictor.predict(msg.x, msg.n)).slice();
      port.postMessage({ id: msg.id, probs }, [probs.buffer]);
    } catch (e) {
      port.postMessage({ id: msg.id, error: (e as Error).message });
    }
  });
  port.postMessage({ ready: true, description: predictor.description });
} catch (e) {
  const err = e as Error & { code?: string; hint?: string; problem?: string };
  port.postMessage({
    initError: { message: err.message, code: err.code, problem: err.problem, hint: err.hint },
  });
}
