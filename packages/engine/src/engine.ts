import { HcrError } from '@hcr/core';
import * as tf from '@tensorflow/tfjs-core';
import { simdKernels } from './kernels/simd.js';
import type { WasmBackend } from './kernels/util.js';
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
let nodeSkipLogged = false;

/** True when the error only says that @tensorflow/tfjs-node itself cannot be found (nothing to report). */
function notInstalled(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  // Node ('Cannot find package ...'), and Vite/vitest's resolver ('Could not resolve "..."').
  return /(Cannot find (package|module)|Could not resolve|Failed to load url) ['"]?@tensorflow\/tfjs-node['"\s]/.test(
    `${message} `,
  );
}

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

/** Which tfjs-backend-wasm binary loaded: SIMD unless WASM_HAS_SIMD_SUPPORT is false (never threaded in Node). */
async function wasmBuild(): Promise<string> {
  const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
  return simd ? 'WebAssembly SIMD' : 'WebAssembly without SIMD (WASM_HAS_SIMD_SUPPORT is false)';
}

/** Says so when our SIMD helper module cannot run here (the kernels then use their JavaScript loops). */
function helperNote(): string {
  return simdKernels(tf.backend() as unknown as WasmBackend)
    ? ''
    : '; SIMD helper module unavailable, its kernels use JavaScript loops';
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
    if (engine === 'auto' && !nodeSkipLogged && !notInstalled(r.error)) {
      // A missing tfjs-node is the normal case here; an installed one that does not load is worth one line.
      nodeSkipLogged = true;
      log(`engine: @tensorflow/tfjs-node is installed but does not load (${firstLine(r.error)}); using wasm`);
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
  log(`engine: wasm (${await wasmBuild()}, XNNPACK) with @hcr/engine fast training kernels${helperNote()}`);
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
  if (!['train', 'infer'].includes(purpose)) {
    throw new HcrError('ENGINE_PURPOSE_UNKNOWN', `Unknown engine purpose '${purpose}'.`, {
      hint: 'Use one of: train, infer.',
    });
  }
  // One initialisation at a time: `pending` is set before this call's first await, so a concurrent call
  // waits for it and then sees its answer (two identical calls log once; the last call's engine wins).
  while (pending) await pending.catch(() => undefined);
  const same =
    current !== undefined &&
    (current.requested === engine || (engine === 'auto' && current.info.name !== 'cpu')) &&
    tf.getBackend() === current.info.backend;
  if (same && (purpose !== 'train' || tf.getGradient('Conv2D'))) return { ...current!.info };
  const p = (async () => {
    if (purpose === 'train') await ensureGradients();
    if (same) return current!.info;
    const info = await select(engine, purpose, log);
    current = { requested: engine, info };
    return info;
  })();
  pending = p;
  try {
    return { ...(await p) };
  } finally {
    if (pending === p) pending = undefined;
  }
}
