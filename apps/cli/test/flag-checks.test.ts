import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hcr } from './support/run-hcr.js';

describe('hcr export onnx: --images and --samples are checked before exporting', () => {
  it.each([
    ['--images', 'abc', "--images must be a whole number of at least 0, got 'abc'."],
    ['--images', '-5', "--images must be a whole number of at least 0, got '-5'."],
    ['--samples', '0.4', "--samples must be a whole number of at least 1, got '0.4'."],
    ['--samples', '0', "--samples must be a whole number of at least 1, got '0'."],
  ])('%s %s', async (flag, value, message) => {
    const model = join(mkdtempSync(join(tmpdir(), 'hcr-export-flags-')), 'no-model');
    const r = await hcr('export', 'onnx', model, flag, value, '--json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out).error).toMatchObject({ code: 'BAD_OPTION', message });
  });
});
