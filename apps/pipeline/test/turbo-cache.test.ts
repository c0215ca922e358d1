import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { importClosure } from './import-closure.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const run = promisify(execFile);

interface DryTask {
  taskId: string;
  task: string;
  /** The task's package folder, relative to the root. */
  directory: string;
  /** The tasks it depends on (their hashes are part of its own). */
  dependencies: string[];
  resolvedTaskDefinition: { inputs: string[]; env: string[]; passThroughEnv: string[] | null };
  envMode: string;
  /** The files hashed, by path relative to the task's package. */
  inputs: Record<string, string>;
}

/** What `turbo run train eval` (and more tasks) would hash, without running anything. */
async function dryRun(
  tasks = ['train', 'eval'],
): Promise<{ globalCacheInputs: Record<string, unknown>; tasks: DryTask[] }> {
  const turbo = resolve(ROOT, 'node_modules/.bin/turbo');
  const { stdout } = await run(turbo, ['run', ...tasks, '--dry=json'], {
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
      // every task runs the CLI from its sources (its launcher, its top-level modules and its command's: the test
      // below checks those are all it loads), with the locked dependency versions
      // (turbo resolves $TURBO_ROOT$ to a path relative to the task's package)
      const inputs = task.resolvedTaskDefinition.inputs.map((i) => i.replace(/^(\.\.\/)+/, ''));
      expect(inputs, task.taskId).toEqual(expect.arrayContaining(['apps/cli/bin/**', 'apps/cli/src/*.ts']));
      expect(inputs, task.taskId).toContain('pnpm-lock.yaml');
      // strict: a variable the task does not declare never reaches it, so only the declared ones can change its
      // output; those passed through unhashed change none of its bytes (a mirror and a download timeout: the
      // lock's sums fix the data)
      expect(task.envMode, task.taskId).toBe('strict');
      for (const name of task.resolvedTaskDefinition.passThroughEnv ?? [])
        expect(['HCR_DATA_MIRROR', 'HCR_DOWNLOAD_STALL_MS'], task.taskId).toContain(name);
    }
    for (const id of ['@hcr/pipeline#shards', '@hcr/reader-pipeline#line-shards']) {
      const task = pipeline.find((t) => t.taskId === id)!;
      expect(task.resolvedTaskDefinition.env, id).toEqual(
        expect.arrayContaining(['HCR_DATA_DIR', 'HCR_DATASET_LOCK']),
      );
      // not hashed, but passed: in strict mode turbo hands a task only the variables it names
      expect(task.resolvedTaskDefinition.passThroughEnv, id).toEqual(
        expect.arrayContaining(['HCR_DATA_MIRROR', 'HCR_DOWNLOAD_STALL_MS']),
      );
    }
  }, 60_000);

  it('hashes into each package build the tsconfig it extends: a changed compiler option builds dist again', async () => {
    // the packages' tsconfig.build.json extend the root's tsconfig.base.json (declaration, source maps, target):
    // not hashed, a change there was a cache hit serving the old dist (what pnpm pack and the install tests use)
    const dry = await dryRun(['build']);
    const builds = dry.tasks.filter((t) => t.task === 'build' && t.directory.startsWith('packages/'));
    expect(builds.length).toBeGreaterThanOrEqual(10);
    let checked = 0;
    for (const task of builds) {
      const extendsBase = /"extends":\s*"\.\.\/\.\.\/tsconfig\.base\.json"/.test(
        readFileSync(resolve(ROOT, task.directory, 'tsconfig.build.json'), 'utf8'),
      );
      if (!extendsBase) continue;
      expect(Object.keys(task.inputs), task.taskId).toContain('../../tsconfig.base.json');
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(10);
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

/** The `hcr` invocations of a task: its package.json script, and the lines of the .sh file it runs. */
function hcrCommands(task: DryTask): { script?: string; commands: string[][] } {
  const dir = resolve(ROOT, task.directory);
  const line: string = JSON.parse(readFileSync(resolve(dir, 'package.json'), 'utf8')).scripts[task.task];
  const sh = /^sh \.\/(\S+\.sh)$/.exec(line)?.[1];
  // the script's commands, not its comments
  const text = sh ? readFileSync(resolve(dir, sh), 'utf8').replace(/^\s*#.*$/gm, '') : line;
  const commands = [...text.matchAll(/\bhcr((?:\s+[a-z][\w-]*)+)/g)].map((m) => m[1].trim().split(/\s+/));
  return { script: sh && relative(ROOT, resolve(dir, sh)), commands };
}

/** The command modules main.ts imports for each `hcr` command (it imports only the one that runs). */
function commandModules(): Map<string, string[]> {
  const main = readFileSync(resolve(ROOT, 'apps/cli/src/main.ts'), 'utf8');
  const modules = new Map<string, string[]>();
  for (const block of main.split(/\bname: '/).slice(1)) {
    const name = block.slice(0, block.indexOf("'"));
    const loads = [...block.matchAll(/import\('\.\/(commands\/[\w-]+)\.js'\)/g)].map(
      (m) => `apps/cli/src/${m[1]}.ts`,
    );
    modules.set(name, loads);
  }
  return modules;
}

/**
 * Modules a command loads only to register a subcommand the pipeline never runs, each with the invocation that
 * does run it: `hcr export` also registers `export triton` (@hcr/serve-onnx), `hcr data` also registers
 * `data lines import` (@hcr/eval, @hcr/serve-onnx, @hcr/model). Loading them runs their declarations only (none of
 * those modules sets anything up at load); hashing them into the data tasks would rerun training for an edit of
 * the server.
 */
const MAIN = 'apps/cli/src/main.ts';
const NOT_RUN: { file: string; spec: string; unless: string }[] = [
  { file: MAIN, spec: './commands/export-triton.js', unless: 'export triton' },
  { file: 'apps/cli/src/commands/data.ts', spec: './data-import.js', unless: 'data lines import' },
];

/** Files a task reads that it need not hash, and why. */
const NOT_HASHED: Record<string, string> = {
  'apps/cli/package.json': 'read for `hcr --version` only',
  'packages/eval/package.json':
    "the version in a report's environment block, beside its date and machine (not deterministic by design)",
};

describe('every file a pipeline task loads is hashed into it', () => {
  // The import closure of the hcr commands each task runs (from apps/cli/bin, through the workspace packages'
  // source exports, worker threads and data files beside the code), each file found among those the task or a
  // task it depends on hashes. It caught apps/cli/bin/hcr-dev.js hashed by no task, and @hcr/decode (loaded by
  // @hcr/eval) not hashed into the character pipeline's eval.
  it('finds each file a task loads among the files it or a task it depends on hashes', async () => {
    const dry = await dryRun(['train', 'eval', 'ensemble']);
    const byId = new Map(dry.tasks.map((t) => [t.taskId, t]));
    const modules = commandModules();
    /** The files a task hashes with those of the tasks it depends on (turbo folds their hashes into its own). */
    const hashed = (task: DryTask, into = new Set<string>()): Set<string> => {
      for (const file of Object.keys(task.inputs))
        into.add(relative(ROOT, resolve(ROOT, task.directory, file)));
      for (const dep of task.dependencies) hashed(byId.get(dep)!, into);
      return into;
    };
    const pipeline = dry.tasks.filter((t) => /^@hcr\/(reader-)?pipeline#/.test(t.taskId));
    expect(pipeline.map((t) => t.taskId)).toContain('@hcr/reader-pipeline#ensemble');
    const missing: string[] = [];
    const loaded = new Map<string, string[]>();
    for (const task of pipeline) {
      const { script, commands } = hcrCommands(task);
      expect(commands.length, task.taskId).toBeGreaterThan(0);
      // what the task's invocations leave unrun: dropped from main.ts's command modules, or an import not followed
      const notRun = NOT_RUN.filter((n) => !commands.some((words) => words.join(' ').startsWith(n.unless)));
      const dropped = notRun
        .filter((n) => n.file === MAIN)
        .map((n) => relative(ROOT, resolve(ROOT, 'apps/cli/src', n.spec.replace(/\.js$/, '.ts'))));
      const entries = ['apps/cli/bin/hcr-dev.js', 'apps/cli/src/bin.ts'];
      for (const words of commands) {
        const loads = modules.get(words[0]);
        expect(loads, `hcr ${words[0]} (${task.taskId})`).toBeDefined();
        entries.push(...loads!.filter((m) => !dropped.includes(m)));
      }
      const closure = importClosure(ROOT, entries, {
        lazy: [MAIN],
        cut: notRun.filter((n) => n.file !== MAIN).map((n) => [n.file, n.spec]),
      });
      loaded.set(task.taskId, closure.files);
      const files = new Set(hashed(task));
      for (const file of [...closure.files, ...(script ? [script] : [])])
        if (!files.has(file) && !(file in NOT_HASHED))
          missing.push(`${task.taskId}: ${file} (${closure.via(file).join(' -> ') || 'its script'})`);
    }
    expect(missing).toEqual([]);
    // and what no task runs is hashed into none: a test, the server, another command of the CLI
    for (const task of pipeline)
      for (const file of hashed(task))
        expect(file, task.taskId).not.toMatch(
          /\/test\/|^packages\/serve-onnx\/|^apps\/cli\/src\/(commands\/(serve|read|finetune|bench)\.ts|finetune\/)/,
        );
    // the walk itself: the training worker (booted by moduleWorker), the data lock, a workspace package through its
    // exports
    expect(loaded.get('@hcr/pipeline#train')).toEqual(
      expect.arrayContaining([
        'apps/cli/bin/hcr-dev.js',
        'apps/cli/src/commands/train.ts',
        'packages/train/src/worker.ts',
        'packages/data/datasets.lock.json',
        'packages/model/src/index.ts',
      ]),
    );
    expect(loaded.get('@hcr/pipeline#shards')).not.toContain('apps/cli/src/commands/data-import.ts');
    expect(loaded.get('@hcr/reader-pipeline#ensemble')).toContain('packages/decode/src/index.ts');
  }, 120_000);

  it('names in NOT_RUN only imports the CLI has (none left over from a rename)', () => {
    const closure = importClosure(ROOT, [MAIN, 'apps/cli/src/commands/data.ts'], {
      cut: NOT_RUN.map((n) => [n.file, n.spec]),
    });
    expect(closure.cutsUnused).toEqual([]);
  });
});
