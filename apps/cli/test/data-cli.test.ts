import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// the data package's own raw-file fixture builder: a small folder shaped like ../shared/data, plus its lock file
import { makeFixture } from '../../../packages/data/test/fixtures.js';
import { hcr } from './support/run-hcr.js';

describe('hcr data', () => {
  const fx = makeFixture();
  const dir = join(mkdtempSync(join(tmpdir(), 'hcr-cli-')), 'shards');
  beforeAll(() => {
    process.env.HCR_DATASET_LOCK = fx.lockPath;
  });
  afterAll(() => {
    delete process.env.HCR_DATASET_LOCK;
  });

  it('prepare then info --json reports the counts and the letters source', async () => {
    const p = await hcr('data', 'prepare', '--data-dir', fx.dataDir, '--out', dir);
    expect(p.code).toBe(0);
    const info = await hcr('data', 'info', '--dir', dir, '--json');
    expect(info.code).toBe(0);
    const j = JSON.parse(info.out);
    expect(j.trainAndVal).toBe(276);
    expect(j.counts.test.total).toBe(82);
    expect(j.counts.extra.total).toBe(40);
    expect(j.classes).toBe(36);
    expect(j.letterSource).toBe('emnist-letters-repack');
  });

  it('verify exits 1 and names the shard with a flipped byte', async () => {
    expect((await hcr('data', 'verify', '--dir', dir)).code).toBe(0);
    const shard = join(dir, 'test-0000.shard');
    const bytes = readFileSync(shard);
    bytes[100] ^= 1;
    writeFileSync(shard, bytes);
    const r = await hcr('data', 'verify', '--dir', dir);
    expect(r.code).toBe(1);
    // The verdict is the command's output: on stdout, with the command that rebuilds this folder.
    expect(r.out).toMatch(/corrupt test-0000\.shard/);
    expect(r.out).toContain(`hcr data prepare --out ${dir} --force`);
  });

  it('prepare with no data anywhere exits non-zero, names the file and the fix, writes no manifest', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'hcr-nodata-'));
    const saved = { ...process.env };
    process.env.HCR_DATA_DIR = join(empty, 'nonexistent');
    process.env.XDG_CACHE_HOME = empty;
    try {
      const out = join(empty, 'shards');
      const r = await hcr('data', 'prepare', '--out', out);
      expect(r.code).not.toBe(0);
      expect(r.err).toMatch(
        /Missing emnist-letters-repack file emnist-letters-repack-train-images-idx3-ubyte\.gz/,
      );
      expect(r.err).toMatch(/hcr data download/);
      expect(existsSync(join(out, 'manifest.json'))).toBe(false);
    } finally {
      process.env = saved;
    }
  });

  it('info --json on a missing dataset still prints JSON: the error, with its code and fix', async () => {
    const missing = join(mkdtempSync(join(tmpdir(), 'hcr-noshards-')), 'shards');
    const r = await hcr('data', 'info', '--json', '--dir', missing);
    expect(r.code).not.toBe(0);
    const { error } = JSON.parse(r.out);
    expect(error.code).toBe('SHARDS_MISSING');
    expect(error.message).toContain(missing);
    expect(error.hint).toMatch(/hcr data prepare/);
    expect(r.err).toMatch(/^error /);
    const plain = await hcr('data', 'info', '--dir', missing);
    expect(plain.out).toBe(''); // without --json, errors go to stderr only
  });

  it('every subcommand has --help', async () => {
    for (const sub of ['prepare', 'info', 'verify', 'preview']) {
      const r = await hcr('data', sub, '--help');
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/Usage: hcr data/);
    }
  });
});
