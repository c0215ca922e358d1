import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnBench } from './support/spawn-bench.js';

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
      const { code, stdout, stderr } = await spawnBench(args, { HCR_DATA_DIR: empty });
      expect(code, stderr).toBe(0);
      expect(stdout).toMatch(/^load average \d+\.\d\d -> \d+\.\d\d$/m);
    }, 120_000);

  it('kernels: an --only text no row holds is refused (it printed the header alone)', async () => {
    const failed = await spawnBench(['kernels', '--batch', '1', '--only', 'maxpool']);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/^--only 'maxpool' is in no row's name: .*'MaxPoolGrad pool1'/);
    expect(failed.stdout).toBe('');
  }, 120_000);
});
