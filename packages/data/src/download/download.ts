import { existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { HcrError, isHcrError } from '@hcr/core';
import { sha256File } from '../hash.js';
import { userCacheDir } from '../locate.js';
import { type DatasetLock, datasetLock, type LockedDataset, type LockedFile } from '../lock.js';
import { checksumError, type ManualCopy } from './errors.js';
import { discardPart, type FetchLike, fetchToPart } from './fetch-to-part.js';
import { extractZipMembers } from './zip-members.js';

export const DEFAULT_DOWNLOAD_DATASETS = ['mnist', 'emnist-letters'];

export interface DownloadProgress {
  /** Dataset name; for a zip shared by several datasets, their names joined with '+'. */
  dataset: string;
  /** File name being downloaded, or the zip member being extracted. */
  file: string;
  phase: 'download' | 'extract';
  receivedBytes: number;
  /** Undefined when neither the server nor the lock says. */
  totalBytes?: number;
}

export interface DownloadOptions {
  datasets?: string[];
  /** Files land at `<destDir>/<dataset>/<name>`, where `findRawFile` looks (default: the user cache). */
  destDir?: string;
  /** Defaults to the committed datasets.lock.json; tests pass one pointing at a local server. */
  lock?: DatasetLock;
  fetchImpl?: FetchLike;
  onProgress?: (e: DownloadProgress) => void;
  /** Download again even when a verified file is present, discarding partial downloads. */
  force?: boolean;
  /** Extra attempts after a network failure or cut; each resumes from the .part file. Default 3. */
  retries?: number;
  /** Wait before retry n is n * retryDelayMs. Default 2000. */
  retryDelayMs?: number;
  /** Abort a transfer that delivers no bytes for this long. Default 60 s. */
  stallTimeoutMs?: number;
}

export type DownloadStatus = 'downloaded' | 'present' | 'resumed';

export interface DownloadedFile {
  dataset: string;
  name: string;
  path: string;
  sha256: string;
  status: DownloadStatus;
}

export interface DownloadResult {
  files: DownloadedFile[];
}

interface Ctx {
  destDir: string;
  fetchImpl: FetchLike;
  onProgress: (e: DownloadProgress) => void;
  force: boolean;
  retries: number;
  retryDelayMs: number;
  stallTimeoutMs: number;
}

interface Wanted {
  dataset: string;
  file: LockedFile;
  path: string;
}

const RETRYABLE = new Set(['DOWNLOAD_FAILED', 'DOWNLOAD_INTERRUPTED', 'DOWNLOAD_SERVER_ERROR']);

/**
 * Fetches the official dataset files named in the lock into `<destDir>/<dataset>/<name>`: plain files
 * (MNIST) straight from `baseUrl`, EMNIST members out of NIST's zip. Every file is verified against the
 * lock's sha256 before it is renamed into place; verified files already there are not fetched again.
 */
export async function downloadDatasets(opts: DownloadOptions = {}): Promise<DownloadResult> {
  const lock = opts.lock ?? datasetLock();
  const names = opts.datasets ?? DEFAULT_DOWNLOAD_DATASETS;
  const ctx: Ctx = {
    destDir: opts.destDir ?? userCacheDir(),
    fetchImpl: opts.fetchImpl ?? ((url, init) => fetch(url, init)),
    onProgress: opts.onProgress ?? (() => {}),
    force: opts.force ?? false,
    retries: opts.retries ?? 3,
    retryDelayMs: opts.retryDelayMs ?? 2000,
    stallTimeoutMs: opts.stallTimeoutMs ?? 60_000,
  };
  const datasets = names.map((n) => [n, downloadableDataset(lock, n)] as const);

  const files: DownloadedFile[] = [];
  const zipGroups = new Map<string, { prefix: string; wanted: Wanted[] }>();
  for (const [name, d] of datasets) {
    const wanted = Object.values(d.files).map((file) => ({
      dataset: name,
      file,
      path: join(ctx.destDir, name, file.name),
    }));
    if (d.zipUrl) {
      const group = zipGroups.get(d.zipUrl) ?? { prefix: d.zipMemberPrefix ?? '', wanted: [] };
      group.wanted.push(...wanted);
      zipGroups.set(d.zipUrl, group);
    } else {
      const manual: ManualCopy = {
        destDir: ctx.destDir,
        files: wanted.map((w) => ({ dataset: name, name: w.file.name })),
        baseUrl: d.baseUrl,
      };
      for (const w of wanted) files.push(await downloadPlainFile(ctx, d.baseUrl!, w, manual));
    }
  }
  for (const [zipUrl, group] of zipGroups)
    files.push(...(await downloadZipMembers(ctx, zipUrl, group.prefix, group.wanted)));
  return { files };
}

function downloadableDataset(lock: DatasetLock, name: string): LockedDataset {
  const d = lock.datasets[name];
  const downloadable = Object.entries(lock.datasets)
    .filter(([, v]) => v.baseUrl || v.zipUrl)
    .map(([k]) => k);
  if (!d)
    throw new HcrError('UNKNOWN_DATASET', `There is no dataset '${name}' in datasets.lock.json.`, {
      hint: `Downloadable datasets: ${downloadable.join(', ')}.`,
    });
  if (!d.baseUrl && !d.zipUrl)
    throw new HcrError(
      'DATASET_NOT_DOWNLOADABLE',
      `Dataset '${name}' has no download URL (${d.description}).`,
      {
        hint: `Point HCR_DATA_DIR (or --data-dir) at the folder that holds ${name}/ (in this project's checkouts: ../shared/data). Downloadable datasets: ${downloadable.join(', ')}.`,
      },
    );
  return d;
}

/** A verified copy already at the destination (gz, or decompressed when the lock knows that sum). */
async function presentCopy(ctx: Ctx, w: Wanted): Promise<DownloadedFile | undefined> {
  if (ctx.force) return undefined;
  const plainPath = w.path.replace(/\.gz$/, '');
  const candidates: [string, string | undefined][] = [
    [w.path, w.file.sha256],
    [plainPath, plainPath === w.path ? undefined : w.file.uncompressedSha256],
  ];
  for (const [path, expected] of candidates) {
    if (!expected || !existsSync(path)) continue;
    if ((await sha256File(path)) === expected)
      return { dataset: w.dataset, name: w.file.name, path, sha256: expected, status: 'present' };
  }
  return undefined;
}

/** Runs one transfer, retrying network failures; each retry resumes from the .part file. */
async function withRetries<T>(ctx: Ctx, attempt: () => Promise<T>): Promise<T> {
  for (let n = 0; ; n++) {
    try {
      return await attempt();
    } catch (e) {
      if (!(isHcrError(e) && RETRYABLE.has(e.code)) || n >= ctx.retries) throw e;
      await sleep((n + 1) * ctx.retryDelayMs);
    }
  }
}

/** Downloads into `<path>.part`, resuming across retries; returns whether any attempt resumed. */
async function fetchWithResume(
  ctx: Ctx,
  url: string,
  partPath: string,
  expectedBytes: number | undefined,
  manual: ManualCopy,
  progress: (received: number, total: number | undefined) => void,
): Promise<boolean> {
  let resumed = false;
  await withRetries(ctx, async () => {
    const r = await fetchToPart({
      url,
      partPath,
      fetchImpl: ctx.fetchImpl,
      stallTimeoutMs: ctx.stallTimeoutMs,
      expectedBytes,
      onBytes: progress,
      manual,
    });
    if (r.resumedFrom > 0) resumed = true;
  });
  return resumed;
}

async function downloadPlainFile(
  ctx: Ctx,
  baseUrl: string,
  w: Wanted,
  manual: ManualCopy,
): Promise<DownloadedFile> {
  const present = await presentCopy(ctx, w);
  if (present) return present;
  const url = new URL(w.file.name, baseUrl).href;
  const partPath = `${w.path}.part`;
  await mkdir(join(ctx.destDir, w.dataset), { recursive: true });
  if (ctx.force) await discardPart(partPath);
  const resumed = await fetchWithResume(
    ctx,
    url,
    partPath,
    w.file.bytes,
    manual,
    (receivedBytes, totalBytes) =>
      ctx.onProgress({ dataset: w.dataset, file: w.file.name, phase: 'download', receivedBytes, totalBytes }),
  );
  // Verify before the rename: a wrong file never appears at the final path.
  const actual = await sha256File(partPath);
  if (actual !== w.file.sha256) {
    await discardPart(partPath);
    throw checksumError(`Downloaded ${w.dataset}/${w.file.name}`, w.file.sha256, actual, url);
  }
  await rename(partPath, w.path);
  await discardPart(partPath);
  return {
    dataset: w.dataset,
    name: w.file.name,
    path: w.path,
    sha256: actual,
    status: resumed ? 'resumed' : 'downloaded',
  };
}

/**
 * EMNIST: downloads the zip once for every dataset that lives in it (to `<destDir>/.downloads/`, resumable),
 * extracts and verifies only the missing members, then deletes the zip. A whole zip left by an earlier
 * run (extraction cut short) is reused instead of downloaded again.
 */
async function downloadZipMembers(
  ctx: Ctx,
  zipUrl: string,
  prefix: string,
  wanted: Wanted[],
): Promise<DownloadedFile[]> {
  const done = new Map<Wanted, DownloadedFile>();
  for (const w of wanted) {
    const present = await presentCopy(ctx, w);
    if (present) done.set(w, present);
  }
  const missing = wanted.filter((w) => !done.has(w));
  if (missing.length === 0) return wanted.map((w) => done.get(w)!);

  const datasetLabel = [...new Set(wanted.map((w) => w.dataset))].join('+');
  const zipDir = join(ctx.destDir, '.downloads');
  const zipPath = join(zipDir, basename(new URL(zipUrl).pathname) || 'download.zip');
  const partPath = `${zipPath}.part`;
  await mkdir(zipDir, { recursive: true });
  if (ctx.force) {
    await discardPart(partPath);
    await rm(zipPath, { force: true });
  }
  let resumed = false;
  if (!existsSync(zipPath)) {
    const manual: ManualCopy = {
      destDir: ctx.destDir,
      files: missing.map((w) => ({ dataset: w.dataset, name: w.file.name })),
      zip: { url: zipUrl, memberPrefix: prefix },
    };
    const zipName = basename(zipPath);
    resumed = await fetchWithResume(ctx, zipUrl, partPath, undefined, manual, (receivedBytes, totalBytes) =>
      ctx.onProgress({ dataset: datasetLabel, file: zipName, phase: 'download', receivedBytes, totalBytes }),
    );
    await rename(partPath, zipPath);
    await discardPart(partPath);
  }

  const members = missing.map((w) => ({
    memberPath: prefix + w.file.name,
    destPath: w.path,
    sha256: w.file.sha256,
    w,
  }));
  try {
    await extractZipMembers(zipPath, zipUrl, members, (m, receivedBytes, totalBytes) =>
      ctx.onProgress({
        dataset: datasetLabel,
        file: basename(m.destPath),
        phase: 'extract',
        receivedBytes,
        totalBytes,
      }),
    );
  } catch (e) {
    // A zip whose content is wrong is useless; keep it only when the failure was local (disk full, permissions).
    if (!(e as NodeJS.ErrnoException).code || isHcrError(e)) await rm(zipPath, { force: true });
    throw e;
  }
  await rm(zipPath, { force: true });
  for (const m of members)
    done.set(m.w, {
      dataset: m.w.dataset,
      name: m.w.file.name,
      path: m.destPath,
      sha256: m.sha256,
      status: resumed ? 'resumed' : 'downloaded',
    });
  return wanted.map((w) => done.get(w)!);
}
