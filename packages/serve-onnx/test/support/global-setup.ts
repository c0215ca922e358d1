import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { HANDWRITING_DIR, RANDOM_READER, RANDOM_READER_62, RANDOM_READER_SEED4 } from './paths.js';

/**
 * Vitest global setup: the handwriting photos (when the raw EMNIST test files are found; else one warning and
 * none) and the random-weight line readers exist before any serve test runs. Made in a child process
 * (workspace packages resolve to their sources there through --conditions=source, as in `pnpm hcr`).
 */
export default function setup() {
  const script = fileURLToPath(new URL('./make-handwriting-fixtures.ts', import.meta.url));
  execFileSync(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', script, HANDWRITING_DIR.replace(/\/$/, '')],
    {
      stdio: 'inherit',
    },
  );
  // The readers (tfjs build + ONNX export, a few seconds each) are made once per machine and kept in the temp dir.
  for (const [file, labels, seed] of [
    [RANDOM_READER, '36', '3'],
    [RANDOM_READER_62, '62', '3'],
    [RANDOM_READER_SEED4, '36', '4'],
  ] as const) {
    if (existsSync(file)) continue;
    const maker = fileURLToPath(new URL('./make-reader-model.ts', import.meta.url));
    execFileSync(process.execPath, ['--conditions=source', '--import', 'tsx', maker, file, labels, seed], {
      stdio: ['ignore', 'ignore', 'inherit'], // tfjs greets on stdout
    });
  }
}
