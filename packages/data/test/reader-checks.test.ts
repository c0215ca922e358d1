import { cpSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeShard, epochOrder, openDataset, prepareShards, sha256, verifyDataset } from '@hcr/data';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeFixture } from './fixtures.js';

/** One small prepared dataset; each test reads or damages a copy of it. */
let base: string;
beforeAll(async () => {
  const fx = makeFixture();
  process.env.HCR_DATASET_LOCK = fx.lockPath;
  try {
    base = join(mkdtempSync(join(tmpdir(), 'hcr-reader-')), 'shards');
    await prepareShards({ dataDir: fx.dataDir, outDir: base, env: {}, config: { shardSize: 100 } });
  } finally {
    delete process.env.HCR_DATASET_LOCK;
  }
});

function copy(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'hcr-reader-')), 'shards');
  cpSync(base, dir, { recursive: true });
  return dir;
}

const rebuild = (dir: string) => expect.stringContaining(`hcr data prepare --out ${dir} --force`);

/** Writes `bytes` as `file` of the dataset and records its size and sha256 in the manifest (a consistent edit). */
function replaceShard(dir: string, file: string, bytes: Uint8Array): void {
  writeFileSync(join(dir, file), bytes);
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
  const entry = manifest.shards.find((s: { file: string }) => s.file === file);
  Object.assign(entry, { bytes: bytes.length, sha256: sha256(bytes) });
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
}

describe('the character reader checks the shards against the manifest', () => {
  it('refuses a label outside the label space (another dataset’s shard, or a changed byte)', async () => {
    for (const label of [36, 61, 99]) {
      const dir = copy();
      const bytes = readFileSync(join(dir, 'test-0000.shard'));
      const count = bytes.readUInt32LE(12);
      bytes[bytes.length - 2 * count + 3] = label; // the 4th label: labels then sources end the file
      writeFileSync(join(dir, 'test-0000.shard'), bytes);
      const ds = await openDataset(dir);
      await expect(ds.loadSplit('test'), String(label)).rejects.toMatchObject({
        code: 'SHARD_CORRUPT',
        message: expect.stringMatching(new RegExp(`test-0000\\.shard.*label ${label}.*36 classes`)),
        hint: rebuild(dir),
      });
      // verify (sha256 recorded anew, as a copied dataset's manifest would be) names it too
      replaceShard(dir, 'test-0000.shard', bytes);
      const r = await verifyDataset(dir);
      expect(r.ok).toBe(false);
      expect(r.bad).toEqual([
        { file: 'test-0000.shard', problem: expect.stringContaining(`label ${label}`) },
      ]);
    }
  });

  it('refuses a shard whose images are not the manifest’s imageShape (no RangeError, no zero-filled images)', async () => {
    for (const side of [32, 14]) {
      const dir = copy();
      const count = readFileSync(join(dir, 'test-0000.shard')).readUInt32LE(12);
      const bytes = encodeShard({
        count,
        height: side,
        width: side,
        channels: 1,
        pixels: new Uint8Array(count * side * side),
        labels: new Uint8Array(count),
        sources: new Uint8Array(count),
      });
      replaceShard(dir, 'test-0000.shard', bytes);
      const ds = await openDataset(dir);
      await expect(ds.loadSplit('test'), String(side)).rejects.toMatchObject({
        code: 'SHARD_CORRUPT',
        message: expect.stringMatching(
          new RegExp(`test-0000\\.shard holds ${side}x${side}x1 images; the manifest says 28x28x1`),
        ),
        hint: rebuild(dir),
      });
      expect((await verifyDataset(dir)).bad).toEqual([
        { file: 'test-0000.shard', problem: expect.stringContaining(`${side}x${side}x1`) },
      ]);
    }
  });

  it('a split that failed to load is read again next time, not kept as failed', async () => {
    const dir = copy();
    const ds = await openDataset(dir);
    renameSync(join(dir, 'train-0001.shard'), join(dir, 'away'));
    await expect(ds.loadSplit('train')).rejects.toMatchObject({ code: 'SHARD_MISSING' });
    renameSync(join(dir, 'away'), join(dir, 'train-0001.shard'));
    await expect(ds.loadSplit('train')).resolves.toMatchObject({ count: ds.manifest.counts.train.total });
  });

  it('an unknown split is an error, not an empty one', async () => {
    const ds = await openDataset(base);
    const next = () => ds.batches('tset' as never, { batchSize: 8 }).next();
    await expect(next()).rejects.toMatchObject({
      code: 'DATA_SPLIT',
      message: expect.stringContaining("'tset'"),
    });
    await expect(ds.loadSplit('tset' as never)).rejects.toMatchObject({ code: 'DATA_SPLIT' });
    // extra is a split even when a dataset has no sample of it
    await expect(ds.loadSplit('extra')).resolves.toBeDefined();
  });

  it('startBatch must be a whole number >= 0', async () => {
    const ds = await openDataset(base);
    for (const startBatch of [-1, 1.5, Number.NaN])
      await expect(
        ds.batches('train', { batchSize: 8, startBatch }).next(),
        String(startBatch),
      ).rejects.toThrow(/startBatch must be a whole number >= 0/);
    let n = 0;
    for await (const b of ds.batches('train', { batchSize: 100, startBatch: 1 })) n += b.size;
    expect(n).toBe(ds.manifest.counts.train.total - 100);
  });
});

describe('epochOrder', () => {
  it('keeps the order of every valid seed, and gives each epoch its own', () => {
    // recorded before seeds were checked
    expect(Array.from(epochOrder(10, true, 2 ** 32 - 1, 0))).toEqual([8, 2, 1, 9, 0, 5, 3, 4, 7, 6]);
    expect(Array.from(epochOrder(10, true, 2 ** 32 - 1, 1))).toEqual([1, 2, 8, 4, 7, 6, 0, 5, 9, 3]);
    expect(Array.from(epochOrder(10, true, 1, 0))).toEqual([8, 5, 2, 9, 3, 6, 7, 4, 1, 0]);
    expect(Array.from(epochOrder(4, false, 7, 3))).toEqual([0, 1, 2, 3]);
  });

  it('refuses a seed outside [0, 2^32) (a larger one repeated the same order every epoch) and a bad epoch', () => {
    for (const seed of [2 ** 32, 1e10, 2 ** 53, -1, 1.5, Number.NaN])
      expect(() => epochOrder(100, true, seed, 0), String(seed)).toThrow(
        /seed must be a whole number in \[0, 2\^32\) \(0\.\.4294967295\)/,
      );
    for (const epoch of [-1, 0.5, Number.NaN])
      expect(() => epochOrder(100, true, 1, epoch), String(epoch)).toThrow(/epoch must be a whole number/);
  });
});
