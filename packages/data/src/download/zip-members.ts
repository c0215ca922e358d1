import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { HcrError, tempPathFor } from '@hcr/core';
import { Open } from 'unzipper';
import { checksumError } from './errors.js';

export interface ZipMember {
  /** Path inside the zip, e.g. `gzip/emnist-letters-train-images-idx3-ubyte.gz`. */
  memberPath: string;
  /** Where the verified member ends up. */
  destPath: string;
  sha256: string;
}

/**
 * Extracts only the named members of a downloaded zip. unzipper's Open.file reads the central directory
 * at the end of the zip and then streams each wanted member from its offset, so the other ~500 MB of
 * NIST's gzip.zip are never read or inflated. Each member is hashed while it streams to a temp file and
 * renamed into place only when its sha256 matches the lock.
 */
export async function extractZipMembers(
  zipPath: string,
  zipUrl: string,
  members: ZipMember[],
  onBytes: (member: ZipMember, receivedBytes: number, totalBytes: number) => void,
): Promise<void> {
  let directory: Awaited<ReturnType<typeof Open.file>>;
  try {
    directory = await Open.file(zipPath);
  } catch (e) {
    throw new HcrError('ZIP_UNREADABLE', `${zipPath} is not a readable zip: ${(e as Error).message}.`, {
      hint: `Delete it and run the command again to download ${zipUrl} cleanly.`,
      cause: e,
    });
  }
  const byPath = new Map(directory.files.map((f) => [f.path, f]));
  for (const member of members) {
    const entry = byPath.get(member.memberPath);
    if (entry?.type !== 'File')
      throw new HcrError('ZIP_MEMBER_MISSING', `${zipUrl} has no member ${member.memberPath}.`, {
        hint: 'The upstream archive changed layout: report it. Meanwhile copy the file by hand and set HCR_DATA_DIR.',
      });
    await mkdir(dirname(member.destPath), { recursive: true });
    const tmp = tempPathFor(member.destPath);
    const hash = createHash('sha256');
    let received = 0;
    const tap = new Transform({
      transform(chunk: Buffer, _enc, done) {
        hash.update(chunk);
        received += chunk.length;
        onBytes(member, received, entry.uncompressedSize);
        done(null, chunk);
      },
    });
    try {
      await pipeline(entry.stream(), tap, createWriteStream(tmp));
      const actual = hash.digest('hex');
      if (actual !== member.sha256)
        throw checksumError(
          `${member.memberPath} (extracted from ${zipPath})`,
          member.sha256,
          actual,
          zipUrl,
        );
      await rename(tmp, member.destPath);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
  }
}
