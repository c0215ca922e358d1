import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lineScan, uniform } from '../../../packages/serve-onnx/test/support/line-synth.js';
import { hcr } from './support/run-hcr.js';

// what the test strokes can write (A L T X 0 1 4 7); ÀLT is labelled with its accent, which the import folds
const TEXTS = ['TAX', 'ALT', '7104', 'LAX', 'TALL', '40', 'XL', 'ÀLT'];

describe('hcr data lines import', () => {
  let dir: string;
  let folder: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hcr-import-cli-'));
    folder = join(dir, 'my-fields');
    await mkdir(join(folder, 'images'), { recursive: true });
    const rows: string[] = [];
    for (let i = 0; i < 40; i++) {
      const text = TEXTS[i % TEXTS.length]!;
      await writeFile(join(folder, 'images', `${i}.png`), await lineScan(text.replace('À', 'A')));
      rows.push(`images/${i}.png\t${text}`);
    }
    // an image without writing, a text the alphabet cannot hold, and a row without its image
    await writeFile(join(folder, 'images', 'blank.png'), await uniform(300, 60));
    await writeFile(join(folder, 'images', 'amp.png'), await lineScan('AX'));
    rows.push('images/blank.png\tNOTHING', 'images/amp.png\tA&X', 'images/gone.png\tGONE');
    await writeFile(join(folder, 'labels.tsv'), `${rows.join('\n')}\n`);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('prepares every image as hcr read does, splits the lines, and says what it left out and why', async () => {
    const out = join(dir, 'lines');
    const r = await hcr('data', 'lines', 'import', folder, '--out', out, '--kind', 'name', '--val', '0.2');
    expect(r.code).toBe(0);
    expect(r.err).toContain(`imported 43 rows of ${folder} -> ${out}`);
    expect(r.err).toMatch(/left out images\/blank\.png: NO_INK/);
    expect(r.err).toContain("left out images/amp.png 'A&X': TEXT_OUTSIDE_ALPHABET");
    expect(r.err).toMatch(/left out images\/gone\.png: IMAGE_MISSING/);
    expect(r.err).toContain('3 left out: IMAGE_MISSING 1, NO_INK 1, TEXT_OUTSIDE_ALPHABET 1');
    expect(r.err).toContain(
      `next: hcr train --model reader --init latest-reader --replay artifacts/data/lines --data ${out}`,
    );
    expect(r.err).toContain(`(or every step at once, from the folder: hcr finetune ${folder} --kind name)`);
    const info = await hcr('data', 'lines', 'info', '--dir', out, '--json');
    expect(info.code).toBe(0);
    const j = JSON.parse(info.out);
    expect(j.imported).toMatchObject({ source: 'my-fields', rows: 43, valShare: 0.2, testShare: 0.1 });
    const lines = j.counts.train.lines + j.counts.val.lines + j.counts.test.lines;
    expect(lines).toBe(40);
    expect(j.counts.train.perKind.name).toBe(j.counts.train.lines);
    const text = await hcr('data', 'lines', 'info', '--dir', out);
    expect(text.out).toContain('imported from my-fields');
    expect(text.out).toMatch(/train +\d+ lines, \d+ characters, mean width \d+ px; name \d+\n/);
    expect((await hcr('data', 'lines', 'verify', '--dir', out)).code).toBe(0);
    // the same folder imported again gives the same dataset
    // a case-sensitive import: its replay is the 62-class lines
    const cased = await hcr(
      'data',
      'lines',
      'import',
      folder,
      '--out',
      join(dir, 'lines-62'),
      '--labels',
      '62',
    );
    expect(cased.err).toContain('--replay artifacts/data/lines-62 --data');
    expect(cased.err).not.toContain('hcr finetune'); // it starts from the pipeline's 36-class pair
    const again = await hcr(
      'data',
      'lines',
      'import',
      folder,
      '--out',
      join(dir, 'again'),
      '--kind',
      'name',
      '--val',
      '0.2',
      '--json',
    );
    expect(JSON.parse(again.out).manifestSha256).toBe(j.manifestSha256);
  });

  it('reads rows that give an image’s absolute path', async () => {
    const other = join(dir, 'absolute');
    await mkdir(other);
    // 24 rows, half held out for validation: both splits get lines whatever the temporary folder's name hashes to
    const rows = Array.from(
      { length: 24 },
      (_, i) => `${join(folder, 'images', `${i}.png`)}\t${TEXTS[i % TEXTS.length]}`,
    );
    await writeFile(join(other, 'labels.tsv'), `${rows.join('\n')}\n`);
    const r = await hcr(
      'data',
      'lines',
      'import',
      other,
      '--out',
      join(dir, 'abs-lines'),
      '--val',
      '0.5',
      '--test',
      '0',
      '--json',
    );
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ rows: 24, skipped: {} });
    // --test 0: the empty split's row ends with its width, no dangling '; '
    const info = await hcr('data', 'lines', 'info', '--dir', join(dir, 'abs-lines'));
    expect(info.out).toMatch(/\n {2}test +0 lines, 0 characters, mean width 0 px\n/);
  });

  it('names the fix for a folder without labels.tsv and for bad shares or kinds', async () => {
    const none = await hcr('data', 'lines', 'import', dir);
    expect(none.code).not.toBe(0);
    expect(none.err).toContain(`${join(dir, 'labels.tsv')} does not exist`);
    const share = await hcr('data', 'lines', 'import', folder, '--val', '0.9');
    expect(share.err).toContain('--val must be a share of the lines from 0 to 0.5');
    const broken = join(dir, 'broken');
    await mkdir(broken);
    await writeFile(join(broken, 'labels.tsv'), 'images/0.png ANTOINE\n');
    const tsv = await hcr('data', 'lines', 'import', broken);
    expect(tsv.code).not.toBe(0);
    expect(tsv.err).toContain(
      `${join(broken, 'labels.tsv')} line 1 has no TAB between path and transcription`,
    );
    expect(tsv.err).toContain('fix that line');
    const kind = await hcr('data', 'lines', 'import', folder, '--kind', 'poem');
    expect(kind.err).toContain('--kind must be one of name, word');
  });
});
