import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLineDataset, prepareLines, renderLinePreview } from '../src/index.js';
import { makeFixture } from './fixtures.js';

/**
 * `hcr data lines preview --scans` draws each line's scan again from the raw files: with other files than the
 * lines were drawn from (or another generator) the scan above each line showed other characters, silently.
 */
describe('line preview --scans', () => {
  const made = makeFixture({ officialByClass: true });
  // the same datasets with the official ByClass test labels in another order: other glyphs, other sums
  const other = makeFixture({
    officialByClass: true,
    labelsFor: (dataset, role, n) =>
      dataset === 'emnist-byclass' && role === 'test'
        ? Uint8Array.from({ length: n }, (_, i) => (n - 1 - i) % 62)
        : undefined,
  });
  const out = join(mkdtempSync(join(tmpdir(), 'hcr-preview-scans-')), 'lines');
  afterAll(() => {
    delete process.env.HCR_DATASET_LOCK;
  });
  beforeAll(async () => {
    process.env.HCR_DATASET_LOCK = made.lockPath;
    await prepareLines({
      dataDir: made.dataDir,
      config: { counts: { train: 0, val: 0, test: 3 } },
      outDir: out,
      workers: 0,
      env: {},
    });
  }, 60_000);

  it('draws the scans from the files the lines were drawn from', async () => {
    process.env.HCR_DATASET_LOCK = made.lockPath;
    const png = await renderLinePreview(await openLineDataset(out), {
      scans: true,
      count: 2,
      dataDir: made.dataDir,
      env: {},
    });
    expect(png.subarray(1, 4).toString()).toBe('PNG');
  });

  it('refuses other raw files than the manifest records, naming them and the fixes', async () => {
    process.env.HCR_DATASET_LOCK = other.lockPath;
    const err = await renderLinePreview(await openLineDataset(out), {
      scans: true,
      dataDir: other.dataDir,
      env: {},
    }).catch((e) => e);
    expect(err.code).toBe('PREVIEW_SCANS_MISMATCH');
    expect(err.message).toContain('emnist-byclass test-labels');
    expect(err.hint).toMatch(/--data-dir .*drop --scans/);
  });

  it('refuses lines another version of the generator drew', async () => {
    process.env.HCR_DATASET_LOCK = made.lockPath;
    const manifestPath = join(out, 'manifest.json');
    const text = readFileSync(manifestPath, 'utf8');
    const manifest = JSON.parse(text);
    writeFileSync(manifestPath, JSON.stringify({ ...manifest, generator: '0123456789abcdef' }));
    try {
      const err = await renderLinePreview(await openLineDataset(out), {
        scans: true,
        dataDir: made.dataDir,
        env: {},
      }).catch((e) => e);
      expect(err.code).toBe('PREVIEW_SCANS_MISMATCH');
      expect(err.message).toMatch(/another version of the line generator/);
    } finally {
      writeFileSync(manifestPath, text);
    }
  });
});
