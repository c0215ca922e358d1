import { open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { HcrError } from '@hcr/core';
import {
  httpError,
  interruptedError,
  type ManualCopy,
  networkError,
  parseRetryAfter,
  Stalled,
} from './errors.js';

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export interface FetchToPartOptions {
  url: string;
  /** Bytes land here; it is only ever appended to or truncated, never renamed by this module. */
  partPath: string;
  fetchImpl: FetchLike;
  /** Abort a transfer that delivers no bytes for this long (a stalled connection never errors by itself). */
  stallTimeoutMs: number;
  /**
   * The file's size from the lock: used when the server sends no length, and a server announcing (or
   * sending) another size is refused before the download, as not the file the lock names.
   */
  expectedBytes?: number;
  onBytes: (receivedBytes: number, totalBytes: number | undefined) => void;
  manual: ManualCopy;
}

export interface FetchToPartResult {
  /** Bytes already on disk that the server agreed to continue from (HTTP 206); 0 for a full download. */
  resumedFrom: number;
  bytes: number;
}

/**
 * Sidecar next to the .part file: the URL and validator it came from, so a resume is only
 * asked for (If-Range) when the server still has the same file; otherwise the server answers 200 and we restart.
 */
interface PartMeta {
  url: string;
  validator?: string;
}

const metaPath = (partPath: string) => `${partPath}.json`;

export async function discardPart(partPath: string): Promise<void> {
  await rm(partPath, { force: true });
  await rm(metaPath(partPath), { force: true });
}

async function existingOffset(
  partPath: string,
  url: string,
): Promise<{ offset: number; validator?: string }> {
  const size = await stat(partPath).then(
    (s) => s.size,
    () => 0,
  );
  if (size === 0) return { offset: 0 };
  const meta = await readFile(metaPath(partPath), 'utf8').then(
    (t) => JSON.parse(t) as PartMeta,
    () => undefined,
  );
  // A .part of unknown origin (no sidecar, other URL) is not trusted for a resume; nor one whose server gave
  // no validator (ETag / Last-Modified): without If-Range, a Range request would stitch the rest of the real
  // file onto whatever that answer was (a captive portal's login page, say).
  if (!meta || meta.url !== url || !meta.validator) return { offset: 0 };
  return { offset: size, validator: meta.validator };
}

// "bytes 100-199/200" or "bytes */200" -> start and total.
function parseContentRange(header: string | null): { start?: number; total?: number } {
  const m = header?.match(/^bytes\s+(?:(\d+)-\d+|\*)\/(\d+|\*)$/i);
  if (!m) return {};
  return {
    start: m[1] === undefined ? undefined : Number(m[1]),
    total: m[2] === '*' ? undefined : Number(m[2]),
  };
}

/**
 * Downloads `url` into `partPath`, continuing an earlier partial download with a Range request when the
 * server supports it (206) and starting over cleanly when it does not (200). Errors are HcrErrors; on an
 * interrupted transfer the bytes received so far stay in the .part file for the next attempt.
 */
export async function fetchToPart(o: FetchToPartOptions): Promise<FetchToPartResult> {
  let { offset, validator } = await existingOffset(o.partPath, o.url);
  if (offset === 0) await discardPart(o.partPath);

  const controller = new AbortController();
  const stall = setTimeout(() => controller.abort(new Stalled(o.stallTimeoutMs)), o.stallTimeoutMs);
  const headers: Record<string, string> = { 'accept-encoding': 'identity' };
  if (offset > 0) {
    headers.range = `bytes=${offset}-`;
    if (validator) headers['if-range'] = validator;
  }

  let res: Response;
  try {
    res = await o.fetchImpl(o.url, { headers, signal: controller.signal, redirect: 'follow' });
  } catch (e) {
    clearTimeout(stall);
    throw networkError(o.url, controller.signal.aborted ? controller.signal.reason : e, o.manual);
  }

  try {
    const range = parseContentRange(res.headers.get('content-range'));
    if (offset > 0 && res.status === 416) {
      // Nothing left to send: the .part is already whole if its size is the file's size.
      await res.body?.cancel();
      if (range.total === offset) return { resumedFrom: offset, bytes: offset };
      await discardPart(o.partPath);
      return await fetchToPart(o);
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw httpError(
        o.url,
        res.status,
        res.statusText,
        o.manual,
        parseRetryAfter(res.headers.get('retry-after')),
      );
    }
    // Checked before a byte is written: a web page or a file of another size is not the file the lock names.
    const refusal = notTheFile(o, res, range.total);
    if (refusal) {
      await res.body?.cancel().catch(() => {});
      throw refusal;
    }
    const resuming = res.status === 206 && offset > 0;
    if (resuming && range.start !== offset) {
      // A range we did not ask for: do not stitch it on; start over.
      await res.body?.cancel();
      await discardPart(o.partPath);
      return await fetchToPart(o);
    }
    if (!resuming) {
      offset = 0;
      const v = res.headers.get('etag') ?? res.headers.get('last-modified') ?? undefined;
      // Weak ETags are not allowed in If-Range.
      const meta: PartMeta = { url: o.url, validator: v && !v.startsWith('W/') ? v : undefined };
      await writeFile(metaPath(o.partPath), JSON.stringify(meta));
    }
    const length = Number(res.headers.get('content-length') ?? Number.NaN);
    const total = range.total ?? (Number.isFinite(length) ? offset + length : o.expectedBytes);

    let received = offset;
    o.onBytes(received, total);
    const fh = await open(o.partPath, resuming ? 'a' : 'w');
    try {
      if (!res.body) throw new Error('the response has no body');
      // One awaited write per chunk: whatever arrived before a cut is on disk for the resume.
      for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
        stall.refresh();
        if (o.expectedBytes !== undefined && received + chunk.byteLength > o.expectedBytes) {
          controller.abort();
          throw wrongSize(o, `sent more than ${o.expectedBytes} bytes`);
        }
        await fh.write(chunk);
        received += chunk.byteLength;
        o.onBytes(received, total);
      }
    } catch (e) {
      if (e instanceof HcrError) throw e;
      throw interruptedError(
        o.url,
        received,
        controller.signal.aborted ? controller.signal.reason : e,
        o.manual,
      );
    } finally {
      await fh.close();
    }
    if (total !== undefined && received !== total)
      throw interruptedError(o.url, received, new Error(`expected ${total} bytes`), o.manual);
    return { resumedFrom: resuming ? offset : 0, bytes: received };
  } catch (e) {
    // Bytes of a file that is not the lock's are no base for a resume.
    if (e instanceof HcrError && e.code === 'DOWNLOAD_WRONG_SIZE') await discardPart(o.partPath);
    throw e;
  } finally {
    clearTimeout(stall);
  }
}

