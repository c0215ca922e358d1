import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareReports } from '../src/compare.js';
import { compareReaderReports } from '../src/lines/compare-report.js';
import { MIXED, report } from './hand-report.js';

let out: string;
beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), 'hcr-compare-same-'));
  await mkdir(join(out, 'run'));
  await writeFile(join(out, 'run', 'eval.json'), JSON.stringify(report(MIXED)));
  await symlink(join(out, 'run'), join(out, 'run-link'));
  await mkdir(join(out, 'reader'));
  const lines = { formatVersion: 1, task: 'line', model: { id: 'reader' }, runtime: 'onnx', sources: [] };
  await writeFile(join(out, 'reader', 'lines.json'), JSON.stringify(lines));
});
afterAll(() => rm(out, { recursive: true, force: true }));

describe('--compare of one report with itself', () => {
  it('is COMPARE_SAME for a character report named twice (by name, path or link), and writes nothing', async () => {
    for (const [a, b] of [
      ['run', 'run'],
      ['run', join(out, 'run', 'eval.json')],
      ['run', join(out, 'run-link')],
    ])
      await expect(compareReports({ a, b, outDir: out })).rejects.toMatchObject({
        code: 'COMPARE_SAME',
        message: expect.stringContaining('--compare takes two different reports'),
        hint: expect.stringContaining('another folder'),
      });
    expect((await readdir(out)).filter((f) => f.startsWith('compare-'))).toEqual([]);
  });

  it('is COMPARE_SAME for a reader report named twice, and writes nothing', async () => {
    await expect(
      compareReaderReports({ a: 'reader', b: join(out, 'reader', 'lines.json'), outDir: out }),
    ).rejects.toMatchObject({ code: 'COMPARE_SAME', message: expect.stringContaining("'reader' and") });
    expect((await readdir(out)).filter((f) => f.startsWith('compare-'))).toEqual([]);
  });

  it('still compares two copies of a report in different folders (a run and latest)', async () => {
    await cp(join(out, 'run'), join(out, 'latest'), { recursive: true });
    const { dir } = await compareReports({ a: 'run', b: 'latest', outDir: out });
    expect(existsSync(join(dir, 'index.html'))).toBe(true);
  });
});
