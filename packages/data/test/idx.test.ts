import { mkdtempSync, writeFileSync } from 'node:fs';
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
