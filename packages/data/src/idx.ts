import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { HcrError } from '@hcr/core';

/** A decoded IDX array of unsigned bytes (the only dtype MNIST/EMNIST use). */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

const UBYTE = 0x08;
const GZIP_MAGIC = [0x1f, 0x8b];

function fail(path: string, problem: string, hint: string): never {
  throw new HcrError('IDX_INVALID', `${path} is not a valid IDX file: ${problem}.`, { hint });
}

/**
 * Decodes IDX bytes (already gunzipped), checking magic, dtype, dims and exact byte length. `fix` says how to
 * replace the file (prepare names the dataset's own: `hcr data download --dataset ...`, or a repack's copy).
 */
export function decodeIdx(
  bytes: Uint8Array,
  path = '<buffer>',
  expectedRank?: number,
  fix = 'Delete it and fetch it again (`hcr data download`).',
): IdxArray {
  const refetch = `The file is damaged or not what its name says. ${fix}`;
  if (bytes.length < 4) fail(path, `only ${bytes.length} bytes`, refetch);
  if (bytes[0] !== 0 || bytes[1] !== 0)
    fail(path, `magic number starts ${bytes[0]}, ${bytes[1]} instead of 0, 0`, refetch);
  if (bytes[2] !== UBYTE)
    fail(path, `dtype code 0x${bytes[2]!.toString(16)} (only unsigned byte, 0x08, is supported)`, refetch);
  const rank = bytes[3]!;
  if (rank < 1 || rank > 4) fail(path, `rank ${rank} (expected 1..4)`, refetch);
  if (expectedRank !== undefined && rank !== expectedRank)
    fail(
      path,
      `rank ${rank}, expected ${expectedRank} (${expectedRank === 1 ? 'labels' : 'images'})`,
      refetch,
    );
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes) fail(path, 'header is truncated', refetch);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims = Array.from({ length: rank }, (_, i) => view.getUint32(4 + 4 * i, false));
  const expected = headerBytes + dims.reduce((a, b) => a * b, 1);
  if (bytes.length !== expected)
    fail(
      path,
      `${bytes.length} bytes, but dims ${dims.join('x')} need ${expected} (truncated or padded)`,
      refetch,
    );
  return { dims, data: bytes.subarray(headerBytes) };
}

/** Reads an IDX file, gzip-compressed or plain (detected by content, not by name); `fix` as for decodeIdx. */
export async function readIdx(path: string, expectedRank?: number, fix?: string): Promise<IdxArray> {
  let bytes: Uint8Array = await readFile(path);
  if (bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1]) {
    try {
      bytes = gunzipSync(bytes);
    } catch (e) {
      throw new HcrError('IDX_GZIP', `${path} is a damaged gzip file (${(e as Error).message}).`, {
        hint: `It was probably cut short while downloading or copying. ${fix ?? 'Delete it and run `hcr data download` again.'}`,
        cause: e,
      });
    }
  }
  return decodeIdx(bytes, path, expectedRank, fix);
}
