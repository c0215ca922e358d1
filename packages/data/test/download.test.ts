import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type DownloadProgress, downloadDatasets } from '../src/download/index.js';
import { decodeIdx } from '../src/idx.js';
import type { DatasetLock, LockedDataset } from '../src/lock.js';
import { caught, gz, idx, sha, zipOf } from './zip-fixtures.js';

// ---- fixtures, generated at runtime -------------------------------------------------------------------

const files = {
  trainImages: gz(idx('images', 12, 1)),
  trainLabels: gz(idx('labels', 12, 2)),
  testImages: gz(idx('images', 4, 3)),
  testLabels: gz(idx('labels', 4, 4)),
  lettersTrainImages: gz(idx('images', 8, 5)),
  lettersTrainLabels: gz(idx('labels', 8, 6)),
  digitsTestImages: gz(idx('images', 3, 7)),
  digitsTestLabels: gz(idx('labels', 3, 8)),
};

// ---- a loopback server -------------------------------------------------------------------------------

interface Logged {
  url: string;
  range?: string;
}
const routes = new Map<string, Buffer>();
let requests: Logged[] = [];
let server: Server;
let base = '';
/** Paths whose first full (non-Range) request is cut after this many bytes. */
const cutAfter = new Map<string, number>();
/** Paths served without Range support (always the whole file, 200). */
const noRange = new Set<string>();

function serve(req: IncomingMessage, res: ServerResponse): void {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  const range = req.headers.range;
  requests.push({ url: path, range });
  const body = routes.get(path);
  if (!body) {
    res.writeHead(404, 'Not Found').end();
    return;
  }
  const etag = `"${sha(body).slice(0, 16)}"`;
  const m = range?.match(/^bytes=(\d+)-$/);
  const ifRangeOk = !req.headers['if-range'] || req.headers['if-range'] === etag;
  if (m && ifRangeOk && !noRange.has(path)) {
    const start = Number(m[1]);
    if (start >= body.length) {
      res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
      return;
    }
    res.writeHead(206, {
      'content-length': body.length - start,
      'content-range': `bytes ${start}-${body.length - 1}/${body.length}`,
      etag,
    });
    res.end(body.subarray(start));
    return;
  }
  res.writeHead(200, {
    'content-length': body.length,
    etag,
    'accept-ranges': noRange.has(path) ? 'none' : 'bytes',
  });
  const cut = cutAfter.get(path);
  if (cut !== undefined) {
    cutAfter.delete(path);
    // Flush some bytes, give the client a moment to store them, then drop the connection mid-body.
    res.write(body.subarray(0, cut), () => setTimeout(() => req.socket.destroy(), 50));
    return;
  }
  res.end(body);
}

function lockFor(overrides: Partial<Record<string, Partial<LockedDataset>>> = {}): DatasetLock {
  const entry = (name: string, data: Buffer) => ({ name, bytes: data.length, sha256: sha(data) });
  const datasets: Record<string, LockedDataset> = {
    mnist: {
      description: 'fixture mnist',
      baseUrl: `${base}/mnist/`,
      files: {
        'train-images': entry('train-images-idx3-ubyte.gz', files.trainImages),
        'train-labels': entry('train-labels-idx1-ubyte.gz', files.trainLabels),
        'test-images': entry('t10k-images-idx3-ubyte.gz', files.testImages),
        'test-labels': entry('t10k-labels-idx1-ubyte.gz', files.testLabels),
      },
    },
    'emnist-letters': {
      description: 'fixture letters',
      zipUrl: `${base}/emnist/gzip.zip`,
      zipMemberPrefix: 'gzip/',
      files: {
        'train-images': entry('emnist-letters-train-images-idx3-ubyte.gz', files.lettersTrainImages),
        'train-labels': entry('emnist-letters-train-labels-idx1-ubyte.gz', files.lettersTrainLabels),
      },
    },
    'emnist-digits': {
      description: 'fixture digits',
      zipUrl: `${base}/emnist/gzip.zip`,
      zipMemberPrefix: 'gzip/',
      files: {
        'test-images': entry('emnist-digits-test-images-idx3-ubyte.gz', files.digitsTestImages),
        'test-labels': entry('emnist-digits-test-labels-idx1-ubyte.gz', files.digitsTestLabels),
      },
    },
    'letters-repack': { description: 'offline only', files: {} },
  };
  for (const [k, v] of Object.entries(overrides)) datasets[k] = { ...datasets[k], ...v } as LockedDataset;
  return { formatVersion: 1, datasets };
}

