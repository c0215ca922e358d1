import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hcr } from './support/run-hcr.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hcr-import-unreadable-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('hcr data lines import of a folder whose images all fail', () => {
  it('names the rows and why, not "No train line among the 0 lines read ... import more"', async () => {
    const folder = join(dir, 'fields');
    await mkdir(join(folder, 'images'), { recursive: true });
    await writeFile(join(folder, 'images', 'a.png'), 'not a png');
    await writeFile(join(folder, 'labels.tsv'), 'images/a.png\tABC\nimages/gone.png\tXY\n');
    const out = join(dir, 'out');
    const r = await hcr('data', 'lines', 'import', folder, '--out', out);
    expect(r.code).not.toBe(0);
    expect(r.err).toContain('None of the 2 rows');
    expect(r.err).toContain('images/a.png: IMAGE_UNDECODABLE');
    expect(r.err).toContain('images/gone.png: IMAGE_MISSING');
    expect(r.err).not.toContain('Import more labelled lines');
    expect(r.err).not.toMatch(/\n\s+at /);
    expect(existsSync(join(out, 'manifest.json'))).toBe(false);
  });
});
