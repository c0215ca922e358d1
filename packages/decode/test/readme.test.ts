import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const here = (p: string) => new URL(p, import.meta.url);

describe('README', () => {
  it('shows exactly the runnable example in examples/read.ts', () => {
    const readme = readFileSync(here('../README.md'), 'utf8');
    const block = /```ts\n(import \{ LINE_ALPHABET_36[\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBe(readFileSync(here('../examples/read.ts'), 'utf8'));
  });
});
