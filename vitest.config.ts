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
    // a temporary directory per run, removed at its end (vitest.tmpdir.ts); then the real handwriting photos
    // for the serving tests, made from the raw EMNIST test files (not committed)
    globalSetup: ['vitest.tmpdir.ts', 'packages/serve-onnx/test/support/global-setup.ts'],
  },
});
