import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../../..');
const run = promisify(execFile);

// The README: "Timing figures move with load (each command prints the load average)". These four printed none.
// Each runs at its smallest size (image: the synthetic scans alone, no dev sets in an empty HCR_DATA_DIR).
describe('hcr bench prints the load average', () => {
  const empty = mkdtempSync(join(tmpdir(), 'hcr-bench-load-'));
  for (const args of [
    ['decode', '5'],
    ['kernels', '--batch', '1', '--only', 'Sum'],
    ['engine', '--batch', '2', '--steps', '1', '--fast-only'],
    ['image'],
  ])
    it(args.join(' '), async () => {
      const { stdout } = await run(
        process.execPath,
        ['--conditions=source', '--import', 'tsx', 'apps/cli/src/bin.ts', 'bench', ...args],
        { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', HCR_DATA_DIR: empty } },
      );
      expect(stdout).toMatch(/^load average \d+\.\d\d -> \d+\.\d\d$/m);
    }, 120_000);

  it('kernels: an --only text no row holds is refused (it printed the header alone)', async () => {
    const failed = await run(
      process.execPath,
      [
        '--conditions=source',
        '--import',
        'tsx',
        'apps/cli/src/bin.ts',
        'bench',
        'kernels',
        '--batch',
        '1',
        '--only',
        'maxpool',
      ],
      { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } },
    ).then(
      () => undefined,
      (e: { code: number; stdout: string; stderr: string }) => e,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toMatch(/^--only 'maxpool' is in no row's name: .*'MaxPoolGrad pool1'/);
    expect(failed?.stdout).toBe('');
  }, 120_000);
});
