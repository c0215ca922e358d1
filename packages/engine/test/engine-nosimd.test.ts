import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { initEngine } from '../src/index.js';

// A file of its own: the flag must be set before the wasm backend initialises in this process.
describe('initEngine with WebAssembly SIMD turned off', () => {
  it('says which build it loaded', async () => {
    tf.env().set('WASM_HAS_SIMD_SUPPORT', false);
    const lines: string[] = [];
    const info = await initEngine({ engine: 'wasm', log: (l) => lines.push(l) });
    expect(info.name).toBe('wasm');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/without SIMD/);
    expect(lines[0]).not.toMatch(/WebAssembly SIMD/);
    expect(tf.tidy(() => Array.from(tf.matMul(tf.ones([2, 3]), tf.ones([3, 2])).dataSync()))).toEqual([
      3, 3, 3, 3,
    ]);
  });
});
