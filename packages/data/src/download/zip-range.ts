import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { isHcrError } from '@hcr/core';
import type yauzl from 'yauzl';
import { httpError, interruptedError, type ManualCopy, networkError, Stalled } from './errors.js';
import { discardPart, type FetchLike } from './fetch-to-part.js';
import {
  NetworkFailure,
  openRemoteZip,
  type RangeStats,
  RangesRefused,
  type RemoteZip,
} from './remote-zip.js';
import { requireEntry, writeVerifiedMember, type ZipMember } from './zip-members.js';

export interface ZipRangeOptions {
  zipUrl: string;
  members: ZipMember[];
  fetchImpl: FetchLike;
  stallTimeoutMs: number;
  manual: ManualCopy;
  /** Runs one network step, retrying retryable HcrErrors (each retry resumes from the .part file). */
  retry: <T>(attempt: () => Promise<T>) => Promise<T>;
  onBytes: (
    member: ZipMember,
    phase: 'download' | 'extract',
    receivedBytes: number,
    totalBytes: number,
  ) => void;
}

export interface ZipRangeResult {
  /** sha256 of each member, in the order given. */
  sums: string[];
  /** Whether each member continued a partial download. */
  resumed: boolean[];
  /** Bytes and requests the whole job cost, directory included. */
  stats: RangeStats;
  archiveBytes: number;
}

/** Sidecar of a member's .part file: it is resumed only while the archive still has this very member. */
interface MemberPartMeta {
  url: string;
  member: string;
  compressedSize: number;
  crc32: number;
}

const partPathFor = (m: ZipMember) => `${m.destPath}.zipdata.part`;

/** HcrErrors for network and HTTP trouble (retryable ones are retried); RangesRefused and HcrErrors pass through. */
function classify(e: unknown, url: string, received: number | undefined, manual: ManualCopy): unknown {
  if (e instanceof RangesRefused || isHcrError(e)) return e;
  const { status, statusText, retryAfterMs } = e as {
    status?: number;
    statusText?: string;
    retryAfterMs?: number;
  };
  if (status !== undefined) return httpError(url, status, statusText ?? '', manual, retryAfterMs);
  const cause = e instanceof NetworkFailure ? e.cause : e;
  // A member stream that ends short or errors after bytes arrived is a cut transfer: resume it.
  return received === undefined
    ? networkError(url, cause, manual)
    : interruptedError(url, received, cause, manual);
}

/**
 * Fetches only the wanted members of a remote zip with HTTP Range requests: the directory (one request
 * for the tail), then each member's compressed bytes into `<dest>.zipdata.part` (a cut transfer resumes
 * from there), then decompresses and verifies it (size, CRC-32, the lock's sha256) into place.
 * Throws RangesRefused when the server will not do ranges, so the caller can download the whole zip.
 */
export async function downloadMembersByRange(o: ZipRangeOptions): Promise<ZipRangeResult> {
  const stats: RangeStats = { requests: 0, bytes: 0 };
  const remote = await o.retry(() =>
    openRemoteZip(o.zipUrl, o.fetchImpl, stats, o.stallTimeoutMs).catch((e: unknown) => {
      throw classify(e, o.zipUrl, undefined, o.manual);
    }),
  );
  try {
    const sums: string[] = [];
    const resumed: boolean[] = [];
    for (const member of o.members) {
      const entry = requireEntry(remote.entries, member, o.zipUrl);
      const part = partPathFor(member);
      const from = await o.retry(() => fetchMemberData(remote, entry, member, o));
      resumed.push(from > 0);
      try {
        sums.push(
          await writeVerifiedMember(
            createReadStream(part),
            entry,
            member,
            {
              zipUrl: o.zipUrl,
              source: `fetched from ${o.zipUrl}`,
              mirror: o.manual.mirror,
              lock: o.manual.lock,
            },
            (r, t) => o.onBytes(member, 'extract', r, t),
          ),
        );
      } finally {
        // Verified and renamed, or wrong: either way the raw bytes are not needed again.
        await discardPart(part);
      }
    }
    return { sums, resumed, stats, archiveBytes: remote.reader.size };
  } finally {
    remote.zip.close();
  }
}

/** Appends the member's compressed bytes to its .part file; returns the offset it resumed from. */
async function fetchMemberData(
  remote: RemoteZip,
  entry: yauzl.Entry,
  member: ZipMember,
  o: ZipRangeOptions,
): Promise<number> {
  const part = partPathFor(member);
  const meta: MemberPartMeta = {
    url: o.zipUrl,
    member: entry.fileName,
    compressedSize: entry.compressedSize,
    crc32: entry.crc32,
  };
  let offset = await stat(part).then(
    (s) => s.size,
    () => 0,
  );
  const saved = await readFile(`${part}.json`, 'utf8').then(
    (t) => t,
    () => '',
  );
  if (offset > entry.compressedSize || saved !== JSON.stringify(meta)) offset = 0;
  if (offset === 0) {
    await mkdir(dirname(part), { recursive: true });
    await discardPart(part);
    await writeFile(`${part}.json`, JSON.stringify(meta));
  }
  if (offset === entry.compressedSize) return offset;

  let received = offset;
  o.onBytes(member, 'download', received, entry.compressedSize);
  let raw: NodeJS.ReadableStream & { destroy(e?: Error): void };
  try {
    raw = await remote.zip.openReadStreamPromise(entry, { decodeFileData: false, start: offset });
  } catch (e) {
    throw classify(e, o.zipUrl, undefined, o.manual);
  }
  const stall = setTimeout(() => raw.destroy(new Stalled(o.stallTimeoutMs)), o.stallTimeoutMs);
  const fh = await open(part, offset > 0 ? 'a' : 'w');
  try {
    // One awaited write per chunk: whatever arrived before a cut is on disk for the resume.
    for await (const chunk of raw as AsyncIterable<Buffer>) {
      stall.refresh();
      await fh.write(chunk);
      received += chunk.length;
      o.onBytes(member, 'download', received, entry.compressedSize);
    }
  } catch (e) {
    throw classify(e, o.zipUrl, received, o.manual);
  } finally {
    clearTimeout(stall);
    await fh.close();
  }
  return offset;
}
