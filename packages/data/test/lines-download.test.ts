import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RECORDED_SUMS_FILE } from '../src/download/record-sums.js';
import { ensureLineRawData, glyphLetterSource, prepareLines } from '../src/index.js';
import { DATASET_LOCK_PATH, type DatasetLock } from '../src/lock.js';
import { fakeImages, idxBytes, makeFixture } from './fixtures.js';
import { type RangeServer, startRangeServer, zipLayout } from './zip-fixtures.js';

/** NIST's zip as the committed lock knows ByClass: member names only, no size, no sum. */
function byClassZip(): Buffer {
  const member = (role: 'train' | 'test', kind: 'images' | 'labels', n: number) => {
    const labels = Uint8Array.from({ length: n }, (_, i) => i % 62); // digits too, as NIST ships them
    const raw = kind === 'images' ? idxBytes([n, 28, 28], fakeImages(n, n)) : idxBytes([n], labels);
    return [`gzip/emnist-byclass-${role}-${kind}-idx${kind === 'images' ? 3 : 1}-ubyte.gz`, gzipSync(raw)];
  };
  return zipLayout(
    Object.fromEntries([
      member('train', 'images', 124),
      member('train', 'labels', 124),
      member('test', 'images', 62),
      member('test', 'labels', 62),
    ]),
  ).bytes;
}

let srv: RangeServer;

/** The fixture's lock with ByClass as the committed lock lists it (member names only), NIST's zip on `srv`. */
function lockWithByClassNamesOnly(lockPath: string): DatasetLock {
  const lock = JSON.parse(readFileSync(lockPath, 'utf8')) as DatasetLock;
  lock.datasets['emnist-byclass'] = {
    description: 'official ByClass, as committed',
    zipUrl: `${srv.base}/EMNIST/gzip.zip`,
    zipMemberPrefix: 'gzip/',
    files: Object.fromEntries(
      (['train-images', 'train-labels', 'test-images', 'test-labels'] as const).map((role) => {
        const [split, kind] = role.split('-');
        return [role, { name: `emnist-byclass-${split}-${kind}-idx${kind === 'images' ? 3 : 1}-ubyte.gz` }];
      }),
    ),
  };
  writeFileSync(lockPath, JSON.stringify(lock));
  return lock;
}

describe('line glyphs on a fresh machine online (no offline repack)', () => {
  beforeAll(async () => {
    srv = await startRangeServer();
    srv.routes.set('/EMNIST/gzip.zip', byClassZip());
  });
  afterAll(async () => {
    delete process.env.HCR_DATASET_LOCK;
    await srv.close();
  });

  it('downloads the official ByClass letters, records their sums, and draws the lines from them', async () => {
    const fx = makeFixture();
    rmSync(join(fx.dataDir, 'emnist-byclass-repack'), { recursive: true });
    lockWithByClassNamesOnly(fx.lockPath);
    process.env.HCR_DATASET_LOCK = fx.lockPath;
    // Only the fixture's folder: not HCR_DATA_DIR (which may hold the repack) nor the user cache.
    const env = { HCR_DATASET_LOCK: fx.lockPath, XDG_CACHE_HOME: join(fx.dataDir, 'cache') };
    const where = { dataDir: fx.dataDir, env };

    const messages: string[] = [];
    const r = await ensureLineRawData({ ...where, onMessage: (m) => messages.push(m) });
    expect(r.fetched).toEqual(['emnist-byclass']);
    expect(messages.join('\n')).toContain('no local copy of emnist-byclass (nor of its offline repack)');
    const recorded = JSON.parse(readFileSync(fx.lockPath, 'utf8')) as DatasetLock;
    for (const f of Object.values(recorded.datasets['emnist-byclass']!.files))
      expect(f!.sha256).toMatch(/^[0-9a-f]{64}$/);

    expect(glyphLetterSource(where)).toBe('emnist-byclass');
    const out = await mkdtemp(join(tmpdir(), 'hcr-lines-online-'));
    const { manifest } = await prepareLines({
      ...where,
      config: { counts: { train: 6, val: 0, test: 4 } },
      outDir: out,
      workers: 0,
    });
    expect(manifest.rawInputs.filter((x) => x.dataset === 'emnist-byclass').map((x) => x.verified)).toEqual(
      new Array(4).fill('locked'),
    );

    // A second run finds everything and asks the server nothing.
    srv.log.length = 0;
    expect((await ensureLineRawData(where)).fetched).toEqual([]);
    expect(srv.log).toEqual([]);
  });

  it('with the committed lock, records the first download sums beside the files, never in the lock', async () => {
    // The fixture's lock lists ByClass by member name only, as the committed one does, and fixes the fixture's
    // MNIST; the download is told its lock is the committed file.
    const committed = fileURLToPath(DATASET_LOCK_PATH);
    const before = readFileSync(committed);
    const fx = makeFixture();
    rmSync(join(fx.dataDir, 'emnist-byclass-repack'), { recursive: true });
    const lock = lockWithByClassNamesOnly(fx.lockPath);
    process.env.HCR_DATASET_LOCK = fx.lockPath;
    const env = { HCR_DATASET_LOCK: fx.lockPath, XDG_CACHE_HOME: join(fx.dataDir, 'cache') };
    const where = { dataDir: fx.dataDir, env };

    const messages: string[] = [];
    expect(
      (
        await ensureLineRawData({
          ...where,
          download: { lockPath: committed },
          onMessage: (m) => messages.push(m),
        })
      ).fetched,
    ).toEqual(['emnist-byclass']);
    // The checkout stays as it was (an edited lock would also change every data task's turbo hash).
    expect(readFileSync(committed).equals(before)).toBe(true);
    expect(readFileSync(fx.lockPath, 'utf8')).toBe(JSON.stringify(lock));
    const beside = join(fx.dataDir, 'emnist-byclass', RECORDED_SUMS_FILE);
    const sums = JSON.parse(readFileSync(beside, 'utf8')) as { sha256: Record<string, string> };
    expect(Object.keys(sums.sha256)).toHaveLength(4);
    expect(messages.join('\n')).toContain(`recorded beside the files (${beside})`);

    const out = await mkdtemp(join(tmpdir(), 'hcr-lines-recorded-'));
    const { manifest } = await prepareLines({
      ...where,
      config: { counts: { train: 6, val: 0, test: 4 } },
      outDir: out,
      workers: 0,
    });
    const byclass = manifest.rawInputs.filter((x) => x.dataset === 'emnist-byclass');
    expect(byclass.map((x) => x.verified)).toEqual(new Array(4).fill('recorded'));

    // A damaged file is caught against the recorded sum.
    const images = join(fx.dataDir, 'emnist-byclass', byclass.find((x) => x.role === 'test-images')!.file);
    writeFileSync(images, Buffer.concat([readFileSync(images), Buffer.from([0])]));
    await expect(
      prepareLines({
        ...where,
        config: { counts: { train: 6, val: 0, test: 4 } },
        outDir: out,
        workers: 0,
        force: true,
      }),
    ).rejects.toThrow(/recorded-sums\.json beside it/);
  });
});
