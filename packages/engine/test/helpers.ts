import '@tensorflow/tfjs-backend-cpu';
// Registers all gradient functions (tfjs-core's Node bundle registers none).
import '@tensorflow/tfjs-layers';
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import { registerFastWasmKernels } from '../src/index.js';

export async function setup(): Promise<void> {
  registerFastWasmKernels();
  await tf.setBackend('wasm');
  await tf.ready();
}

/** Deterministic pseudo-random floats in [-1, 1). */
export function rand(n: number, seed: number, quantize = false): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const v = s / 2 ** 32 - 0.5;
    // Quantized values make many ties (as after ReLU), which max-pool gradients must break alike.
    out[i] = quantize ? Math.max(0, Math.round(v * 6)) : v * 2;
  }
  return out;
}

/** Runs fn on a backend and returns the flattened result(s). */
export async function on(
  backend: 'cpu' | 'wasm',
  fn: () => tf.Tensor | tf.Tensor[],
): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const out = tf.tidy(fn);
  const list = Array.isArray(out) ? out : [out];
  const res = list.map((t) => {
    expect(t.dtype).toBe('float32');
    return t.dataSync() as Float32Array;
  });
  tf.dispose(list);
  return res.map((r) => Float32Array.from(r));
}

export function expectClose(actual: Float32Array, expected: Float32Array, rtol = 1e-4, what = ''): void {
  expect(actual.length, `${what} length`).toBe(expected.length);
  let maxAbs = 0;
  for (const v of expected) maxAbs = Math.max(maxAbs, Math.abs(v));
  const atol = rtol * Math.max(maxAbs, 1e-3);
  let worst = 0;
  let worstAt = -1;
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]) - rtol * Math.abs(expected[i]);
    if (!(err <= worst)) {
      worst = err;
      worstAt = i;
    }
  }
  if (!(worst <= atol)) {
    throw new Error(
      `${what}: element ${worstAt} is ${actual[worstAt]}, expected ${expected[worstAt]} (atol ${atol.toExponential(2)})`,
    );
  }
}
