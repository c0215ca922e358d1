import { vi } from 'vitest';
import { main } from '../../src/main.js';

/** Runs `hcr ...` in-process and captures stdout/stderr and the exit code. */
export async function hcr(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const so = vi.spyOn(process.stdout, 'write').mockImplementation((s) => {
    out += String(s);
    return true;
  });
  const se = vi.spyOn(process.stderr, 'write').mockImplementation((s) => {
    err += String(s);
    return true;
  });
  process.exitCode = undefined;
  try {
    const code = await main(['node', 'hcr', ...args]);
    return { code, out, err };
  } finally {
    so.mockRestore();
    se.mockRestore();
    process.exitCode = undefined;
  }
}
