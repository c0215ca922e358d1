import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadDevSet, parseLabelsTsv } from '../src/lines/sources.js';
import { textPng } from './text-png.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'hcr-labels-tsv-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe('labels.tsv paths', () => {
  it('refuses a relative path out of the folder, naming the line, before reading any image', async () => {
    // a readable PNG beside the folder: before, `../outside.png` was imported as a line
    await writeFile(join(root, 'outside.png'), textPng('ANNA', 240, 60, '40px sans-serif', [20, 45]));
    const dir = join(root, 'fields');
    await mkdir(join(dir, 'images'), { recursive: true });
    await writeFile(join(dir, 'images', 'a.png'), textPng('ANNA', 240, 60, '40px sans-serif', [20, 45]));
    const labels = join(dir, 'labels.tsv');
    await writeFile(labels, 'images/a.png\tANNA\n../outside.png\tANNA\n');
    await expect(loadDevSet(dir, 'fields', 'names')).rejects.toMatchObject({
      code: 'LABELS_INVALID',
      message: expect.stringContaining(`${labels} line 2 names ../outside.png, which is outside ${dir}`),
    });
    for (const path of ['../../../etc/passwd', 'images/../../outside.png', '..', '../x.pdf#page=2'])
      expect(() => parseLabelsTsv(`${path}\tX\n`, labels)).toThrow(/line 1 names .* which is outside/);
  });

  it('reads paths that stay in the folder, and absolute ones (hcr read --format tsv drafts)', () => {
    const labels = join(root, 'fields', 'labels.tsv');
    const text = `images/a.png\tA\nimages/../b.png\tB\n..c.png\tC\n${join(root, 'outside.png')}\tD\n`;
    expect(parseLabelsTsv(text, labels).map((r) => r.path)).toEqual([
      'images/a.png',
      'images/../b.png',
      '..c.png',
      join(root, 'outside.png'),
    ]);
  });
});

describe('labels.tsv: an image listed twice', () => {
  const labels = join('/data', 'fields', 'labels.tsv');

  it('with two texts is an error naming both lines and texts', () => {
    expect(() =>
      parseLabelsTsv('images/a.png\tJEAN\nimages/b.png\tLEA\n./images/a.png\tJEANNE\n', labels),
    ).toThrow(`${labels} lines 1 and 3 both list ./images/a.png, as 'JEAN' and as 'JEANNE'.`);
  });

  it('with the same text is an error too (it would count twice), counting the others', () => {
    let error: unknown;
    try {
      parseLabelsTsv('a.png\tA\nb.png\tB\na.png\tA\n/data/fields/b.png\tB\n', labels);
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({
      code: 'LABELS_INVALID',
      problem: `${labels} lines 1 and 3 both list a.png, with the same text: it would count twice; 1 more image is listed twice.`,
    });
  });

  it('other pages of one document are other lines', () => {
    expect(parseLabelsTsv('scan.pdf#page=1\tA\nscan.pdf#page=2\tB\nscan.pdf\tC\n', labels)).toHaveLength(3);
    expect(() => parseLabelsTsv('scan.pdf#page=2\tA\nscan.pdf#page=2\tB\n', labels)).toThrow(/lines 1 and 2/);
  });
});

describe('the dev sets', () => {
  for (const name of ['handwritten-names-dev', 'handwritten-amounts-dev']) {
    const file = join(import.meta.dirname, '..', '..', '..', '..', 'shared', 'data', name, 'labels.tsv');
    it.skipIf(!existsSync(file))(`${name}: every row read as before`, async () => {
      const text = await readFile(file, 'utf8');
      const plain = text
        .split('\n')
        .filter((l) => l.trim())
        .map((l) => ({ path: l.slice(0, l.indexOf('\t')), truth: l.slice(l.indexOf('\t') + 1) }));
      expect(parseLabelsTsv(text, file)).toEqual(plain);
      expect(plain.length).toBeGreaterThan(300);
    });
  }
});
