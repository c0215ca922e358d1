import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../../..');
const run = promisify(execFile);

interface DryTask {
  taskId: string;
  resolvedTaskDefinition: { inputs: string[]; env: string[]; passThroughEnv: string[] | null };
}

/** What `turbo run train eval` would hash, without running anything. */
async function dryRun(): Promise<{ globalCacheInputs: Record<string, unknown>; tasks: DryTask[] }> {
  const turbo = resolve(ROOT, 'node_modules/.bin/turbo');
  const { stdout } = await run(turbo, ['run', 'train', 'eval', '--dry=json'], {
    cwd: ROOT,
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(stdout);
}

describe('the pipeline cache (turbo run train eval)', () => {
  it('hashes only what its tasks read: no package is hashed whole into every task', async () => {
    const dry = await dryRun();
    // A workspace package named in the root package.json puts every file of it (tests included) into the global
    // hash, so any edit reran the whole pipeline; the root's @hcr/cli comes from .pnpmfile.cjs instead.
    expect(dry.globalCacheInputs.hashOfInternalDependencies).toBe('');
    const pipeline = dry.tasks.filter((t) => /^@hcr\/(reader-)?pipeline#/.test(t.taskId));
    expect(pipeline.length).toBeGreaterThanOrEqual(8);
    for (const task of pipeline) {
      // every task runs the CLI from its sources, with the locked dependency versions
      // (turbo resolves $TURBO_ROOT$ to a path relative to the task's package)
      const inputs = task.resolvedTaskDefinition.inputs.map((i) => i.replace(/^(\.\.\/)+/, ''));
      expect(inputs, task.taskId).toContain('apps/cli/src/**');
      expect(inputs, task.taskId).toContain('pnpm-lock.yaml');
    }
    for (const id of ['@hcr/pipeline#shards', '@hcr/reader-pipeline#line-shards']) {
      const task = pipeline.find((t) => t.taskId === id)!;
      expect(task.resolvedTaskDefinition.env, id).toEqual(
        expect.arrayContaining(['HCR_DATA_DIR', 'HCR_DATASET_LOCK']),
      );
      expect(task.resolvedTaskDefinition.passThroughEnv, id).toContain('HCR_DATA_MIRROR');
    }
  }, 60_000);
});
