import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { describe, expect, it, vi } from 'vitest';

const here = (p: string) => new URL(p, import.meta.url);

/** Whitespace dropped and decimals to 3 places: a comment's `0.979` matches a printed 0.9794026764418707. */
const normalise = (s: string) => s.replace(/\s+/g, '').replace(/-?\d+\.\d+/g, (n) => Number(n).toFixed(3));

describe('README', () => {
  it('shows exactly the runnable example in examples/read.ts', () => {
    const readme = readFileSync(here('../README.md'), 'utf8');
    const block = /```ts\n(import \{ LINE_ALPHABET_36[\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBe(readFileSync(here('../examples/read.ts'), 'utf8'));
  });

  it('prints what the comments of its example say', async () => {
    // each `console.log(...); // <output>: <explanation>` line: the output, without the explanation
    const expected = readFileSync(here('../examples/read.ts'), 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('console.log('))
      .map((line) => line.slice(line.indexOf('// ') + 3).replace(/: [a-z].*$/, ''));
    const printed: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
      printed.push(
        args
          .map((a) => (typeof a === 'string' ? a : inspect(a, { compact: true, breakLength: Infinity })))
          .join(' '),
      );
    });
    try {
      await import('../examples/read.js');
    } finally {
      log.mockRestore();
    }
    expect(printed.map(normalise)).toEqual(expected.map(normalise));
  });
});
