import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { examplePrints, readmeTsBlock } from './support/readme-example.js';

const example = new URL('../examples/basics.ts', import.meta.url);

describe('README', () => {
  it('shows exactly the runnable example in examples/basics.ts', () => {
    const block = readmeTsBlock(new URL('../README.md', import.meta.url), 'import { mkdtemp');
    expect(block).toBe(readFileSync(example, 'utf8'));
  });

  it('prints what the comments of its example say', async () => {
    const { promised, printed } = await examplePrints(example, () => import('../examples/basics.js'));
    expect(promised).toHaveLength(8);
    expect(printed).toEqual(promised);
  });
});
