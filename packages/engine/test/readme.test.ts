import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { describe, expect, it, vi } from 'vitest';

const here = (p: string) => new URL(p, import.meta.url);
const example = () => readFileSync(here('../examples/train-kernels.ts'), 'utf8');

/** Whitespace dropped: a comment's `[ 3, 3, 1, 4 ]` matches the printed `[3,3,1,4]`. */
const normalise = (s: string) => s.replace(/\s+/g, '');

// The README's other ts block (starting a .ts worker through tsx's API) is a fragment, not run here: it needs a
// worker module's `url` (run by hand on 2026-12-07: a worker calling initEngine got its own wasm engine).
describe('README', () => {
  it('shows exactly the runnable example in examples/train-kernels.ts', () => {
    const readme = readFileSync(here('../README.md'), 'utf8');
    const block = /```ts\n(import \{ type EngineName[\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBe(example());
  });

  it('prints what the comments of its example say', async () => {
    // each `console.log(...); // <output>: <explanation>` line: the output (a list or object up to its last `]` or
    // `}`, which may hold `: `; else up to the first `: `), without the explanation
    const expected = example()
      .split('\n')
      .filter((line) => line.startsWith('console.log('))
      .map((line) => /^(\[.*\]|\{.*\}|.*?)(: .*)?$/.exec(line.slice(line.indexOf('// ') + 3))![1]!);
    const printed: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
      printed.push(args.map((a) => (typeof a === 'string' ? a : inspect(a, { compact: true }))).join(' '));
    });
    try {
      await import('../examples/train-kernels.js');
    } finally {
      log.mockRestore();
    }
    expect(expected).toHaveLength(6);
    expect(printed.map(normalise)).toEqual(expected.map(normalise));
  });
});
