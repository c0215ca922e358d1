import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { examplePrints, readmeTsBlock } from '../../core/test/support/readme-example.js';

const example = new URL('../examples/save-load.ts', import.meta.url);

describe('README', () => {
  it('shows exactly the runnable example in examples/save-load.ts', () => {
    const block = readmeTsBlock(
      new URL('../README.md', import.meta.url),
      "import '@tensorflow/tfjs-backend-cpu';",
    );
    expect(block).toBe(readFileSync(example, 'utf8'));
  });

  it('prints what the comments of its example say', async () => {
    const { promised, printed } = await examplePrints(example, () => import('../examples/save-load.js'));
    expect(promised).toHaveLength(3);
    expect(printed).toEqual(promised);
  });
});
