import { execFile, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../../../..');
const BIN = ['--conditions=source', '--import', 'tsx', 'apps/cli/src/bin.ts'];
const NOBODY = ['--reuid=65534', '--regid=65534', '--clear-groups'];

export interface Run {
  code: number;
  out: string;
  err: string;
}

/**
 * `hcr ...` in a child process that file permissions apply to. Root ignores them, so as root the child runs as
 * nobody (setpriv); without setpriv there is no such child, and `skip` says why (the test is then skipped).
 */
export function permissionRunner():
  | { skip: string }
  | { run: (scratch: string, ...args: string[]) => Promise<Run> } {
  const root = process.getuid?.() === 0;
  if (root && spawnSync('setpriv', ['--help']).status !== 0)
    return {
      skip: 'running as root, which ignores file permissions, and setpriv (to run as nobody) is missing',
    };
  return {
    run: (scratch, ...args) => {
      // nobody must reach the scratch folder (mkdtemp makes folders only their owner may enter) and write tsx's cache
      if (root) reachable(scratch);
      const tmp = join(scratch, '.tmp');
      mkdirSync(tmp, { recursive: true });
      chmodSync(tmp, 0o1777);
      const [cmd, argv] = root
        ? ['setpriv', [...NOBODY, process.execPath, ...BIN, ...args]]
        : [process.execPath, [...BIN, ...args]];
      return new Promise((done) => {
        execFile(
          cmd,
          argv,
          { cwd: ROOT, env: { ...process.env, TMPDIR: tmp, NO_COLOR: '1' } },
          (e, out, err) => done({ code: e ? (typeof e.code === 'number' ? e.code : 1) : 0, out, err }),
        );
      });
    },
  };
}

/**
 * Lets everyone list `dir` and enter the folders above it (o+x) that the test run made: its temp dir under
 * HCR_TEST_CACHE_DIR (the machine's temp dir), made by mkdtemp for its owner alone.
 */
function reachable(dir: string): void {
  const cache = process.env.HCR_TEST_CACHE_DIR ?? tmpdir();
  chmodSync(dir, statSync(dir).mode | 0o755);
  for (let d = dirname(dir); d.startsWith(`${cache}${sep}`); d = dirname(d)) {
    const mode = statSync(d).mode;
    if (!(mode & 0o001)) chmodSync(d, mode | 0o001);
  }
}
