import { PassThrough, Readable } from 'node:stream';
import { HcrError } from '@hcr/core';
import yauzl from 'yauzl';
import { clause, parseRetryAfter, Stalled } from './errors.js';
import type { FetchLike } from './fetch-to-part.js';

/** The server does not serve byte ranges (answered 200, or not the range asked for): download the whole zip. */
export class RangesRefused extends Error {
  override readonly name = 'RangesRefused';
}

/** The request or its body failed below HTTP (refused, DNS, reset, timeout): worth a retry. */
export class NetworkFailure extends Error {
  override readonly name = 'NetworkFailure';
  constructor(cause: unknown) {
    super((cause as Error)?.message ?? String(cause), { cause });
  }
}

/** What the range reads cost: the number printed as "fetched N MB of the M MB archive". */
export interface RangeStats {
  requests: number;
  bytes: number;
}

/** Reads smaller than this fetch a whole block (the central directory is read 46 bytes at a time). */
const BLOCK = 64 * 1024;
/** The end record with the longest comment plus the zip64 locator: yauzl reads this much from the end. */
const TAIL = 22 + 0xffff + 20;

// "bytes 100-199/200" -> 100, 200
function contentRange(header: string | null): { start: number; total: number } | undefined {
  const m = header?.match(/^bytes\s+(\d+)-\d+\/(\d+)$/i);
  return m ? { start: Number(m[1]), total: Number(m[2]) } : undefined;
}

interface RangeRequest {
  url: string;
  fetchImpl: FetchLike;
  /** First byte; a negative value asks for the last -start bytes (a suffix range). */
  start: number;
  /** Exclusive end; undefined = to the end. */
  end?: number;
  /** ETag or Last-Modified of the first answer, so a zip that changes between reads is not stitched together. */
  validator?: string;
  signal?: AbortSignal;
}

/** Small reads (the tail, directory blocks, local headers) give up after this long without an answer. */
const SMALL_READ_TIMEOUT_MS = 60_000;

/** Aborts with Stalled after `ms` (the reason says the server stopped sending, not that it could not connect). */
function stallSignal(ms: number): AbortSignal {
  const controller = new AbortController();
  setTimeout(() => controller.abort(new Stalled(ms)), ms).unref();
  return controller.signal;
}

/** One ranged GET; anything but a 206 for the range asked for means the server will not do ranges. */
async function fetchRange(r: RangeRequest): Promise<{ res: Response; start: number; total: number }> {
  const range = r.start < 0 ? `bytes=${r.start}` : `bytes=${r.start}-${r.end === undefined ? '' : r.end - 1}`;
  const headers: Record<string, string> = { range, 'accept-encoding': 'identity' };
  if (r.validator) headers['if-range'] = r.validator;
  let res: Response;
  try {
    res = await r.fetchImpl(r.url, { headers, signal: r.signal, redirect: 'follow' });
  } catch (e) {
    throw new NetworkFailure(r.signal?.aborted ? r.signal.reason : e);
  }
  const got = contentRange(res.headers.get('content-range'));
  if (res.status !== 206 || !got || (r.start >= 0 && got.start !== r.start)) {
    await res.body?.cancel().catch(() => {});
    if (res.status === 200 || res.status === 206 || res.status === 416)
      throw new RangesRefused(
        res.status === 200
          ? `${r.url} answered a Range request with the whole file (HTTP 200)${r.validator ? ', or it changed since the first read' : ''}`
          : `${r.url} answered ${range} with HTTP ${res.status} ${res.headers.get('content-range') ?? ''}`.trim(),
      );
    throw Object.assign(new Error(`HTTP ${res.status} ${res.statusText}`.trim()), {
      status: res.status,
      statusText: res.statusText,
      retryAfterMs: parseRetryAfter(res.headers.get('retry-after')),
    });
  }
  return { res, start: got.start, total: got.total };
}

/**
 * A yauzl RandomAccessReader over HTTP Range requests. The tail of the zip (end record, and for small
 * directories the whole central directory) comes from one suffix request; other small reads fetch a 64 kB
 * block that later reads reuse; member data streams straight from its own range request.
 */
export class HttpRangeReader extends yauzl.RandomAccessReader {
  private readonly blocks: { start: number; bytes: Buffer }[] = [];

  constructor(
    readonly url: string,
    readonly size: number,
    readonly validator: string | undefined,
    private readonly fetchImpl: FetchLike,
    readonly stats: RangeStats,
    tail: { start: number; bytes: Buffer },
    private readonly timeoutMs = SMALL_READ_TIMEOUT_MS,
  ) {
    super();
    this.blocks.push(tail);
  }

