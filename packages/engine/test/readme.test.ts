import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { examplePrints, readmeTsBlock } from '../../core/test/support/readme-example.js';

const example = new URL('../examples/train-kernels.ts', import.meta.url);

// The README's other ts block (starting a .ts worker through tsx's API) is a fragment, not run here: it needs a
// worker module's `url` (run by hand on 2026-12-07: a worker calling initEngine got its own wasm engine).
describe('README', () => {
  it('shows exactly the runnable example in examples/train-kernels.ts', () => {
    const block = readmeTsBlock(new URL('../README.md', import.meta.url), 'import { type EngineName');
    expect(block).toBe(readFileSync(example, 'utf8'));
  });

  it('prints what the comments of its example say', async () => {
    const { promised, printed } = await examplePrints(example, () => import('../examples/train-kernels.js'));
    expect(promised).toHaveLength(6);
    expect(printed).toEqual(promised);
  });
});
