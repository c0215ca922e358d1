import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareReaderReports } from '../src/lines/compare-report.js';
import { textPng } from './text-png.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'hcr-compare-images-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

/** A reader report of one real source recorded at `dir`: line 0 right or wrong as `right0` says, line 1 wrong. */
async function readerReport(name: string, dir: string, right0: 0 | 1): Promise<string> {
  const report = join(root, 'reports', name);
  await mkdir(report, { recursive: true });
  const source = {
    name: 'my-names',
    kind: 'real',
    field: 'names',
    dir,
    labelsSha256: 'ab',
    count: 2,
    headline: 'letters',
    constraints: [{ name: 'letters', exactRate: right0 / 2, cer: 0.5 }],
  };
  const lines = { formatVersion: 1, task: 'line', model: { id: name }, runtime: 'onnx', sources: [source] };
  const reads = {
    formatVersion: 1,
    model: name,
    sources: {
      'my-names': {
        ids: ['images/a.png', 'images/gone.png'],
        truths: ['ANNA', 'LEA'],
        reads: {
          letters: { texts: [right0 ? 'ANNA' : 'ANA', 'LEO'], confidences: [0.9, 0.1], exact: [right0, 0] },
        },
      },
    },
  };
  await writeFile(join(report, 'lines.json'), JSON.stringify(lines));
  await writeFile(join(report, 'reads.json'), JSON.stringify(reads));
  return report;
}

describe('the reader comparison page', () => {
  it('embeds the changed lines images, so it can be moved and does not depend on the directory it was made in', async () => {
    const images = join(root, 'data', 'my-names');
    await mkdir(join(images, 'images'), { recursive: true });
    await writeFile(join(images, 'images', 'a.png'), textPng('ANNA', 240, 60, '40px sans-serif', [20, 45]));
    const a = await readerReport('a', images, 0);
    const b = await readerReport('b', images, 1);
    const { dir } = await compareReaderReports({ a, b, outDir: join(root, 'out') });
    const html = await readFile(join(dir, 'index.html'), 'utf8');
    const srcs = [...html.matchAll(/<img [^>]*src="([^"]*)"/g)].map((m) => m[1]!);
    expect(srcs).toHaveLength(1);
    expect(srcs[0]).toMatch(/^data:image\/png;base64,/);
    expect(html).toContain('alt="original of images/a.png"');
  });

  it('says in words that an image cannot be found, instead of a broken image', async () => {
    // lines.json records a folder relative to where eval ran: from elsewhere it is not there
    const a = await readerReport('c', 'elsewhere/my-names', 0);
    const b = await readerReport('d', 'elsewhere/my-names', 1);
    const { dir } = await compareReaderReports({ a, b, outDir: join(root, 'out') });
    const html = await readFile(join(dir, 'index.html'), 'utf8');
    expect(html).not.toMatch(/<img /);
    expect(html).toContain(
      `(cannot be displayed: ${join(process.cwd(), 'elsewhere/my-names/images/a.png')} not found)`,
    );
  });
});