  private cached(start: number, end: number): Buffer | undefined {
    const b = this.blocks.find((x) => x.start <= start && end <= x.start + x.bytes.length);
    return b?.bytes.subarray(start - b.start, end - b.start);
  }

  override read(
    buffer: Buffer,
    offset: number,
    length: number,
    position: number,
    callback: (err: Error | null, bytesRead?: number) => void,
  ): void {
    const end = Math.min(this.size, position + Math.max(length, BLOCK));
    const hit = this.cached(position, position + length);
    const block = hit
      ? Promise.resolve(hit)
      : this.fetchBytes(position, end).then((bytes) => {
          this.blocks.push({ start: position, bytes });
          return bytes.subarray(0, length);
        });
    block.then(
      (bytes) => {
        bytes.copy(buffer, offset);
        callback(null, bytes.length);
      },
      (e: Error) => callback(e),
    );
  }

  private async fetchBytes(start: number, end: number): Promise<Buffer> {
    const signal = stallSignal(this.timeoutMs);
    const { res } = await fetchRange({
      url: this.url,
      fetchImpl: this.fetchImpl,
      start,
      end,
      validator: this.validator,
      signal,
    });
    this.stats.requests++;
    const bytes = await bodyBytes(res, signal);
    this.stats.bytes += bytes.length;
    return bytes;
  }

  override _readStreamForRange(start: number, end: number): Readable {
    const hit = this.cached(start, end);
    if (hit) return Readable.from([hit]);
    const out = new PassThrough();
    const controller = new AbortController();
    out.once('close', () => controller.abort());
    fetchRange({
      url: this.url,
      fetchImpl: this.fetchImpl,
      start,
      end,
      validator: this.validator,
      signal: controller.signal,
    })
      .then(({ res }) => {
        this.stats.requests++;
        if (!res.body) throw new Error('the response has no body');
        const body = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
        body.on('data', (chunk: Buffer) => {
          this.stats.bytes += chunk.length;
        });
        body.once('error', (e) => out.destroy(new NetworkFailure(e)));
        body.pipe(out);
      })
      .catch((e: Error) => out.destroy(e));
    return out;
  }
}

export interface RemoteZip {
  zip: yauzl.ZipFile;
  reader: HttpRangeReader;
  /** Every entry, by path inside the zip. */
  entries: Map<string, yauzl.Entry>;
}

/**
 * Opens a zip on a web server without downloading it: one suffix Range request for the end of central
 * directory (zip64 locator included), the central directory from the same bytes or a few 64 kB blocks.
 * Throws RangesRefused when the server will not serve ranges; network errors pass through.
 */
export async function openRemoteZip(
  url: string,
  fetchImpl: FetchLike,
  stats: RangeStats,
  timeoutMs = SMALL_READ_TIMEOUT_MS,
): Promise<RemoteZip> {
  const signal = stallSignal(timeoutMs);
  const { res, start, total } = await fetchRange({ url, fetchImpl, start: -TAIL, signal });
  stats.requests++;
  const bytes = await bodyBytes(res, signal);
  stats.bytes += bytes.length;
  const v = res.headers.get('etag') ?? res.headers.get('last-modified') ?? undefined;
  const validator = v && !v.startsWith('W/') ? v : undefined; // weak ETags are not allowed in If-Range
  const reader = new HttpRangeReader(url, total, validator, fetchImpl, stats, { start, bytes }, timeoutMs);
  const entries = new Map<string, yauzl.Entry>();
  let zip: yauzl.ZipFile | undefined;
  try {
    zip = await yauzl.fromRandomAccessReaderPromise(reader, total, {
      autoClose: false,
      validateEntrySizes: true,
    });
    for await (const entry of zip.eachEntry()) entries.set(entry.fileName, entry);
  } catch (e) {
    zip?.close();
    if (e instanceof NetworkFailure || e instanceof RangesRefused || (e as { status?: number }).status)
      throw e;
    throw new HcrError('ZIP_UNREADABLE', `${url} is not a readable zip: ${clause((e as Error).message)}.`, {
      hint: 'The server sent something other than the archive (a login page, a truncated file?): check the URL (HCR_DATA_MIRROR, or datasets.lock.json), or download the archive by hand and extract the files into <dir>/<dataset>/ with HCR_DATA_DIR=<dir>.',
      cause: e,
    });
  }
  return { zip, reader, entries };
}

/** A small response body, read whole; a failure on the way is a network failure. */
async function bodyBytes(res: Response, signal: AbortSignal): Promise<Buffer> {
  try {
    return Buffer.from(await res.arrayBuffer());
  } catch (e) {
    throw new NetworkFailure(signal.aborted ? signal.reason : e);
  }
}
