import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { decodeIdx, prepareShards, readIdx } from '@hcr/data';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Fixture, idxBytes, makeFixture } from './fixtures.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'hcr-idx-'));

describe('IDX reader', () => {
  it('reads plain and gzip files alike', async () => {
    const dir = tmp();
    const raw = idxBytes([2, 2, 3], Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]));
    writeFileSync(join(dir, 'a'), raw);
    writeFileSync(join(dir, 'a.gz'), gzipSync(raw));
    for (const f of ['a', 'a.gz']) {
      const r = await readIdx(join(dir, f), 3);
      expect(r.dims).toEqual([2, 2, 3]);
      expect([...r.data]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    }
  });
  it('rejects a wrong magic number, dtype, rank and byte length with the file named', () => {
    const good = idxBytes([3], Uint8Array.from([1, 2, 3]));
    const badMagic = good.slice();
    badMagic[0] = 7;
    expect(() => decodeIdx(badMagic, 'x.idx')).toThrow(/x\.idx is not a valid IDX file: magic/);
    expect(() => decodeIdx(idxBytes([3], Uint8Array.from([1, 2, 3]), 0x0d), 'f')).toThrow(/dtype code 0xd/);
    expect(() => decodeIdx(good, 'labels', 3)).toThrow(/rank 1, expected 3/);
    expect(() => decodeIdx(good.subarray(0, good.length - 1), 'short')).toThrow(/need 11/);
  });
  it('explains a truncated gzip', async () => {
    const dir = tmp();
    const gz = gzipSync(idxBytes([1000], new Uint8Array(1000).fill(3)));
    writeFileSync(join(dir, 'cut.gz'), gz.subarray(0, gz.length - 10));
    await expect(readIdx(join(dir, 'cut.gz'))).rejects.toThrow(/damaged gzip.*download/s);
  });
});

describe('raw data problems stop prepare before anything is written', () => {
  let fx: Fixture;
  beforeEach(() => {
    delete process.env.HCR_DATASET_LOCK;
  });
  afterEach(() => {
    delete process.env.HCR_DATASET_LOCK;
  });
  const run = async (f: Fixture) => {
    process.env.HCR_DATASET_LOCK = f.lockPath;
    const out = join(tmp(), 'shards');
    const err = await prepareShards({ dataDir: f.dataDir, outDir: out, env: {} }).catch((e) => e);
    return { err, out };
  };

  it('image/label count mismatch', async () => {
    fx = makeFixture({
      labelsFor: (d, role, n) => (d === 'mnist' && role === 'test' ? new Uint8Array(n - 1) : undefined!),
    });
    const { err } = await run(fx);
    expect(err.code).toBe('IDX_COUNT_MISMATCH');
    expect(err.message).toMatch(/30 images but .* 29 labels/);
  });
  it('a damaged repack file names the copy to put back: `hcr data download` cannot fetch a repack', async () => {
    fx = makeFixture();
    fx.replace(
      'emnist-letters-repack',
      'emnist-letters-repack-test-labels-idx1-ubyte.gz',
      gzipSync(new Uint8Array(9)),
    );
    const { err } = await run(fx);
    expect(err.code).toBe('CHECKSUM_MISMATCH');
    expect(err.hint).toMatch(/offline repack, which `hcr data download` cannot fetch/);
    expect(err.hint).toContain('emnist-letters-repack/');
    expect(err.hint).toContain('`hcr data download --dataset emnist-letters`');
  });
  it('a damaged official file names the download of its own dataset', async () => {
    fx = makeFixture();
    // a file the lock has no sum for (as EMNIST ByClass before its first download): read, and refused as IDX
    const lock = JSON.parse(readFileSync(fx.lockPath, 'utf8'));
    const entry = lock.datasets.mnist.files['test-labels'];
    delete entry.sha256;
    delete entry.uncompressedSha256;
    writeFileSync(fx.lockPath, JSON.stringify(lock));
    fx.replace('mnist', 't10k-labels-idx1-ubyte.gz', gzipSync(idxBytes([30, 1], new Uint8Array(30))));
    const { err } = await run(fx);
    expect(err.code).toBe('IDX_INVALID');
    expect(err.message).toMatch(/rank 2, expected 1/);
    expect(err.hint).toContain('Delete it and fetch it again with `hcr data download --dataset mnist`');
  });
  it('label out of range', async () => {
    fx = makeFixture({
      labelsFor: (d, role, n) =>
        d === 'emnist-letters-repack' && role === 'train' ? new Uint8Array(n).fill(27) : undefined!,
    });
    const { err } = await run(fx);
    expect(err.code).toBe('LABEL_OUT_OF_RANGE');
    expect(err.message).toMatch(/label 27 at index 0 is outside 1\.\.26/);
  });
});
