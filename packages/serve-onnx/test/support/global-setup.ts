import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { HANDWRITING_DIR } from './paths.js';

/**
 * Vitest global setup: the handwriting photos exist before any serve test runs. Made in a child process
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
}
