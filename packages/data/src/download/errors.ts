import { HcrError } from '@hcr/core';

/** What the user can fetch by hand when this machine cannot download: the files, where from, where to. */
export interface ManualCopy {
  destDir: string;
  files: { dataset: string; name: string }[];
  /** Plain files: the folder URL they are in. */
  baseUrl?: string;
  /** Files inside a zip: the zip and the folder inside it that holds them. */
  zip?: { url: string; memberPrefix: string };
}

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
    `Offline alternative: ${source} (or into <dir>/<dataset>/ and set HCR_DATA_DIR=<dir>).`
  );
}

/** The request never produced a response (DNS, refused, TLS, proxy). */
export function networkError(url: string, cause: unknown, m: ManualCopy): HcrError {
  return new HcrError('DOWNLOAD_FAILED', `Could not connect to download ${url}: ${describe(cause)}.`, {
    hint: manualHint(m),
    cause,
  });
}

/** The transfer started but stopped early; the .part file is kept for a resume. */
export function interruptedError(url: string, received: number, cause: unknown, m: ManualCopy): HcrError {
  return new HcrError(
    'DOWNLOAD_INTERRUPTED',
    `Download of ${url} stopped after ${received} bytes: ${describe(cause)}.`,
    { hint: manualHint(m), cause },
  );
}

export function httpError(url: string, status: number, statusText: string, m: ManualCopy): HcrError {
  return new HcrError(
    'DOWNLOAD_HTTP_ERROR',
    `Download of ${url} failed: HTTP ${status} ${statusText}.`.trim(),
    {
      hint:
        status === 404
          ? `The file has moved: report it (the URL comes from packages/data/datasets.lock.json). ${manualHint(m)}`
          : manualHint(m),
    },
  );
}

export function checksumError(what: string, expected: string, actual: string, url: string): HcrError {
  return new HcrError(
    'CHECKSUM_MISMATCH',
    `${what} has sha256 ${actual}, but datasets.lock.json expects ${expected}; the file was deleted.`,
    {
      hint: `Run the command again to download it cleanly from ${url}. If it fails again, the upstream file changed or the lock is wrong: report it, naming the file and both sums.`,
    },
  );
}

/** undici hides the socket error in `cause`; show both levels. */
export function describe(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const cause = e.cause instanceof Error ? e.cause : undefined;
  const code = (cause as NodeJS.ErrnoException | undefined)?.code ?? (e as NodeJS.ErrnoException).code;
  const parts = [e.message];
  if (cause && cause.message !== e.message) parts.push(cause.message);
  if (code && !parts.some((p) => p.includes(code))) parts.push(code);
  return parts.join(': ');
}
