import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../../..');

/** `hcr ...` (src/bin.ts) with its stdout on `fd`. */
function hcrTo(fd: number, ...args: string[]): Promise<{ code: number | null; err: string }> {
  return new Promise((done) => {
    const child = spawn(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', 'apps/cli/src/bin.ts', ...args],
      { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', fd, 'pipe'] },
    );
    let err = '';
    child.stderr!.on('data', (d) => {
      err += d;
    });
    child.on('close', (code) => done({ code, err }));
  });
}

describe('hcr (bin.ts): output that cannot be written', () => {
  it.skipIf(!existsSync('/dev/full'))(
    'a full disk (stdout on /dev/full): one line saying so and exit 1, no stack trace',
    async () => {
      const full = openSync('/dev/full', 'w');
      try {
        const r = await hcrTo(full, '--help');
        expect(r.code).toBe(1);
        expect(r.err).toBe('error cannot write output: no space left on device (ENOSPC)\n');
      } finally {
        closeSync(full);
      }
    },
  );
});
