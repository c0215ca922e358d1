import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hcr } from './support/run-hcr.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hcr-finetune-epochs-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('hcr finetune --epochs past what training takes', () => {
  it('is refused with the range before anything is imported, not after', async () => {
    const lines = join(dir, 'lines');
    const r = await hcr(
      'finetune',
      join(dir, 'folder'),
      '--epochs',
      '100000',
      '--no-eval',
      '--lines',
      lines,
      '--out',
      join(dir, 'runs'),
    );
    expect(r.code).not.toBe(0);
    expect(r.err).toContain('--epochs must be a whole number from 1 to 1000');
    expect(r.err).not.toMatch(/\n\s+at /);
    expect(existsSync(lines)).toBe(false);
  });
});
