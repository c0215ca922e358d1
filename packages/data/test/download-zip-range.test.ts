import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { downloadDatasets } from '../src/download/index.js';
import { decodeIdx } from '../src/idx.js';
import type { DatasetLock, LockedDataset } from '../src/lock.js';
import {
  caught,
  gz,
  idx,
  type RangeServer,
  sha,
  startRangeServer,
  type ZipLayout,
  zipLayout,
} from './zip-fixtures.js';

/** An IDX image file of noise: its gz is as big as its content (so its data spans several 64 kB blocks). */
function noisyImages(n: number): Buffer {
  return gz(Buffer.concat([idx('images', n, 5).subarray(0, 16), randomBytes(n * 784)]));
}

// NIST's gzip.zip in miniature: the members hcr needs, a large member it must never fetch (the ByClass
// training images are most of the real archive), and a README.
const members = {
  'gzip/emnist-letters-train-images-idx3-ubyte.gz': noisyImages(150),
  'gzip/emnist-letters-train-labels-idx1-ubyte.gz': gz(idx('labels', 8, 6)),
  'gzip/emnist-letters-test-images-idx3-ubyte.gz': gz(idx('images', 4, 7)),
  'gzip/emnist-letters-test-labels-idx1-ubyte.gz': gz(idx('labels', 4, 8)),
  'gzip/emnist-digits-test-images-idx3-ubyte.gz': gz(idx('images', 3, 9)),
  'gzip/emnist-digits-test-labels-idx1-ubyte.gz': gz(idx('labels', 3, 10)),
  'gzip/emnist-byclass-test-images-idx3-ubyte.gz': gz(idx('images', 2, 11)),
  'gzip/emnist-byclass-test-labels-idx1-ubyte.gz': gz(idx('labels', 2, 12)),
  'gzip/emnist-balanced-train-images-idx3-ubyte.gz': randomBytes(4_000_000), // incompressible, never wanted
  'README.txt': Buffer.from('not wanted'),
};
const NEEDED = Object.keys(members).filter((p) => /letters|digits/.test(p));
const ZIP = '/cs_links/EMNIST/gzip.zip';

let srv: RangeServer;
const defaultLayout = zipLayout(members);
let layout: ZipLayout;
let dest: string;

function lockFor(zipUrl = `${srv.base}${ZIP}`): { lock: DatasetLock; lockPath: string } {
  const entry = (file: string) => {
    const data = members[`gzip/${file}` as keyof typeof members];
    return { name: file, bytes: data.length, sha256: sha(data) };
  };
  const set = (description: string, prefix: string, roles: string[]): LockedDataset => ({
    description,
    zipUrl,
    zipMemberPrefix: 'gzip/',
    files: Object.fromEntries(
      roles.map((role) => {
        const [split, kind] = role.split('-');
        const file = `${prefix}-${split}-${kind}-idx${kind === 'images' ? 3 : 1}-ubyte.gz`;
        return [role, entry(file)];
      }),
    ),
  });
  const lock: DatasetLock = {
    formatVersion: 1,
    datasets: {
      'emnist-letters': set('letters', 'emnist-letters', [
        'train-images',
        'train-labels',
        'test-images',
        'test-labels',
      ]),
      'emnist-digits': set('digits', 'emnist-digits', ['test-images', 'test-labels']),
      'emnist-byclass': set('byclass', 'emnist-byclass', ['test-images', 'test-labels']),
    },
  };
  return { lock, lockPath: join(dest, 'lock.json') };
}

/** Every file under dir, relative, sorted. */
async function tree(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const d of await readdir(dir, { withFileTypes: true })) {
    const rel = prefix + d.name;
    if (d.isDirectory()) out.push(...(await tree(join(dir, d.name), `${rel}/`)));
    else out.push(rel);
  }
  return out.sort();
}

const fast = { retryDelayMs: 0 };
const wanted = ['emnist-letters', 'emnist-digits'];

beforeAll(async () => {
  srv = await startRangeServer();
});
afterAll(() => srv.close());
beforeEach(async () => {
  dest = await mkdtemp(join(tmpdir(), 'hcr-zip-range-'));
  layout = defaultLayout;
  srv.routes.clear();
  srv.routes.set(ZIP, layout.bytes);
  srv.log.length = 0;
  srv.noRange.clear();
  srv.cutAt.clear();
});
afterEach(() => rm(dest, { recursive: true, force: true }));

