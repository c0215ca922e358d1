import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { describe, expect, it, vi } from 'vitest';

const here = (p: string) => new URL(p, import.meta.url);
const example = () => readFileSync(here('../examples/encode.ts'), 'utf8');

/** Whitespace dropped: a comment's `{ dim_value: 3 }` matches the printed `{dim_value:3}`. */
const normalise = (s: string) => s.replace(/\s+/g, '');

describe('README', () => {
  it('shows exactly the runnable example in examples/encode.ts', () => {
    const readme = readFileSync(here('../README.md'), 'utf8');
    const block = /```ts\n(import \{ DataType, decodeModel[\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBe(example());
  });

  it('prints what the comments of its example say', async () => {
    // each `console.log(...); // <output>: <explanation>` line: the output, without the explanation (a `: ` and a
    // word; `dim_value: 3` is output)
    const expected = example()
      .split('\n')
      .filter((line) => line.trimStart().startsWith('console.log('))
      .map((line) => /^(.*?)(: [A-Za-z].*)?$/.exec(line.slice(line.indexOf('// ') + 3))![1]!);
    const printed: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
      printed.push(args.map((a) => (typeof a === 'string' ? a : inspect(a, { compact: true }))).join(' '));
    });
    try {
      await import('../examples/encode.js');
    } finally {
      log.mockRestore();
    }
    expect(expected).toHaveLength(3);
    expect(printed.map(normalise)).toEqual(expected.map(normalise));
  });
});
