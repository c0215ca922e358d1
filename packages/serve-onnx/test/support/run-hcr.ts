import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root: the CLI runs from here, as `pnpm hcr` does. */
export const ROOT = resolve(fileURLToPath(new URL('../../../../', import.meta.url)));
/** Node arguments that start the `hcr` CLI from its sources. */
export const HCR_ARGS = ['--conditions=source', '--import', 'tsx', 'apps/cli/src/bin.ts'];

/**
 * Starts `hcr ...` in a child process (no colour; `env` adds variables): the child, for signals, and a promise of
 * its output and exit code.
 */
export function startHcr(
  args: string[],
  env: Record<string, string> = {},
): {
  child: ChildProcessWithoutNullStreams;
  done: Promise<{ code: number; stdout: string; stderr: string }>;
} {
  const child = spawn(process.execPath, [...HCR_ARGS, ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  const done = new Promise<{ code: number; stdout: string; stderr: string }>((res) =>
    child.on('close', (code) => res({ code: code ?? -1, stdout, stderr })),
  );
  return { child, done };
}

/** Runs `hcr ...` in a child process (no colour; `env` adds variables) and collects its output and exit code. */
export function runHcr(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return startHcr(args, env).done;
}
