import { HcrError } from '@hcr/core';

/** What the user can fetch by hand when this machine cannot download: the files, where from, where to. */
export interface ManualCopy {
  destDir: string;
  files: { dataset: string; name: string }[];
  /** Plain files: the folder URL they are in. */
  baseUrl?: string;
  /** Files inside a zip: the zip and the folder inside it that holds them. */
  zip?: { url: string; memberPrefix: string };
  /** HCR_DATA_MIRROR (or the `mirror` option) when the URLs come from a mirror rather than the lock. */
  mirror?: string;
  /** The lock the URLs and sums come from (a path, or a description), for messages. */
  lock?: string;
}

/** The lock named in messages: the file in force, or its usual name. */
const lockName = (m: { lock?: string }) => m.lock ?? 'datasets.lock.json';

function manualHint(m: ManualCopy): string {
  const byDataset = new Map<string, string[]>();
  for (const f of m.files) byDataset.set(f.dataset, [...(byDataset.get(f.dataset) ?? []), f.name]);
  const prefix = m.zip?.memberPrefix ?? '';
  const placements = [...byDataset]
    .map(([dataset, names]) => `${names.map((n) => prefix + n).join(', ')} into ${m.destDir}/${dataset}/`)
    .join('; ');
  const source = m.zip
    ? `download ${m.zip.url} elsewhere and extract ${placements}`
    : `download from ${m.baseUrl} elsewhere and copy ${placements}`;
  return (
    `Check your internet connection and proxy (Node's built-in fetch ignores HTTP(S)_PROXY on Node 20), then run the command again: a partial download resumes. ` +
    `Offline alternatives: ${source} (or into <dir>/<dataset>/ and set HCR_DATA_DIR=<dir>); or set HCR_DATA_MIRROR=<url> to a server on your network holding <dataset>/<file> and the zips (gzip.zip).`
  );
}

/** A message to end a sentence with: without its own final period (yauzl's end with one). */
export function clause(message: string): string {
  return message.replace(/[.\s]+$/, '');
}

/**
 * No bytes for `ms`: the connection is up but the server stopped sending (or never answered). Worth a retry,
 * and worth saying so: it is not a connection failure.
 */
export class Stalled extends Error {
  override readonly name = 'Stalled';
  constructor(readonly ms: number) {
    super(`no data received for ${seconds(ms)} s`);
  }
}

const seconds = (ms: number) => String(Math.round(ms / 100) / 10);

const stallHint = (e: Stalled) =>
  `A slow server rather than a stuck one: HCR_DOWNLOAD_STALL_MS=<ms> waits longer (now ${e.ms}); a flaky one: run the command again, the download resumes.`;

/** The request never produced a response (DNS, refused, TLS, proxy), or the server never answered. */
export function networkError(url: string, cause: unknown, m: ManualCopy): HcrError {
  if (cause instanceof Stalled)
    return new HcrError(
      'DOWNLOAD_STALLED',
      `The server stopped sending: ${url} accepted the request but sent no answer for ${seconds(cause.ms)} s.`,
      { hint: `${stallHint(cause)} ${manualHint(m)}`, cause },
    );
  if (isBadPort(cause)) {
    const port = new URL(url).port;
    return new HcrError(
      'DOWNLOAD_BAD_PORT',
      `Node's fetch refuses to connect to ${url}: port ${port} is one of the ports browsers block (the Fetch standard's "bad ports", such as 6000 and 10080), so no retry can reach it.`,
      {
        hint: "Serve the files on another port (e.g. 8000 or 8080) and point HCR_DATA_MIRROR (or the lock's URL) at it.",
        cause,
      },
    );
  }
  return new HcrError('DOWNLOAD_FAILED', `Could not connect to download ${url}: ${describe(cause)}.`, {
    hint: manualHint(m),
    cause,
  });
}

/** undici refuses some ports before connecting ("fetch failed", cause "bad port"): a retry or a proxy cannot help. */
function isBadPort(e: unknown): boolean {
  return e instanceof Error && e.cause instanceof Error && e.cause.message === 'bad port';
}