let zipBytes: Buffer;
beforeAll(async () => {
  zipBytes = zipOf({
    'gzip/emnist-letters-train-images-idx3-ubyte.gz': files.lettersTrainImages,
    'gzip/emnist-letters-train-labels-idx1-ubyte.gz': files.lettersTrainLabels,
    'gzip/emnist-digits-test-images-idx3-ubyte.gz': files.digitsTestImages,
    'gzip/emnist-digits-test-labels-idx1-ubyte.gz': files.digitsTestLabels,
    // Must never be extracted.
    'gzip/emnist-byclass-train-images-idx3-ubyte.gz': gz(idx('images', 5, 9)),
    'README.txt': Buffer.from('not wanted'),
  });
  server = createServer(serve);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

let dest: string;
beforeEach(async () => {
  dest = await mkdtemp(join(tmpdir(), 'hcr-download-'));
  requests = [];
  cutAfter.clear();
  noRange.clear();
  routes.clear();
  routes.set('/mnist/train-images-idx3-ubyte.gz', files.trainImages);
  routes.set('/mnist/train-labels-idx1-ubyte.gz', files.trainLabels);
  routes.set('/mnist/t10k-images-idx3-ubyte.gz', files.testImages);
  routes.set('/mnist/t10k-labels-idx1-ubyte.gz', files.testLabels);
  routes.set('/emnist/gzip.zip', zipBytes);
});
afterEach(async () => {
  await rm(dest, { recursive: true, force: true });
});

const fast = { retryDelayMs: 0 };

/** Every file under dest, relative, sorted (to prove nothing stray is left behind). */
async function tree(dir = dest, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const d of await readdir(dir, { withFileTypes: true })) {
    const rel = prefix + d.name;
    if (d.isDirectory()) out.push(...(await tree(join(dir, d.name), `${rel}/`)));
    else out.push(rel);
  }
  return out.sort();
}

// ---- tests -------------------------------------------------------------------------------------------

describe('downloadDatasets', () => {
  it('downloads MNIST gz files and extracts only the locked EMNIST members, verified, then reports present with no requests', async () => {
    const lock = lockFor();
    const events: DownloadProgress[] = [];
    const first = await downloadDatasets({
      lock,
      destDir: dest,
      datasets: ['mnist', 'emnist-letters', 'emnist-digits'],
      onProgress: (e) => events.push({ ...e }),
      ranges: false, // the whole-zip path; Range reads are tested in download-zip-range.test.ts
      ...fast,
    });
    expect(first.files.map((f) => [f.dataset, f.name, f.status])).toEqual([
      ['mnist', 'train-images-idx3-ubyte.gz', 'downloaded'],
      ['mnist', 'train-labels-idx1-ubyte.gz', 'downloaded'],
      ['mnist', 't10k-images-idx3-ubyte.gz', 'downloaded'],
      ['mnist', 't10k-labels-idx1-ubyte.gz', 'downloaded'],
      ['emnist-letters', 'emnist-letters-train-images-idx3-ubyte.gz', 'downloaded'],
      ['emnist-letters', 'emnist-letters-train-labels-idx1-ubyte.gz', 'downloaded'],
      ['emnist-digits', 'emnist-digits-test-images-idx3-ubyte.gz', 'downloaded'],
      ['emnist-digits', 'emnist-digits-test-labels-idx1-ubyte.gz', 'downloaded'],
    ]);
    for (const f of first.files) {
      expect(f.path).toBe(join(dest, f.dataset, f.name));
      const bytes = await readFile(f.path);
      expect(sha(bytes)).toBe(f.sha256);
      expect(f.sha256).toBe(
        Object.values(lock.datasets[f.dataset].files).find((l) => l.name === f.name)?.sha256,
      );
    }
    // The extracted members are real IDX files.
    const letters = decodeIdx(gunzipSync(await readFile(first.files[4].path)));
    expect(letters.dims).toEqual([8, 28, 28]);
    // One zip request for both EMNIST datasets; the zip, temp files and the unwanted member are gone.
    expect(requests.filter((r) => r.url === '/emnist/gzip.zip')).toHaveLength(1);
    expect(await tree()).toEqual(
      [
        ...Object.values(lock.datasets.mnist.files).map((f) => `mnist/${f.name}`),
        ...Object.values(lock.datasets['emnist-letters'].files).map((f) => `emnist-letters/${f.name}`),
        ...Object.values(lock.datasets['emnist-digits'].files).map((f) => `emnist-digits/${f.name}`),
      ].sort(),
    );
    // Progress: the download reaches its total, extraction is reported per member.
    const mnistLast = events.filter((e) => e.file === 'train-images-idx3-ubyte.gz').at(-1);
    expect(mnistLast).toMatchObject({
      receivedBytes: files.trainImages.length,
      totalBytes: files.trainImages.length,
    });
    expect(
      events.some(
        (e) => e.phase === 'download' && e.file === 'gzip.zip' && e.receivedBytes === zipBytes.length,
      ),
    ).toBe(true);
    expect(events.some((e) => e.phase === 'extract' && e.dataset === 'emnist-letters+emnist-digits')).toBe(
      true,
    );

    requests = [];
    const second = await downloadDatasets({
      lock,
      destDir: dest,
      datasets: ['mnist', 'emnist-letters', 'emnist-digits'],
    });
    expect(second.files.every((f) => f.status === 'present')).toBe(true);
    expect(requests).toEqual([]);
  });

  it('a file whose sha256 does not match the lock leaves nothing at the final path and names both sums', async () => {
    const lock = lockFor();
    const wrong = Buffer.from(files.testLabels);
    wrong[wrong.length - 1] ^= 0xff;
    routes.set('/mnist/t10k-labels-idx1-ubyte.gz', wrong);
    const e = await caught(downloadDatasets({ lock, destDir: dest, datasets: ['mnist'], ...fast }));
    expect(e.code).toBe('CHECKSUM_MISMATCH');
    expect(e.message).toContain('mnist/t10k-labels-idx1-ubyte.gz');
    expect(e.message).toContain(sha(files.testLabels));
    expect(e.message).toContain(sha(wrong));
    expect(e.hint).toMatch(/again.*report/s);
    expect(existsSync(join(dest, 'mnist', 't10k-labels-idx1-ubyte.gz'))).toBe(false);
    expect((await tree()).filter((f) => f.includes('t10k-labels'))).toEqual([]);
  });

  it('an EMNIST member with the wrong sum is not written and the zip is deleted', async () => {
    const lock = lockFor();
    lock.datasets['emnist-letters'].files['train-labels']!.sha256 = '0'.repeat(64);
    const e = await caught(downloadDatasets({ lock, destDir: dest, datasets: ['emnist-letters'], ...fast }));
    expect(e.code).toBe('CHECKSUM_MISMATCH');
    expect(e.message).toContain('gzip/emnist-letters-train-labels-idx1-ubyte.gz');
    expect(e.message).toContain(sha(files.lettersTrainLabels));
    expect(existsSync(join(dest, 'emnist-letters', 'emnist-letters-train-labels-idx1-ubyte.gz'))).toBe(false);
    expect((await tree()).filter((f) => f.includes('train-labels') || f.includes('gzip.zip'))).toEqual([]);
  });

  it('a connection cut mid-way is resumed with a Range request (automatic retry)', async () => {
    cutAfter.set('/mnist/train-images-idx3-ubyte.gz', 3000);
    const r = await downloadDatasets({ lock: lockFor(), destDir: dest, datasets: ['mnist'], ...fast });
    const f = r.files[0];
    expect(f.status).toBe('resumed');
    expect(sha(await readFile(f.path))).toBe(sha(files.trainImages));
    const tries = requests.filter((q) => q.url === '/mnist/train-images-idx3-ubyte.gz');
    expect(tries).toHaveLength(2);
    expect(tries[0].range).toBeUndefined();
    expect(tries[1].range).toMatch(/^bytes=[1-9]\d*-$/);
    expect(r.files.slice(1).every((x) => x.status === 'downloaded')).toBe(true);
  });

  it('with no retries a cut leaves a .part file; the next run resumes it', async () => {
    cutAfter.set('/mnist/train-images-idx3-ubyte.gz', 3000);
    const lock = lockFor();
    const e = await caught(downloadDatasets({ lock, destDir: dest, datasets: ['mnist'], retries: 0 }));
    expect(e.code).toBe('DOWNLOAD_INTERRUPTED');
    expect(e.message).toContain(`${base}/mnist/train-images-idx3-ubyte.gz`);
    expect(e.hint).toContain('resumes');
    const part = join(dest, 'mnist', 'train-images-idx3-ubyte.gz.part');
    const partSize = (await stat(part)).size;
    expect(partSize).toBeGreaterThan(0);
    expect(partSize).toBeLessThan(files.trainImages.length);
    expect(existsSync(join(dest, 'mnist', 'train-images-idx3-ubyte.gz'))).toBe(false);

    requests = [];
    const r = await downloadDatasets({ lock, destDir: dest, datasets: ['mnist'], retries: 0 });
    expect(r.files[0].status).toBe('resumed');
    expect(requests[0]).toEqual({ url: '/mnist/train-images-idx3-ubyte.gz', range: `bytes=${partSize}-` });
    expect(sha(await readFile(r.files[0].path))).toBe(sha(files.trainImages));
    expect(existsSync(part)).toBe(false);
  });

  it('does not stitch a resume onto a file that changed upstream (If-Range)', async () => {
    const path = '/mnist/train-images-idx3-ubyte.gz';
    cutAfter.set(path, 3000);
    await caught(downloadDatasets({ lock: lockFor(), destDir: dest, datasets: ['mnist'], retries: 0 }));
    const changed = gz(idx('images', 12, 99));
    routes.set(path, changed);
    const lock = lockFor();
    lock.datasets.mnist.files['train-images'] = {
      name: 'train-images-idx3-ubyte.gz',
      bytes: changed.length,
      sha256: sha(changed),
    };
    requests = [];
    const r = await downloadDatasets({ lock, destDir: dest, datasets: ['mnist'], retries: 0 });
    expect(r.files[0].status).toBe('downloaded');
    expect(sha(await readFile(r.files[0].path))).toBe(sha(changed));
    expect(requests[0].range).toMatch(/^bytes=\d+-$/); // asked to resume, server said 200: restarted
  });

  it('restarts cleanly when the server ignores Range', async () => {
    const path = '/mnist/train-images-idx3-ubyte.gz';
    cutAfter.set(path, 3000);
    noRange.add(path);
    const r = await downloadDatasets({ lock: lockFor(), destDir: dest, datasets: ['mnist'], ...fast });
    const f = r.files[0];
    expect(f.status).toBe('downloaded');
    expect(sha(await readFile(f.path))).toBe(sha(files.trainImages));
    // The retry asked for a range, got the whole file (200) and wrote it from the start.
    expect(requests.filter((q) => q.url === path).map((q) => Boolean(q.range))).toEqual([false, true]);
  });

  it('a cut zip download resumes and still extracts only the wanted members', async () => {
    cutAfter.set('/emnist/gzip.zip', Math.floor(zipBytes.length / 2));
    const r = await downloadDatasets({
      lock: lockFor(),
      destDir: dest,
      datasets: ['emnist-letters'],
      ranges: false,
      ...fast,
    });
    expect(r.files.map((f) => f.status)).toEqual(['resumed', 'resumed']);
    for (const f of r.files) expect(sha(await readFile(f.path))).toBe(f.sha256);
    expect(requests.map((q) => Boolean(q.range))).toEqual([false, true]);
    expect(await tree()).toEqual([
      'emnist-letters/emnist-letters-train-images-idx3-ubyte.gz',
      'emnist-letters/emnist-letters-train-labels-idx1-ubyte.gz',
    ]);
  });

  it('re-downloads a corrupt file at the final path; --force re-downloads a good one; a decompressed copy counts as present', async () => {
    const lock = lockFor();
    await downloadDatasets({ lock, destDir: dest, datasets: ['mnist'] });
    const target = join(dest, 'mnist', 'train-labels-idx1-ubyte.gz');
    await writeFile(target, 'garbage');
    requests = [];
    const r = await downloadDatasets({ lock, destDir: dest, datasets: ['mnist'] });
    expect(r.files.map((f) => f.status)).toEqual(['present', 'downloaded', 'present', 'present']);
    expect(sha(await readFile(target))).toBe(sha(files.trainLabels));

    requests = [];
    const forced = await downloadDatasets({ lock, destDir: dest, datasets: ['mnist'], force: true });
    expect(forced.files.every((f) => f.status === 'downloaded')).toBe(true);
    expect(requests).toHaveLength(4);

    // An already-gunzipped copy whose sum the lock knows is accepted, as findRawFile accepts it.
    const plain = gunzipSync(files.testLabels);
    const l = lock.datasets.mnist.files['test-labels']!;
    l.uncompressedSha256 = sha(plain);
    await rm(join(dest, 'mnist', l.name));
    await writeFile(join(dest, 'mnist', 't10k-labels-idx1-ubyte'), plain);
    requests = [];
    const again = await downloadDatasets({ lock, destDir: dest, datasets: ['mnist'] });
    expect(again.files[3]).toMatchObject({
      status: 'present',
      path: join(dest, 'mnist', 't10k-labels-idx1-ubyte'),
    });
    expect(requests).toEqual([]);
  });

  it('network and HTTP errors name the URL and the fix, including the files to copy by hand', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const offline = lockFor({ mnist: { baseUrl: `http://127.0.0.1:${deadPort}/mnist/` } });
    const e = await caught(downloadDatasets({ lock: offline, destDir: dest, datasets: ['mnist'], ...fast }));
    expect(e.code).toBe('DOWNLOAD_FAILED');
    expect(e.message).toContain(`http://127.0.0.1:${deadPort}/mnist/train-images-idx3-ubyte.gz`);
    expect(e.message).toContain('ECONNREFUSED');
    expect(e.hint).toContain('internet connection');
    expect(e.hint).toContain('HCR_DATA_DIR');
    expect(e.hint).toContain(join(dest, 'mnist'));
    expect(e.hint).toContain(
      'train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz',
    );

    const e404 = await caught(
      downloadDatasets({
        lock: lockFor({ mnist: { baseUrl: `${base}/moved/` } }),
        destDir: dest,
        datasets: ['mnist'],
      }),
    );
    expect(e404.code).toBe('DOWNLOAD_HTTP_ERROR');
    expect(e404.message).toContain('HTTP 404');
    expect(requests.filter((q) => q.url.startsWith('/moved/'))).toHaveLength(1); // 4xx is not retried

    routes.delete('/emnist/gzip.zip');
    const ez = await caught(
      downloadDatasets({ lock: lockFor(), destDir: dest, datasets: ['emnist-letters'] }),
    );
    expect(ez.hint).toContain('gzip/emnist-letters-train-images-idx3-ubyte.gz');
    expect(ez.hint).toContain(join(dest, 'emnist-letters'));
  });

  it('rejects unknown and offline-only datasets before any request', async () => {
    const lock = lockFor();
    const unknown = await caught(downloadDatasets({ lock, destDir: dest, datasets: ['kmnist'] }));
    expect(unknown.code).toBe('UNKNOWN_DATASET');
    expect(unknown.hint).toContain('mnist, emnist-letters, emnist-digits');
    const repack = await caught(downloadDatasets({ lock, destDir: dest, datasets: ['letters-repack'] }));
    expect(repack.code).toBe('DATASET_NOT_DOWNLOADABLE');
    expect(repack.hint).toContain('HCR_DATA_DIR');
    expect(requests).toEqual([]);
  });

  it('a stalled transfer is aborted, said so on a line, and resumed', async () => {
    const path = '/mnist/t10k-images-idx3-ubyte.gz';
    let stalled = false;
    const original = server.listeners('request')[0] as typeof serve;
    server.removeAllListeners('request');
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      if (!stalled && req.url === path) {
        stalled = true;
        requests.push({ url: path, range: req.headers.range });
        // With a validator, as real servers send: a .part without one is not resumed (download-part-validator.test.ts).
        res.writeHead(200, {
          'content-length': files.testImages.length,
          etag: `"${sha(files.testImages).slice(0, 16)}"`,
        });
        res.write(files.testImages.subarray(0, 500)); // ...and then nothing
        return;
      }
      original(req, res);
    });
    const notices: string[] = [];
    try {
      const r = await downloadDatasets({
        lock: lockFor(),
        destDir: dest,
        datasets: ['mnist'],
        stallTimeoutMs: 300,
        onNotice: (m) => notices.push(m),
        ...fast,
      });
      expect(notices).toEqual([
        `retrying in 0 s (attempt 2 of 4): The server stopped sending: download of ${base}${path} stalled after 500 bytes (no data received for 0.3 s).`,
      ]);
      expect(r.files[2].status).toBe('resumed');
      expect(sha(await readFile(r.files[2].path))).toBe(sha(files.testImages));
      expect(requests.filter((q) => q.url === path).map((q) => q.range)).toEqual([undefined, 'bytes=500-']);
    } finally {
      server.removeAllListeners('request');
      server.on('request', original);
    }
  });
});
