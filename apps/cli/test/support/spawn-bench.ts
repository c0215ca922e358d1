import { execFile } from 'node:child_process';
import { resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../../../..');

export interface BenchRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * `hcr bench <args>` from the sources in a child process, as `pnpm bench` runs it (repo root, NO_COLOR), with
 * `env` added to this process's. Resolves with the exit code and both streams whether the bench passes or fails.
 */
export function spawnBench(args: string[], env: NodeJS.ProcessEnv = {}): Promise<BenchRun> {
  return new Promise((done, fail) => {
    execFile(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', 'apps/cli/src/bin.ts', 'bench', ...args],
      { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', ...env }, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : undefined;
        if (code === undefined)
          fail(error); // not started, or killed by a signal: no exit code to check
        else done({ code, stdout, stderr });
      },
    );
  });
}
