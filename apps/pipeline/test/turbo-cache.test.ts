import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../../..');
const run = promisify(execFile);

interface DryTask {
  taskId: string;
  resolvedTaskDefinition: { inputs: string[]; env: string[]; passThroughEnv: string[] | null };
  /** The files hashed, by path relative to the task's package. */
  inputs: Record<string, string>;
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

  it("hashes the real dev sets into the reader's eval: a changed image or label reads them again", async () => {
    const task = (await dryRun()).tasks.find((t) => t.taskId === '@hcr/reader-pipeline#eval')!;
    const globs = task.resolvedTaskDefinition.inputs.map((i) => i.replace(/^(\.\.\/)+/, ''));
    for (const set of ['handwritten-names-dev', 'handwritten-amounts-dev']) {
      expect(globs).toContain(`shared/data/${set}/**`);
      // The data beside the repository (../shared/data) is hashed file by file when it is there.
      if (existsSync(resolve(ROOT, '../shared/data', set, 'labels.tsv')))
        expect(Object.keys(task.inputs)).toContain(`../../../shared/data/${set}/labels.tsv`);
    }
  }, 60_000);
});
