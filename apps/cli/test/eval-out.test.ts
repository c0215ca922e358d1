import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hcr } from './support/run-hcr.js';

describe('hcr eval --out is checked before the evaluation', () => {
  it('--out <a file> (or under one): OUTPUT_NOT_A_FOLDER / OUTPUT_NOT_WRITABLE before the run is looked up', async () => {
    // it ran the whole evaluation, then failed with mkdir's EEXIST
    const dir = mkdtempSync(join(tmpdir(), 'hcr-eval-out-'));
    const file = join(dir, 'some.png');
    writeFileSync(file, 'x');
    const models = join(dir, 'no-models');
    const r = await hcr('eval', 'pipeline', '--sample', '5', '--models', models, '--out', file, '--json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out).error).toMatchObject({
      code: 'OUTPUT_NOT_A_FOLDER',
      message: `${file} is a file; --out names the folder to write into.`,
    });
    const under = await hcr('eval', 'pipeline', '--models', models, '--out', join(file, 'reports'), '--json');
    expect(JSON.parse(under.out).error).toMatchObject({ code: 'OUTPUT_NOT_WRITABLE' });
  });
});
