import { HcrError } from '@hcr/core';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { fastKernelNames, initEngine } from '../src/index.js';

describe('initEngine', () => {
  it('auto picks wasm with the fast kernels here (tfjs-node cannot load), logs one line, never cpu', async () => {
    const lines: string[] = [];
    const info = await initEngine({ engine: 'auto', log: (l) => lines.push(l) });
    expect(info).toEqual({ name: 'wasm', backend: 'wasm', fastKernels: true });
    expect(tf.getBackend()).toBe('wasm');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/wasm/);
    for (const k of fastKernelNames) expect(tf.getKernel(k, 'wasm')).toBeTruthy();
    // Gradients are registered for training.
    expect(tf.getGradient('Conv2D')).toBeTruthy();
  });

  it('is idempotent', async () => {
    const lines: string[] = [];
    const a = await initEngine({ log: (l) => lines.push(l) });
    const b = await initEngine({ engine: 'wasm', log: (l) => lines.push(l) });
    expect(a).toEqual(b);
    expect(tf.getBackend()).toBe('wasm');
  });

  it("explicit 'node' throws a clear HcrError when tfjs-node cannot load", async () => {
    const err = await initEngine({ engine: 'node', log: () => {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HcrError);
    const e = err as HcrError;
    expect(e.code).toBe('ENGINE_NODE_UNAVAILABLE');
    expect(e.toParagraph()).toMatch(/tfjs-node/);
    expect(e.toParagraph()).toMatch(/pnpm add @tensorflow\/tfjs-node/);
    expect(e.toParagraph()).toMatch(/--engine wasm/);
    // The backend in use is unchanged.
    expect(tf.getBackend()).toBe('wasm');
  });

  it("'cpu' only when asked, with a warning", async () => {
    const lines: string[] = [];
    const info = await initEngine({ engine: 'cpu', log: (l) => lines.push(l) });
    expect(info.name).toBe('cpu');
    expect(lines.join('\n')).toMatch(/slower/);
    const back = await initEngine({ engine: 'auto', log: () => {} });
    expect(back.name).toBe('wasm');
  });
});

describe('initEngine options', () => {
  it('an unknown purpose is an HcrError naming the choices', async () => {
    const err = await initEngine({ purpose: 'training' as never, log: () => {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HcrError);
    expect((err as HcrError).code).toBe('ENGINE_PURPOSE_UNKNOWN');
    expect((err as HcrError).toParagraph()).toMatch(/train, infer/);
  });
});
