import { SIMD_WASM_BASE64 } from './simd_wasm.js';
import type { WasmBackend } from './util.js';

export interface SimdKernels {
  sum_rows(x: number, rows: number, cols: number, out: number): void;
  maxpool_grad_2x2(
    x: number,
    dy: number,
    dx: number,
    n: number,
    H: number,
    W: number,
    C: number,
    oH: number,
    oW: number,
  ): void;
  bn_moments(x: number, rows: number, C: number, k: number, s: number, q: number): void;
  bn_grad_sums(dy: number, x: number, rows: number, C: number, m: number, s: number, p: number): void;
  bn_affine(
    x: number,
    y: number,
    rows: number,
    C: number,
    a: number,
    b: number,
    e: number,
    out: number,
  ): void;
}

// The WebAssembly global is not in this project's TypeScript libs (no DOM); type what we use.
interface WasmMemory {
  buffer: ArrayBuffer;
}
interface WasmApi {
  Memory: new (...args: never[]) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

let compiled: object | null | undefined;
const instances = new WeakMap<object, SimdKernels | null>();

/**
 * Our SIMD helper module (wasm/kernels.wat), instantiated on the tfjs wasm backend's own memory so
 * it reads and writes tensors in place. null when that memory is not reachable (then callers use
 * their JavaScript path).
 */
export function simdKernels(backend: WasmBackend): SimdKernels | null {
  const key = backend.wasm;
  const have = instances.get(key);
  if (have !== undefined) return have;
  let inst: SimdKernels | null = null;
  try {
    const memory = (backend.wasm.asm as { memory?: WasmMemory } | undefined)?.memory;
    if (memory instanceof WA.Memory && !(memory.buffer instanceof SharedArrayBuffer)) {
      if (!compiled) compiled = new WA.Module(Buffer.from(SIMD_WASM_BASE64, 'base64'));
      inst = new WA.Instance(compiled, { env: { memory } }).exports as SimdKernels;
    }
  } catch {
    inst = null;
  }
  instances.set(key, inst);
  return inst;
}

export function offsetOf(backend: WasmBackend, dataId: object): number {
  return backend.dataIdMap.get(dataId).memoryOffset;
}
