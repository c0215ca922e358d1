import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { examplePrints, readmeTsBlock } from '../../core/test/support/readme-example.js';

const here = (p: string) => new URL(p, import.meta.url);
const example = here('../examples/read.ts');

/** Decimals to 3 places: a comment's `0.979` matches a printed 0.9794026764418707. */
const rounded = (s: string) => s.replace(/-?\d+\.\d+/g, (n) => Number(n).toFixed(3));

describe('README', () => {
  it('shows exactly the runnable example in examples/read.ts', () => {
    expect(readmeTsBlock(here('../README.md'), 'import { LINE_ALPHABET_36')).toBe(
      readFileSync(example, 'utf8'),
    );
  });

  it('prints what the comments of its example say', async () => {
    const { promised, printed } = await examplePrints(example, () => import('../examples/read.js'));
    expect(promised).toHaveLength(7);
    expect(printed.map(rounded)).toEqual(promised.map(rounded));
  });
});
