import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { PassThrough, type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { crc32, createInflateRaw } from 'node:zlib';
import { HcrError, isHcrError, tempPathFor } from '@hcr/core';
import yauzl from 'yauzl';
import { checksumError, clause, type SumSource } from './errors.js';

export interface ZipMember {
  /** Path inside the zip, e.g. `gzip/emnist-letters-train-images-idx3-ubyte.gz`. */
  memberPath: string;
  /** Where the verified member ends up. */
  destPath: string;
  /** From the lock; undefined when the lock has no sum yet (the caller records the one computed here). */
  sha256?: string;
}

/** The entry of `member`, or an error naming the archive and the fix. */
export function requireEntry(
  entries: Map<string, yauzl.Entry>,
  member: ZipMember,
  zipUrl: string,
): yauzl.Entry {
  const entry = entries.get(member.memberPath);
  if (!entry || entry.fileName.endsWith('/'))
    throw new HcrError('ZIP_MEMBER_MISSING', `${zipUrl} has no member ${member.memberPath}.`, {
      hint: 'The upstream archive changed layout: report it. Meanwhile copy the file by hand and set HCR_DATA_DIR.',
    });
  if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8)
    throw new HcrError(
      'ZIP_UNSUPPORTED',
      `${zipUrl} stores ${member.memberPath} with compression method ${entry.compressionMethod}; hcr reads stored (0) and deflated (8) members.`,
      { hint: 'Extract the file with another unzip tool into <dir>/<dataset>/ and set HCR_DATA_DIR=<dir>.' },
    );
  return entry;
}

/**
 * Decompresses one member's raw (still deflated or stored) bytes into a temp file next to `destPath`,
 * checking the size and CRC-32 from the zip's directory and the sha256 from the lock, and renames it into
 * place only when all agree. Returns the sha256 (the sum to record when the lock had none).
 */
export async function writeVerifiedMember(
  raw: Readable,
  entry: yauzl.Entry,
  member: ZipMember,
  what: { zipUrl: string; source: string } & SumSource,
  onBytes: (receivedBytes: number, totalBytes: number) => void,
): Promise<string> {
  await mkdir(dirname(member.destPath), { recursive: true });
  const tmp = tempPathFor(member.destPath);
  const hash = createHash('sha256');
  let crc = 0;
  let size = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      crc = crc32(chunk, crc);
      size += chunk.length;
      onBytes(size, entry.uncompressedSize);
      done(null, chunk);
    },
  });
  try {
    const decode = entry.compressionMethod === 8 ? createInflateRaw() : new PassThrough();
    try {
      await pipeline(raw, decode, tap, createWriteStream(tmp));
    } catch (e) {
      if (isHcrError(e)) throw e;
      throw new HcrError(
        'ZIP_MEMBER_CORRUPT',
        `${member.memberPath} (${what.source}) does not decompress: ${clause((e as Error).message)}.`,
        { hint: `Run the command again to download it cleanly from ${what.zipUrl}.`, cause: e },
      );
    }
    const actual = hash.digest('hex');
    if (size !== entry.uncompressedSize || crc >>> 0 !== entry.crc32 >>> 0) {
      throw new HcrError(
        'ZIP_MEMBER_CORRUPT',
        `${member.memberPath} (${what.source}) decompressed to ${size} bytes with CRC-32 ${(crc >>> 0).toString(16)}, but the zip's directory says ${entry.uncompressedSize} bytes, CRC-32 ${(entry.crc32 >>> 0).toString(16)}; nothing was written.`,
        { hint: `Run the command again to download it cleanly from ${what.zipUrl}.` },
      );
    }
    if (member.sha256 && actual !== member.sha256)
      throw checksumError(`${member.memberPath} (${what.source})`, member.sha256, actual, what.zipUrl, what);
    await rename(tmp, member.destPath);
    return actual;
  } finally {
    await rm(tmp, { force: true });
  }
}

/**
 * Extracts only the named members of a zip on disk (the whole-archive fallback). yauzl reads the central
 * directory at the end and streams each wanted member from its offset, so the other ~500 MB of NIST's
 * gzip.zip are never read or inflated.
 */
export async function extractZipMembers(
  zipPath: string,
  zipUrl: string,
  members: ZipMember[],
  onBytes: (member: ZipMember, receivedBytes: number, totalBytes: number) => void,
  source: SumSource = {},
): Promise<string[]> {
  let zip: yauzl.ZipFile | undefined;
  const entries = new Map<string, yauzl.Entry>();
  try {
    zip = await yauzl.openPromise(zipPath, { autoClose: false });
    for await (const entry of zip.eachEntry()) entries.set(entry.fileName, entry);
  } catch (e) {
    zip?.close();
    // Not a zip (a login or error page, a file cut short): useless, so it goes now and the message can say so.
    await rm(zipPath, { force: true });
    const from = source.mirror ? `the mirror (HCR_DATA_MIRROR=${source.mirror})` : 'the server';
    throw new HcrError(
      'ZIP_UNREADABLE',
      `${zipPath}, downloaded from ${zipUrl}, is not a readable zip (${clause((e as Error).message)}); it was deleted.`,
      {
        hint: `${from[0]!.toUpperCase()}${from.slice(1)} sent something other than the archive (a login or error page, or a file cut short)${
          source.mirror
            ? ': put the official archive on the mirror, or unset HCR_DATA_MIRROR to use the official URL'
            : `: open ${zipUrl} in a browser to see what it serves, then run the command again`
        }; or download the archive by hand, extract the files into <dir>/<dataset>/ and set HCR_DATA_DIR=<dir>.`,
        cause: e,
      },
    );
  }
  try {
    const sums: string[] = [];
    for (const member of members) {
      const entry = requireEntry(entries, member, zipUrl);
      const raw = await zip.openReadStreamPromise(entry, { decodeFileData: false });
      sums.push(
        await writeVerifiedMember(
          raw,
          entry,
          member,
          { zipUrl, source: `extracted from ${zipPath}`, ...source },
          (r, t) => onBytes(member, r, t),
        ),
      );
    }
    return sums;
  } finally {
    zip.close();
  }
}
