import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// Workspace packages resolve to their TypeScript sources (the `source` export condition),
// so tests never need a build first. The rest are Vite's server defaults.
const conditions = ['source', 'module', 'node', 'development|production'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Vitest's default, one worker fewer than the cores, is one worker on a 2-core machine: the suite then runs a
    // file at a time while most files wait on child processes, browsers and disk (1.2 cores busy on average).
    // Two workers there took the suite from 14 min 24 s to 10 min 17 s (2026-12-06, the same 1,383 tests).
    maxWorkers: Math.max(2, availableParallelism() - 1),
    // a temporary directory per run, removed at its end (vitest.tmpdir.ts); then the real handwriting photos
    // for the serving tests, made from the raw EMNIST test files (not committed)
    globalSetup: ['vitest.tmpdir.ts', 'packages/serve-onnx/test/support/global-setup.ts'],
  },
});
