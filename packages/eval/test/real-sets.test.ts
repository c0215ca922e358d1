import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateReader } from '../src/lines/evaluate.js';
import { checkRealSets, loadDevSet, parseLabelsTsv, parseRealSets } from '../src/lines/sources.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'hcr-real-sets-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

/** A folder holding labels.tsv with `text` (no image needed: nothing gets that far). */
async function folder(name: string, text: string): Promise<string> {
  const dir = join(root, name);
  await mkdir(join(dir, 'images'), { recursive: true });
  await writeFile(join(dir, 'labels.tsv'), text);
  return dir;
}

describe('--real folders refused before anything is read', () => {
  it('refuses an empty labels.tsv (or blank lines only), naming the file: not a report of 0 lines at 0.00% CER', async () => {
    for (const [name, text] of [
      ['empty', ''],
      ['blank', '\n  \r\n\n'],
      ['bom', '\uFEFF\n'],
    ] as const) {
      const dir = await folder(name, text);
      const labels = join(dir, 'labels.tsv');
      expect(() => parseLabelsTsv(text, labels)).toThrow(
        expect.objectContaining({
          code: 'LABELS_INVALID',
          message: expect.stringContaining(`${labels} lists no image`),
        }),
      );
      expect(() => checkRealSets(parseRealSets(`names=${dir}`))).toThrow(
        expect.objectContaining({ code: 'LABELS_INVALID' }),
      );
      // a dev set found in its default place goes through loadDevSet alone
      await expect(loadDevSet(dir, name, 'names')).rejects.toMatchObject({ code: 'LABELS_INVALID' });
    }
  });

  it('refuses it in evaluateReader before opening the model or writing anything', async () => {
    const dir = await folder('empty-2', '');
    const out = join(root, 'reports');
    await expect(
      evaluateReader({
        run: join(root, 'no-such-reader.onnx'),
        real: [{ field: 'names', dir }],
        synthetic: false,
        outDir: out,
      }),
    ).rejects.toMatchObject({ code: 'LABELS_INVALID' });
    expect(existsSync(out)).toBe(false);
  });

  it("refuses a folder named as the other field's dev set (its targets and Tesseract figures would be shown)", async () => {
    const amounts = await folder(join('copy', 'handwritten-amounts-dev'), 'images/a.png\t1325400\n');
    const names = await folder(join('copy', 'handwritten-names-dev'), 'images/a.png\tANNA\n');
    expect(() => checkRealSets(parseRealSets(`names=${amounts}`))).toThrow(
      expect.objectContaining({
        code: 'REAL_SET_INVALID',
        message: expect.stringContaining(`${amounts} is the amounts dev set's folder, given as names=`),
        hint: expect.stringContaining(`Pass it as amounts=${amounts}`),
      }),
    );
    expect(() => checkRealSets(parseRealSets(`amounts=${names}`))).toThrow(/is the names dev set's folder/);
    // each under its own field is what --real is for
    expect(() => checkRealSets(parseRealSets(`names=${names},amounts=${amounts}`))).not.toThrow();
  });
});
