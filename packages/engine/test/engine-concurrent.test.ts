import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { initEngine } from '../src/index.js';

// A file of its own: the first call here must be the one that initialises the engine in this process.
describe('concurrent initEngine calls', () => {
  it('two identical calls at once initialise and log once', async () => {
    const lines: string[] = [];
    const log = (l: string) => lines.push(l);
    const [a, b] = await Promise.all([
      initEngine({ engine: 'wasm', log }),
      initEngine({ engine: 'wasm', log }),
    ]);
    expect(a).toEqual({ name: 'wasm', backend: 'wasm', fastKernels: true });
    expect(b).toEqual(a);
    expect(lines).toHaveLength(1);
  });

  it('run one after the other: each answer is the backend it set, and the last one stays', async () => {
    const log = () => {};
    const [c, w] = await Promise.all([
      initEngine({ engine: 'cpu', log }),
      initEngine({ engine: 'wasm', log }),
    ]);
    expect(c.backend).toBe('cpu');
    expect(w.backend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    const [w2, c2] = await Promise.all([
      initEngine({ engine: 'wasm', log }),
      initEngine({ engine: 'cpu', log }),
    ]);
    expect(w2.backend).toBe('wasm');
    expect(c2.backend).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
  });
});
