import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Vitest global setup: each test run gets its own temporary directory, TMPDIR for the test workers and every
 * process they start (CLIs, pnpm, Chromium), removed when the run ends, so the scratch directories tests make
 * (a few hundred per run) never pile up in the machine's temp dir. Fixtures made once per machine and kept
 * between runs (models, photos, the pack lock) live in HCR_TEST_CACHE_DIR: the machine's temp dir.
 */
export default function setup(): () => void {
  const cache = process.env.HCR_TEST_CACHE_DIR ?? tmpdir();
  const run = mkdtempSync(join(cache, 'hcr-test-run-'));
  process.env.HCR_TEST_CACHE_DIR = cache;
  process.env.TMPDIR = run;
  return () => rmSync(run, { recursive: true, force: true });
}
