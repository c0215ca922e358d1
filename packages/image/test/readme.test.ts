import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { describe, expect, it, vi } from 'vitest';

const here = (p: string) => new URL(p, import.meta.url);
const example = () => readFileSync(here('../examples/line.ts'), 'utf8');

/** Whitespace dropped: a comment's `{ x: 24, y: 10 }` matches the printed `{x:24,y:10}`. */
const normalise = (s: string) => s.replace(/\s+/g, '');

describe('README', () => {
  it('shows exactly the runnable example in examples/line.ts', () => {
    const readme = readFileSync(here('../README.md'), 'utf8');
    const block = /```ts\n(import \{ preprocessLine \}[\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBe(example());
  });

  it('prints what the comments of its example say', async () => {
    // each `console.log(...); // <output>: <explanation>` line: the output (an object up to its `}`, else up to
    // the first `: `), without the explanation
    const expected = example()
      .split('\n')
      .filter((line) => line.startsWith('console.log('))
      .map((line) => /^(\{.*?\}|.*?)(: .*)?$/.exec(line.slice(line.indexOf('// ') + 3))![1]!);
    const printed: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
      printed.push(args.map((a) => (typeof a === 'string' ? a : inspect(a, { compact: true }))).join(' '));
    });
    try {
      await import('../examples/line.js');
    } finally {
      log.mockRestore();
    }
    expect(printed.map(normalise)).toEqual(expected.map(normalise));
  });

  it('names every export of the package root and of @hcr/image/decode', async () => {
    const readme = readFileSync(here('../README.md'), 'utf8');
    for (const [file, mod] of [
      ['../src/index.ts', await import('../src/index.js')],
      ['../src/decode/index.ts', await import('../src/decode/index.js')],
    ] as const) {
      const types = [...readFileSync(here(file), 'utf8').matchAll(/\btype\s+(\w+)/g)].map((m) => m[1]!);
      const missing = [...Object.keys(mod), ...types].filter(
        (name) => !new RegExp(`\\b${name}\\b`).test(readme),
      );
      expect(missing, file).toEqual([]);
    }
  });

  it('gives tools that do not read `exports` the root build as main and types', () => {
    const pkg = JSON.parse(readFileSync(here('../package.json'), 'utf8'));
    expect([pkg.main, pkg.types]).toEqual([pkg.exports['.'].default, pkg.exports['.'].types]);
  });
});
