import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { examplePrints, readmeTsBlock } from '../../core/test/support/readme-example.js';

const here = (p: string) => new URL(p, import.meta.url);
const example = here('../examples/line.ts');

describe('README', () => {
  it('shows exactly the runnable example in examples/line.ts', () => {
    expect(readmeTsBlock(here('../README.md'), 'import { preprocessLine }')).toBe(
      readFileSync(example, 'utf8'),
    );
  });

  it('prints what the comments of its example say', async () => {
    const { promised, printed } = await examplePrints(example, () => import('../examples/line.js'));
    expect(promised).toHaveLength(5);
    expect(printed).toEqual(promised);
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
