import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRng, LINE_ALPHABET_36, labelSpace, lineAlphabet } from '@hcr/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ImportLine,
  importSplit,
  isImportedLines,
  lineDatasetInfo,
  linePixels,
  lineText,
  openLineDataset,
  prepareLines,
  renderLinePreview,
  verifyLineDataset,
  writeImportedLines,
} from '../src/index.js';

const H = 32;
const dataDir = process.env.HCR_DATA_DIR ?? join(import.meta.dirname, '../../../../shared/data');
const hasLetters = existsSync(join(dataDir, 'emnist-byclass-repack'));
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hcr-import-lines-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** n lines of seeded noise, each `images/line-i.png` with the text `texts[i % texts.length]`. */
function lines(n: number, texts: string[], seed = 1): ImportLine[] {
  const rng = createRng(seed);
  return Array.from({ length: n }, (_, i) => {
    const width = 40 + rng.int(80);
    const pixels = new Uint8Array(width * H).map(() => rng.int(256));
    return { id: `images/line-${i}.png`, text: texts[i % texts.length]!, width, pixels };
  });
}

const source = { name: 'forms', labelsSha256: 'ab'.repeat(32), rows: 0 };
const options = (outDir: string) => ({ outDir, alphabet: LINE_ALPHABET_36, height: H, source });

describe('imported lines', () => {
  it('are written as a line dataset the trainer reads: every line in its split with its text and pixels', async () => {
    const input = lines(200, ['Martin', '12,50', 'AB-12 3CD']);
    const out = join(dir, 'a');
    const r = await writeImportedLines(input, { ...options(out), kind: 'name' });
    expect(isImportedLines(r.manifest)).toBe(true);
    const ds = await openLineDataset(out);
    expect(ds.manifestSha256).toBe(r.manifestSha256);
    expect(ds.letterSource).toBeUndefined(); // the trainer takes the init model's
    const seen = new Map<string, { text: string; pixels: Uint8Array }>();
    for (const split of ['train', 'val', 'test'] as const) {
      const data = await ds.loadSplit(split);
      expect(data.count).toBe(r.manifest.counts[split].lines);
      for (let i = 0; i < data.count; i++) {
        // a case-merged alphabet labels Martin as MARTIN, as eval scores it
        seen.set(`${split}:${lineText(data, i, ds.alphabet)}:${data.widths[i]}`, {
          text: lineText(data, i, ds.alphabet),
          pixels: linePixels(data, i),
        });
        expect(data.kinds[i]).toBe(ds.manifest.kinds.indexOf('name'));
        expect(
          [...data.glyphIds.subarray(data.labelOffsets[i]!, data.labelOffsets[i + 1]!)].every(
            (g) => g === -1,
          ),
        ).toBe(true);
      }
    }
    for (const line of input) {
      const split = importSplit(line.id, 1, 0.1, 0.1);
      const got = seen.get(`${split}:${line.text.toUpperCase()}:${line.width}`);
      expect(got?.text).toBe(line.text.toUpperCase());
    }
    // the default shares hold out about a tenth each
    expect(r.manifest.counts.train.lines).toBeGreaterThan(140);
    expect(r.manifest.counts.val.lines).toBeGreaterThan(8);
    expect(r.manifest.counts.test.lines).toBeGreaterThan(8);
    expect((await verifyLineDataset(out)).ok).toBe(true);
    const info = await lineDatasetInfo(out);
    expect(info.imported?.source).toBe('forms');
    expect(info.glyphParts).toEqual([]);
    expect(info.counts.train.perKind).toEqual({ name: r.manifest.counts.train.lines });
  });

  it('are deterministic, and a line keeps its split when rows are added', async () => {
    const input = lines(120, ['ONE', 'TWO']);
    const a = await writeImportedLines(input, options(join(dir, 'b1')));
    const b = await writeImportedLines(input, options(join(dir, 'b2')));
    expect(b.manifestSha256).toBe(a.manifestSha256);
    for (const s of a.manifest.shards)
      expect(await readFile(join(dir, 'b2', s.file))).toEqual(await readFile(join(dir, 'b1', s.file)));
    const splits = input.map((l) => importSplit(l.id, 1, 0.1, 0.1));
    const more = lines(300, ['ONE']).map((l) => importSplit(l.id, 1, 0.1, 0.1));
    expect(more.slice(0, 120)).toEqual(splits);
    // another seed draws another split
    expect(input.map((l) => importSplit(l.id, 2, 0.1, 0.1))).not.toEqual(splits);
  });

  it('leave out a line whose text the alphabet cannot hold, and count it by reason', async () => {
    const input = lines(60, ['PAUL', 'A&B', '  ', 'LÉA']);
    const r = await writeImportedLines(input, {
      ...options(join(dir, 'c')),
      source: { ...source, rows: 62, skipped: { NO_INK: 2 } },
    });
    expect(r.manifest.imported.skipped).toEqual({ EMPTY_TEXT: 15, NO_INK: 2, TEXT_OUTSIDE_ALPHABET: 15 });
    expect(r.leftOut.TEXT_OUTSIDE_ALPHABET?.[0]).toBe("images/line-1.png 'A&B'");
    const total = Object.values(r.manifest.counts).reduce((n, c) => n + c.lines, 0);
    expect(total).toBe(30); // PAUL and LÉA (accents folded: LEA)
    // 62 classes keep the case: Paul stays Paul
    const cased = await writeImportedLines(lines(40, ['Paul']), {
      ...options(join(dir, 'c62')),
      alphabet: lineAlphabet(labelSpace(62)),
    });
    const ds = await openLineDataset(cased.outDir);
    expect(lineText(await ds.loadSplit('train'), 0, ds.alphabet)).toBe('Paul');
  });

  it('refuse too few lines, shares that leave nothing to train on, and an unknown kind', async () => {
    await expect(writeImportedLines(lines(3, ['A']), options(join(dir, 'd')))).rejects.toMatchObject({
      code: 'IMPORT_TOO_FEW',
    });
    await expect(
      writeImportedLines(lines(50, ['A']), { ...options(join(dir, 'd')), valShare: 0.6, testShare: 0.4 }),
    ).rejects.toMatchObject({
      code: 'IMPORT_INVALID',
      message: expect.stringContaining('no line to train on'),
    });
    await expect(
      writeImportedLines(lines(50, ['A']), { ...options(join(dir, 'd')), kind: 'poem' as never }),
    ).rejects.toMatchObject({ code: 'IMPORT_INVALID', message: expect.stringContaining("'poem'") });
  });

  it('are previewed like drawn lines, but have no scans to show', async () => {
    const out = join(dir, 'e');
    await writeImportedLines(lines(50, ['HELLO']), options(out));
    const ds = await openLineDataset(out);
    const png = await renderLinePreview(ds, { split: 'train', count: 4 });
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    await expect(renderLinePreview(ds, { split: 'train', scans: true })).rejects.toMatchObject({
      code: 'PREVIEW_NO_SCANS',
    });
  });

  it.skipIf(!hasLetters)(
    'are replaced by `prepareLines` into their folder, never taken for drawn lines',
    async () => {
      const out = join(dir, 'f');
      await writeImportedLines(lines(50, ['HELLO']), options(out));
      const r = await prepareLines({
        dataDir,
        config: { counts: { train: 8, val: 4, test: 4 } },
        outDir: out,
        workers: 0,
      });
      expect(r.upToDate).toBe(false);
      expect(isImportedLines((await openLineDataset(out)).manifest)).toBe(false);
    },
  );
});
