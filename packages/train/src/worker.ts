import { parentPort } from 'node:worker_threads';
import { isHcrError, type ModelMetadata } from '@hcr/core';
import { initEngine, useFusedBatchNormInTraining, useFusedLstmInTraining } from '@hcr/engine';
import { patchBatchNormGradient, patchConvInputGradient } from './grad-patches.js';
import type { FromWorker, InitReply, ToWorker } from './protocol.js';
import { Replica } from './replica.js';

/** Worker thread entry: owns one replica, answers each request in order with exactly one reply. */
if (!parentPort) throw new Error('worker.ts must run in a worker thread');
const port = parentPort;
let replica: Replica | undefined;

function need(): Replica {
  if (!replica) throw new Error('worker received a request before init');
  return replica;
}

async function handle(msg: ToWorker): Promise<{ value: unknown; transfer?: ArrayBuffer[] }> {
  switch (msg.type) {
    case 'init': {
      const engine = await initEngine({ engine: msg.engine, purpose: 'train', log: () => {} });
      patchBatchNormGradient();
      patchConvInputGradient();
      useFusedBatchNormInTraining();
      useFusedLstmInTraining();
      replica = new Replica(msg);
      if (msg.initFrom) await replica.loadWeights(msg.initFrom);
      const reply: InitReply = { engine, paramCount: replica.paramCount, stateCount: replica.stateCount };
      return { value: reply };
    }
    case 'step': {
      const r = need();
      const many = msg.shards.length > 1;
      const results = msg.shards.map((job) => r.computeShard(job, msg.epoch, msg.step, many));
      return {
        value: results,
        transfer: results.flatMap((s) => [s.grads.buffer as ArrayBuffer, s.state.buffer as ArrayBuffer]),
      };
    }
    case 'apply':
      need().apply(msg.grads, msg.state, msg.lr, msg.t);
      return { value: null };
    case 'eval': {
      const res = need().evaluate(msg.split, msg.start, msg.end, msg.batchSize);
      return {
        value: res,
        transfer: [res.pred.buffer, res.predDigits.buffer, res.predLetters.buffer] as ArrayBuffer[],
      };
    }
    case 'getState': {
      const s = need().getState();
      return {
        value: s,
        transfer: [s.params.buffer, s.state.buffer, s.m.buffer, s.v.buffer] as ArrayBuffer[],
      };
    }
    case 'setState':
      need().setState(msg);
      return { value: null };
    case 'save':
      await need().save(msg.dir, msg.metadata as ModelMetadata | undefined);
      return { value: null };
    case 'close':
      setImmediate(() => process.exit(0));
      return { value: null };
  }
}

// Requests are handled strictly one after another (the coordinator relies on reply order).
let queue: Promise<void> = Promise.resolve();
port.on('message', (msg: ToWorker) => {
  queue = queue.then(async () => {
    try {
      const { value, transfer } = await handle(msg);
      port.postMessage({ type: 'reply', value } satisfies FromWorker, transfer ?? []);
    } catch (e) {
      const err = e as Error;
      const out: FromWorker = isHcrError(e)
        ? { type: 'error', message: e.message, code: e.code, hint: e.hint }
        : { type: 'error', message: err?.message ?? String(e), stack: err?.stack };
      port.postMessage(out);
    }
  });
});