describe('EMNIST members by HTTP Range', () => {
  it('fetches only the directory and the needed members, verified, and reports the bytes fetched', async () => {
    const { lock } = lockFor();
    const r = await downloadDatasets({ lock, destDir: join(dest, 'raw'), datasets: wanted, ...fast });
    expect(r.files.map((f) => [f.dataset, f.status])).toEqual([
      ...Array(4).fill(['emnist-letters', 'downloaded']),
      ...Array(2).fill(['emnist-digits', 'downloaded']),
    ]);
    for (const f of r.files) expect(sha(await readFile(f.path))).toBe(f.sha256);
    expect(decodeIdx(gunzipSync(await readFile(r.files[0]!.path))).dims).toEqual([150, 28, 28]);

    const [archive] = r.archives;
    expect(archive).toMatchObject({
      url: `${srv.base}${ZIP}`,
      mode: 'ranges',
      archiveBytes: layout.bytes.length,
    });
    // What the client counted is what the server sent; far less than the archive.
    expect(archive!.fetchedBytes).toBe(srv.bytesServed(ZIP));
    expect(archive!.fetchedBytes).toBeLessThan(layout.bytes.length / 10);
    const neededBytes = NEEDED.reduce((n, p) => n + layout.data.get(p)![1] - layout.data.get(p)![0], 0);
    expect(archive!.fetchedBytes).toBeGreaterThanOrEqual(neededBytes);
    // Every request was a Range request and none touched the big unwanted member's data.
    const [bigStart, bigEnd] = layout.data.get('gzip/emnist-balanced-train-images-idx3-ubyte.gz')!;
    for (const q of srv.log) {
      expect(q.status).toBe(206);
      const m = q.range!.match(/^bytes=(\d*)-(\d*)$/)!;
      const from = m[1] === '' ? layout.bytes.length - Number(m[2]) : Number(m[1]);
      const to = m[2] === '' || m[1] === '' ? layout.bytes.length : Number(m[2]) + 1;
      const overlap = Math.max(0, Math.min(to, bigEnd) - Math.max(from, bigStart));
      expect(overlap).toBeLessThan(64 * 1024 + 1); // at most one directory block may graze it
    }
    // No .part, sidecar or temp file is left; the zip itself never touched the disk.
    expect(await tree(join(dest, 'raw'))).toEqual(r.files.map((f) => `${f.dataset}/${f.name}`).sort());

    srv.log.length = 0;
    const again = await downloadDatasets({ lock, destDir: join(dest, 'raw'), datasets: wanted });
    expect(again.files.every((f) => f.status === 'present')).toBe(true);
    expect(again.archives).toEqual([]);
    expect(srv.log).toEqual([]);
  });

  it('reads stored members and a zip64 end record with a comment', async () => {
    layout = zipLayout(members, { method: 0, zip64: true, comment: 'EMNIST: '.repeat(40) });
    srv.routes.set(ZIP, layout.bytes);
    const { lock } = lockFor();
    const r = await downloadDatasets({ lock, destDir: dest, datasets: ['emnist-digits'], ...fast });
    expect(r.files.map((f) => f.status)).toEqual(['downloaded', 'downloaded']);
    for (const f of r.files) expect(sha(await readFile(f.path))).toBe(f.sha256);
    expect(r.archives[0]).toMatchObject({ mode: 'ranges' });
    expect(r.archives[0]!.fetchedBytes).toBeLessThan(layout.bytes.length / 10);
  });

  it('a server that refuses ranges (200 + Accept-Ranges: none) still works: the whole zip, then the members', async () => {
    srv.noRange.add(ZIP);
    const notices: string[] = [];
    const { lock } = lockFor();
    const r = await downloadDatasets({
      lock,
      destDir: dest,
      datasets: wanted,
      onNotice: (m) => notices.push(m),
      ...fast,
    });
    expect(r.files.every((f) => f.status === 'downloaded')).toBe(true);
    for (const f of r.files) expect(sha(await readFile(f.path))).toBe(f.sha256);
    expect(r.archives).toEqual([
      {
        url: `${srv.base}${ZIP}`,
        mode: 'full',
        fetchedBytes: layout.bytes.length,
        archiveBytes: layout.bytes.length,
        requests: 1,
      },
    ]);
    expect(notices.join('\n')).toMatch(/whole file \(HTTP 200\).*downloading the whole archive instead/);
    expect(await tree(dest)).toEqual(r.files.map((f) => `${f.dataset}/${f.name}`).sort());
  });

  it('a member whose sha256 is not the lock’s: a clear error, and nothing half-written is left', async () => {
    const { lock } = lockFor();
    // The zip is self-consistent (its CRC matches), but the member is not the file the lock names.
    const tampered = {
      ...members,
      'gzip/emnist-letters-test-labels-idx1-ubyte.gz': gz(idx('labels', 4, 99)),
    };
    srv.routes.set(ZIP, zipLayout(tampered).bytes);
    const e = await caught(downloadDatasets({ lock, destDir: dest, datasets: ['emnist-letters'], ...fast }));
    expect(e.code).toBe('CHECKSUM_MISMATCH');
    expect(e.message).toContain('gzip/emnist-letters-test-labels-idx1-ubyte.gz');
    expect(e.message).toContain(lock.datasets['emnist-letters']!.files['test-labels']!.sha256);
    expect(e.message).toContain(sha(tampered['gzip/emnist-letters-test-labels-idx1-ubyte.gz']));
    expect(e.hint).toMatch(/again.*report/s);
    // The three members before it are in place and verified; of the bad one there is no trace.
    expect(await tree(dest)).toEqual([
      'emnist-letters/emnist-letters-test-images-idx3-ubyte.gz',
      'emnist-letters/emnist-letters-train-images-idx3-ubyte.gz',
      'emnist-letters/emnist-letters-train-labels-idx1-ubyte.gz',
    ]);
  });

  it('a member cut mid-transfer is resumed with a Range from where it stopped, next run or retry', async () => {
    const path = 'gzip/emnist-letters-train-images-idx3-ubyte.gz';
    const [start, end] = layout.data.get(path)!;
    srv.cutAt.set(ZIP, { from: start, after: 2000 });
    const { lock } = lockFor();
    const e = await caught(
      downloadDatasets({ lock, destDir: dest, datasets: ['emnist-letters'], retries: 0 }),
    );
    expect(e.code).toBe('DOWNLOAD_INTERRUPTED');
    expect(e.hint).toContain('resumes');
    const part = join(dest, 'emnist-letters', 'emnist-letters-train-images-idx3-ubyte.gz.zipdata.part');
    const partSize = (await stat(part)).size;
    expect(partSize).toBeGreaterThan(0);
    expect(partSize).toBeLessThan(end - start);
    expect(existsSync(join(dest, 'emnist-letters', 'emnist-letters-train-images-idx3-ubyte.gz'))).toBe(false);

    srv.log.length = 0;
    const r = await downloadDatasets({ lock, destDir: dest, datasets: ['emnist-letters'], retries: 0 });
    expect(r.files.map((f) => f.status)).toEqual(['resumed', 'downloaded', 'downloaded', 'downloaded']);
    for (const f of r.files) expect(sha(await readFile(f.path))).toBe(f.sha256);
    expect(srv.log.map((q) => q.range)).toContain(`bytes=${start + partSize}-${end - 1}`);
    expect(existsSync(part)).toBe(false);

    // With retries the same cut heals within one call.
    await rm(dest, { recursive: true, force: true });
    srv.cutAt.set(ZIP, { from: start, after: 2000 });
    const healed = await downloadDatasets({ lock, destDir: dest, datasets: ['emnist-letters'], ...fast });
    expect(healed.files[0]!.status).toBe('resumed');
    expect(sha(await readFile(healed.files[0]!.path))).toBe(healed.files[0]!.sha256);
  });

  it('something that is not a zip (a login page, say) is ZIP_UNREADABLE naming the URL, not a network error', async () => {
    srv.routes.set(ZIP, Buffer.from('<html><body>Please log in</body></html>'.repeat(50)));
    const { lock } = lockFor();
    const e = await caught(downloadDatasets({ lock, destDir: dest, datasets: ['emnist-digits'], ...fast }));
    expect(e.code).toBe('ZIP_UNREADABLE');
    expect(e.message).toContain(`${srv.base}${ZIP} is not a readable zip`);
    expect(e.hint).toContain('HCR_DATA_MIRROR');
    expect(srv.log).toHaveLength(1); // not retried
  });

  it('offline (connection refused): DOWNLOAD_FAILED naming the URL, the files and HCR_DATA_DIR', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const { lock } = lockFor(`http://127.0.0.1:${port}${ZIP}`);
    const e = await caught(
      downloadDatasets({ lock, destDir: dest, datasets: ['emnist-letters'], retries: 1, retryDelayMs: 0 }),
    );
    expect(e.code).toBe('DOWNLOAD_FAILED');
    expect(e.message).toContain(`http://127.0.0.1:${port}${ZIP}`);
    expect(e.message).toContain('ECONNREFUSED');
    expect(e.hint).toContain('HCR_DATA_DIR');
    expect(e.hint).toContain('gzip/emnist-letters-train-images-idx3-ubyte.gz');
  });

  it('members the lock lists without a sha256 are checked by CRC-32, and their sums are recorded in the lock', async () => {
    const { lock, lockPath } = lockFor();
    // As the committed lock lists ByClass: names only (neither size nor sum was known offline).
    for (const f of Object.values(lock.datasets['emnist-byclass']!.files)) {
      delete f!.sha256;
      delete f!.bytes;
    }
    await writeFile(lockPath, `${JSON.stringify(lock, null, 2)}\n`);
    const notices: string[] = [];
    const r = await downloadDatasets({
      lock,
      lockPath,
      destDir: join(dest, 'raw'),
      datasets: ['emnist-byclass'],
      onNotice: (m) => notices.push(m),
      ...fast,
    });
    const sums = [
      sha(members['gzip/emnist-byclass-test-images-idx3-ubyte.gz']),
      sha(members['gzip/emnist-byclass-test-labels-idx1-ubyte.gz']),
    ];
    expect(r.files.map((f) => [f.sha256, f.recorded])).toEqual(sums.map((s) => [s, true]));
    const written = JSON.parse(await readFile(lockPath, 'utf8')) as DatasetLock;
    expect(Object.values(written.datasets['emnist-byclass']!.files).map((f) => f!.sha256)).toEqual(sums);
    expect(written.datasets['emnist-letters']).toEqual(lock.datasets['emnist-letters']); // the rest untouched
    expect(notices.join('\n')).toContain(`recorded this first download's sums in ${lockPath}`);
    expect(await readdir(dest)).toEqual(['lock.json', 'raw']); // no temp file beside the lock

    // From now on they are verified: a second run finds them present without a request.
    srv.log.length = 0;
    const again = await downloadDatasets({
      lock: written,
      destDir: join(dest, 'raw'),
      datasets: ['emnist-byclass'],
    });
    expect(again.files.every((f) => f.status === 'present')).toBe(true);
    expect(srv.log).toEqual([]);
  });

  it('a lock that cannot be written costs only the recorded sums: the files still land, and the notice says so', async () => {
    const { lock } = lockFor();
    for (const f of Object.values(lock.datasets['emnist-byclass']!.files)) delete f!.sha256;
    const notices: string[] = [];
    const lockPath = join(dest, 'no-such-dir', 'lock.json');
    const r = await downloadDatasets({
      lock,
      lockPath,
      destDir: dest,
      datasets: ['emnist-byclass'],
      onNotice: (m) => notices.push(m),
      ...fast,
    });
    expect(r.files.map((f) => f.status)).toEqual(['downloaded', 'downloaded']);
    expect(notices.join('\n')).toContain(`could not record them in ${lockPath}`);
    expect(notices.join('\n')).toContain('HCR_DATASET_LOCK');
  });

  it('HCR_DATA_MIRROR points every URL at another server (<mirror>/<zip name>, <mirror>/<dataset>/<file>)', async () => {
    const { lock } = lockFor('https://biometrics.invalid/cs_links/EMNIST/gzip.zip');
    srv.routes.set('/mirror/gzip.zip', layout.bytes);
    const r = await downloadDatasets({
      lock,
      destDir: dest,
      datasets: ['emnist-digits'],
      mirror: `${srv.base}/mirror`,
      ...fast,
    });
    expect(r.archives[0]!.url).toBe(`${srv.base}/mirror/gzip.zip`);
    expect(r.files.map((f) => f.status)).toEqual(['downloaded', 'downloaded']);
    expect(new Set(srv.log.map((q) => q.path))).toEqual(new Set(['/mirror/gzip.zip']));
    const bad = await caught(
      downloadDatasets({ lock, destDir: dest, datasets: ['emnist-digits'], mirror: 'ftp://x' }),
    );
    expect(bad.code).toBe('DATA_MIRROR');
  });
});
