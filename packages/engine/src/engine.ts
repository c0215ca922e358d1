import { HcrError } from '@hcr/core';
import * as tf from '@tensorflow/tfjs-core';
import { registerFastWasmKernels } from './register.js';

export type EngineName = 'auto' | 'node' | 'wasm' | 'cpu';

export interface EngineInfo {
  /** The engine in use. */
  name: 'node' | 'wasm' | 'cpu';
  /** The tfjs backend name: 'tensorflow' (tfjs-node), 'wasm' or 'cpu'. */
  backend: string;
  /** Whether our fast WebAssembly training kernels are registered and in use. */
  fastKernels: boolean;
}

export interface InitEngineOptions {
  engine?: EngineName;
  purpose?: 'train' | 'infer';
  log?: (line: string) => void;
}

const NODE_HINT =
  'Install it where the network can reach its native TensorFlow download (`pnpm add @tensorflow/tfjs-node`), ' +
  'or use the WebAssembly engine instead: `--engine wasm` (or `--engine auto`).';

let current: { requested: EngineName; info: EngineInfo } | undefined;
let pending: Promise<EngineInfo> | undefined;

async function tryNode(): Promise<{ ok: true } | { ok: false; error: unknown }> {
  try {
    // A variable specifier keeps bundlers and tsc from requiring the optional peer.
    const spec = '@tensorflow/tfjs-node';
    await import(spec);
    if (!tf.findBackend('tensorflow'))
      return { ok: false, error: new Error('backend "tensorflow" not registered') };
    const ok = await tf.setBackend('tensorflow');
    return ok ? { ok: true } : { ok: false, error: new Error('setBackend("tensorflow") failed') };
  } catch (error) {
    return { ok: false, error };
  }
}

async function useWasm(): Promise<void> {
  await import('@tensorflow/tfjs-backend-wasm');
  registerFastWasmKernels();
  if (!(await tf.setBackend('wasm'))) throw new Error('setBackend("wasm") failed');
  await tf.ready();
}

/**
 * tfjs-core's Node bundle registers no gradient functions; tfjs-layers' bundle registers all of
 * them (into the global registry). Training needs them, so make sure they are there.
 */
async function ensureGradients(): Promise<void> {
  if (tf.getGradient('Conv2D')) return;
  await import('@tensorflow/tfjs-layers');
}

function firstLine(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  return m.split('\n')[0] ?? m;
}

async function select(
  engine: EngineName,
  purpose: 'train' | 'infer',
  log: (line: string) => void,
): Promise<EngineInfo> {
  if (engine === 'node' || engine === 'auto') {
    const r = await tryNode();
    if (r.ok) {
      log(`engine: node (@tensorflow/tfjs-node, backend 'tensorflow')`);
      return { name: 'node', backend: tf.getBackend(), fastKernels: false };
    }
    if (engine === 'node') {
      throw new HcrError(
        'ENGINE_NODE_UNAVAILABLE',
        `The native engine (@tensorflow/tfjs-node) cannot be loaded: ${firstLine(r.error)}.`,
        {
          hint: NODE_HINT,
          cause: r.error,
        },
      );
    }
  }
  if (engine === 'cpu') {
    await import('@tensorflow/tfjs-backend-cpu');
    if (!(await tf.setBackend('cpu'))) throw new Error('setBackend("cpu") failed');
    await tf.ready();
    log(
      purpose === 'train'
        ? 'engine: cpu (pure JavaScript) - warning: about 100x slower than wasm for training; use --engine wasm'
        : 'engine: cpu (pure JavaScript) - warning: much slower than wasm; use --engine wasm',
    );
    return { name: 'cpu', backend: tf.getBackend(), fastKernels: false };
  }
  await useWasm();
  log(`engine: wasm (WebAssembly SIMD, XNNPACK) with @hcr/engine fast training kernels`);
  return { name: 'wasm', backend: tf.getBackend(), fastKernels: true };
}

/**
 * Picks and initializes the TensorFlow.js backend. 'auto' tries tfjs-node, then wasm with our fast
 * kernels; it never picks cpu. Idempotent: a second call with the same engine returns the same
 * answer without re-initializing (or logging) again. Call it in every worker thread.
 */
export async function initEngine(opts: InitEngineOptions = {}): Promise<EngineInfo> {
  const engine = opts.engine ?? 'auto';
  const purpose = opts.purpose ?? 'train';
  const log = opts.log ?? ((line: string) => console.error(line));
  if (!['auto', 'node', 'wasm', 'cpu'].includes(engine)) {
    throw new HcrError('ENGINE_UNKNOWN', `Unknown engine '${engine}'.`, {
      hint: 'Use one of: auto, node, wasm, cpu.',
    });
  }
  while (pending) await pending.catch(() => undefined);
  if (current && (current.requested === engine || (engine === 'auto' && current.info.name !== 'cpu'))) {
    if (tf.getBackend() === current.info.backend) return { ...current.info };
  }
  if (purpose === 'train') await ensureGradients();
  const p = select(engine, purpose, log);
  pending = p;
  try {
    const info = await p;
    current = { requested: engine, info };
    return { ...info };
  } finally {
    pending = undefined;
  }
}