/** The answer is a web page (text/html) for a data file: a captive portal or proxy login page, most likely. */
function isHtmlPage(url: string, res: Response): boolean {
  const type = res.headers.get('content-type')?.toLowerCase() ?? '';
  return /^(text\/html|application\/xhtml)/.test(type) && !/\.x?html?$/i.test(new URL(url).pathname);
}

function wrongSize(o: FetchToPartOptions, what: string): HcrError {
  const where = o.manual.mirror ? `the mirror (HCR_DATA_MIRROR=${o.manual.mirror})` : 'the server';
  return new HcrError(
    'DOWNLOAD_WRONG_SIZE',
    `${o.url} ${what}, but ${o.manual.lock ?? 'datasets.lock.json'} says the file is ${o.expectedBytes} bytes: ${where} has another file there (or a proxy answers in its place); nothing of it was kept.`,
    {
      hint: o.manual.mirror
        ? 'Put the official file on the mirror, point HCR_DATASET_LOCK at a lock listing the files the mirror has, or unset HCR_DATA_MIRROR to use the official URLs.'
        : 'Open the URL in a browser to see what it serves (a proxy or login page?); if the upstream file changed, report it. Meanwhile copy the file by hand and set HCR_DATA_DIR.',
    },
  );
}

/** Why this answer is not the file wanted (before any byte is stored), or undefined when it may be. */
function notTheFile(
  o: FetchToPartOptions,
  res: Response,
  rangeTotal: number | undefined,
): HcrError | undefined {
  if (isHtmlPage(o.url, res))
    return new HcrError(
      'DOWNLOAD_NOT_DATA',
      `${o.url} answered with a web page (${res.headers.get('content-type')}), not the data file: most likely a captive portal or a proxy login page (hotel or office Wi-Fi) standing in for the server; nothing was kept.`,
      {
        hint: `Open ${o.url} in a browser and log in or accept the terms, then run the command again${
          o.manual.mirror ? ` (or check the mirror HCR_DATA_MIRROR=${o.manual.mirror})` : ''
        }; or copy the files by hand and set HCR_DATA_DIR.`,
      },
    );
  if (o.expectedBytes === undefined) return undefined;
  const length = Number(res.headers.get('content-length') ?? Number.NaN);
  const announced = res.status === 206 ? rangeTotal : Number.isFinite(length) ? length : undefined;
  if (announced !== undefined && announced !== o.expectedBytes)
    return wrongSize(
      o,
      `announces ${announced} bytes (${res.status === 206 ? 'Content-Range' : 'Content-Length'})`,
    );
  return undefined;
}
