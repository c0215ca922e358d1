import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { vi } from 'vitest';

/**
 * The README usage examples of the packages are files (`examples/*.ts`) the README shows verbatim, and each
 * `console.log(...); // <output>: <explanation>` line of one says what it prints. These read both sides, for the
 * packages' readme.test.ts.
 */

/** The README's ```ts block that begins with `start` (its first characters), or undefined. */
export function readmeTsBlock(readme: URL, start: string): string | undefined {
  return readFileSync(readme, 'utf8')
    .split('```ts\n')
    .slice(1)
    .map((rest) => rest.slice(0, rest.indexOf('```')))
    .find((block) => block.startsWith(start));
}

/** Whitespace dropped: a comment's `{ a: 1 }` matches the printed `{a:1}`. */
const normalise = (s: string) => s.replace(/\s+/g, '');

/**
 * What the example's comments promise and what running it printed, whitespace dropped. A comment's output is a
 * list or object up to its last `]` or `}` (it may hold `: `), else the text up to a `: ` and a letter, which
 * starts the explanation (`10: EMNIST's label 1 is A` promises 10; `{ 'hcr.model_id': 'example' }` is all output).
 */
export async function examplePrints(
  example: URL,
  run: () => Promise<unknown>,
): Promise<{ promised: string[]; printed: string[] }> {
  const promised = readFileSync(example, 'utf8')
    .split('\n')
    .filter((line) => line.trimStart().startsWith('console.log(') && line.includes('// '))
    .map((line) => /^(\[.*\]|\{.*\}|.*?)(: [A-Za-z].*)?$/.exec(line.slice(line.indexOf('// ') + 3))![1]!);
  const printed: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    printed.push(args.map((a) => (typeof a === 'string' ? a : inspect(a, { compact: true }))).join(' '));
  });
  try {
    await run();
  } finally {
    log.mockRestore();
  }
  return { promised: promised.map(normalise), printed: printed.map(normalise) };
}