/** The transfer started but stopped early; the .part file is kept for a resume. */
export function interruptedError(url: string, received: number, cause: unknown, m: ManualCopy): HcrError {
  if (cause instanceof Stalled)
    return new HcrError(
      'DOWNLOAD_INTERRUPTED',
      `The server stopped sending: download of ${url} stalled after ${received} bytes (${cause.message}).`,
      { hint: `${stallHint(cause)} ${manualHint(m)}`, cause },
    );
  return new HcrError(
    'DOWNLOAD_INTERRUPTED',
    `Download of ${url} stopped after ${received} bytes: ${clause(describe(cause))}.`,
    { hint: manualHint(m), cause },
  );
}

/** Server trouble (5xx) or rate limiting (429): retried, after the server's Retry-After when it gives one. */
export class ServerError extends HcrError {
  constructor(
    problem: string,
    hint: string,
    /** From Retry-After; undefined when the server did not say. */
    readonly retryAfterMs?: number,
  ) {
    super('DOWNLOAD_SERVER_ERROR', problem, { hint });
  }
}

/** A Retry-After header (delay-seconds or an HTTP date) in ms; undefined when absent or unreadable. */
export function parseRetryAfter(header: string | null | undefined, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Longest Retry-After waited for; a server asking for more is not retried (the error says when to). */
export const MAX_RETRY_AFTER_MS = 60_000;

export function httpError(
  url: string,
  status: number,
  statusText: string,
  m: ManualCopy,
  retryAfterMs?: number,
): HcrError {
  const problem = `Download of ${url} failed: HTTP ${status}${statusText ? ` ${statusText}` : ''}.`;
  if (status >= 500 || status === 429) {
    const wait =
      retryAfterMs !== undefined && retryAfterMs > MAX_RETRY_AFTER_MS
        ? `The server asks to wait ${Math.ceil(retryAfterMs / 1000)} s before trying again (Retry-After): run the command again then. `
        : '';
    const what = status === 429 ? 'is limiting requests (HTTP 429)' : `has a problem (HTTP ${status})`;
    const where = m.mirror ? `The mirror (HCR_DATA_MIRROR=${m.mirror})` : 'The server';
    return new ServerError(
      problem,
      `${wait}${where} ${what}; it was retried. Try again later. ${manualHint(m)}`,
      retryAfterMs,
    );
  }
  let hint = manualHint(m);
  if (status === 404 && m.mirror)
    hint = `The mirror HCR_DATA_MIRROR=${m.mirror} has no ${url}: a mirror serves <mirror>/<dataset>/<file> (MNIST: <mirror>/mnist/train-images-idx3-ubyte.gz) and <mirror>/gzip.zip. Put the file there, or unset HCR_DATA_MIRROR to use the official URLs. ${hint}`;
  else if (status === 404)
    hint = `The file has moved: report it (the URL comes from ${lockName(m)}). ${hint}`;
  return new HcrError('DOWNLOAD_HTTP_ERROR', problem, { hint });
}

/** Where the sums and URLs came from, for checksumError. */
export interface SumSource {
  mirror?: string;
  lock?: string;
}

export function checksumError(
  what: string,
  expected: string,
  actual: string,
  url: string,
  source: SumSource = {},
): HcrError {
  const hint = source.mirror
    ? `The mirror (HCR_DATA_MIRROR=${source.mirror}) serves a different file at ${url} than the lock expects: downloading it again will not help. Put the official file on the mirror, point HCR_DATASET_LOCK at a lock whose sums are those of the mirror's files, or unset HCR_DATA_MIRROR to use the official URLs.`
    : `Run the command again to download it cleanly from ${url}. If it fails again, the upstream file changed or the lock is wrong: report it, naming the file and both sums.`;
  return new HcrError(
    'CHECKSUM_MISMATCH',
    `${what} has sha256 ${actual}, but ${lockName(source)} expects ${expected}; the file was deleted.`,
    { hint },
  );
}

/** undici hides the socket error in `cause`; show both levels. */
export function describe(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const cause = e.cause instanceof Error ? e.cause : undefined;
  const code = errnoCode(e);
  const parts = [e.message];
  if (cause && cause.message !== e.message) parts.push(cause.message);
  if (code && !parts.some((p) => p.includes(code))) parts.push(code);
  return parts.join(': ');
}

/** The system error code of a failed fetch (ENOTFOUND, ECONNREFUSED, ...), undici's `cause` included. */
export function errnoCode(e: unknown): string | undefined {
  const err = e as (Error & { code?: string; cause?: { code?: string } }) | undefined;
  return err?.cause?.code ?? err?.code;
}
