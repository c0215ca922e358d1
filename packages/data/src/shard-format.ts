import { HcrError } from '@hcr/core';
import { datasetVersionError, rebuildCommandFor } from './rebuild-command.js';

/**
 * Shard file layout (format version 1), all integers little-endian:
 *
 *   offset size  field
 *   0      8     magic "HCRSHRD1"
 *   8      2     format version (1)
 *   10     2     header size in bytes (64)
 *   12     4     sample count N
 *   16     2     height H      18  2  width W      20  2  channels C
 *   22     1     pixel dtype (0 = uint8, ink bright, 0..255)
 *   23     1     label dtype (0 = uint8 class index in the label space)
 *   24     1     source dtype (0 = uint8 source id, see @hcr/core SOURCES)
 *   25     39    reserved, zero
 *   64     N*H*W*C  pixels, sample-major, row-major (NHWC)
 *   ...    N     labels
 *   ...    N     source ids
 *
 * Uint8 labels leave room for the 47/62-class spaces without a format change.
 */
export const SHARD_MAGIC = 'HCRSHRD1';
export const SHARD_FORMAT_VERSION = 1;
export const SHARD_HEADER_BYTES = 64;

export interface ShardData {
  count: number;
  height: number;
  width: number;
  channels: number;
  pixels: Uint8Array;
  labels: Uint8Array;
  sources: Uint8Array;
}

export function encodeShard(s: ShardData): Uint8Array {
  const pixelBytes = s.count * s.height * s.width * s.channels;
  if (s.pixels.length !== pixelBytes || s.labels.length !== s.count || s.sources.length !== s.count)
    throw new RangeError('encodeShard: pixel/label/source lengths do not match the count');
  const out = new Uint8Array(SHARD_HEADER_BYTES + pixelBytes + 2 * s.count);
  const view = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) out[i] = SHARD_MAGIC.charCodeAt(i);
  view.setUint16(8, SHARD_FORMAT_VERSION, true);
  view.setUint16(10, SHARD_HEADER_BYTES, true);
  view.setUint32(12, s.count, true);
  view.setUint16(16, s.height, true);
  view.setUint16(18, s.width, true);
  view.setUint16(20, s.channels, true);
  out.set(s.pixels, SHARD_HEADER_BYTES);
  out.set(s.labels, SHARD_HEADER_BYTES + pixelBytes);
  out.set(s.sources, SHARD_HEADER_BYTES + pixelBytes + s.count);
  return out;
}

/**
 * Decodes a shard without copying (views into `bytes`); checks magic, version, header size and exact length.
 * `dir`, the dataset's folder, names the command that rebuilds that very dataset in the errors.
 */
export function decodeShard(bytes: Uint8Array, name = '<shard>', dir?: string): ShardData {
  const corrupt = (problem: string): never => {
    throw new HcrError('SHARD_CORRUPT', `Shard ${name} is corrupt: ${problem}.`, {
      hint: `Rebuild the dataset with ${rebuildCommandFor(dir, 'characters')}.`,
    });
  };
  if (bytes.length < SHARD_HEADER_BYTES) corrupt(`only ${bytes.length} bytes`);
  const magic = String.fromCharCode(...bytes.subarray(0, 8));
  if (magic !== SHARD_MAGIC) corrupt(`magic '${magic}' instead of '${SHARD_MAGIC}'`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint16(8, true);
  const header = view.getUint16(10, true);
  // A newer layout (another version, a larger header) is refused, not read as this one.
  if (version !== SHARD_FORMAT_VERSION || header !== SHARD_HEADER_BYTES)
    throw datasetVersionError(
      `Shard ${name}`,
      `shard format version ${version} with a ${header}-byte header; this hcr reads version ${SHARD_FORMAT_VERSION} with ${SHARD_HEADER_BYTES} bytes`,
      dir,
      'characters',
    );
  const count = view.getUint32(12, true);
  const height = view.getUint16(16, true);
  const width = view.getUint16(18, true);
  const channels = view.getUint16(20, true);
  const pixelBytes = count * height * width * channels;
  if (bytes.length !== header + pixelBytes + 2 * count)
    corrupt(`${bytes.length} bytes, header says ${header + pixelBytes + 2 * count}`);
  return {
    count,
    height,
    width,
    channels,
    pixels: bytes.subarray(header, header + pixelBytes),
    labels: bytes.subarray(header + pixelBytes, header + pixelBytes + count),
    sources: bytes.subarray(header + pixelBytes + count, header + pixelBytes + 2 * count),
  };
}
