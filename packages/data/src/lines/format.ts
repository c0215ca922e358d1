import { HcrError } from '@hcr/core';
import { datasetVersionError, rebuildCommandFor } from '../rebuild-command.js';

/**
 * Line shard layout (format version 1), all integers little-endian:
 *
 *   offset  size      field
 *   0       8         magic "HCRLINE1"
 *   8       2         format version (1)
 *   10      2         header size in bytes (64)
 *   12      4         line count N
 *   16      2         height H (32)
 *   18      2         reserved, zero
 *   20      4         label count L (characters of all lines)
 *   24      8         pixel byte count P (float64, = H * sum of widths)
 *   32      32        reserved, zero
 *   64      2N        widths (u16)
 *   ...     4(N+1)    label offsets (u32): line i = labels[off[i]..off[i+1])
 *   ...     L         labels (u8 alphabet indices, never the blank)
 *   ...     4L        glyph ids (i32 per label character, -1 for spaces and marks): provenance
 *   ...     N         kind ids (u8, LINE_KINDS order)
 *   ...     P         pixels, line after line, each H x width row-major, ink bright
 */
export const LINE_SHARD_MAGIC = 'HCRLINE1';
export const LINE_SHARD_VERSION = 1;
const HEADER = 64;

export interface LineShardData {
  count: number;
  height: number;
  widths: Uint16Array;
  labelOffsets: Uint32Array;
  labels: Uint8Array;
  glyphIds: Int32Array;
  kinds: Uint8Array;
  pixels: Uint8Array;
}

function layout(count: number, labelCount: number) {
  const widths = HEADER;
  const offsets = widths + 2 * count;
  const labels = offsets + 4 * (count + 1);
  const glyphs = labels + labelCount;
  const kinds = glyphs + 4 * labelCount;
  const pixels = kinds + count;
  return { widths, offsets, labels, glyphs, kinds, pixels };
}

export function encodeLineShard(s: LineShardData): Uint8Array {
  const L = s.labels.length;
  let pixelBytes = 0;
  for (const w of s.widths) pixelBytes += w * s.height;
  if (
    s.widths.length !== s.count ||
    s.labelOffsets.length !== s.count + 1 ||
    s.labelOffsets[s.count] !== L ||
    s.glyphIds.length !== L ||
    s.kinds.length !== s.count ||
    s.pixels.length !== pixelBytes
  )
    throw new RangeError('encodeLineShard: section lengths do not match the count, widths and label offsets');
  const at = layout(s.count, L);
  const out = new Uint8Array(at.pixels + pixelBytes);
  const view = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) out[i] = LINE_SHARD_MAGIC.charCodeAt(i);
  view.setUint16(8, LINE_SHARD_VERSION, true);
  view.setUint16(10, HEADER, true);
  view.setUint32(12, s.count, true);
  view.setUint16(16, s.height, true);
  view.setUint32(20, L, true);
  view.setFloat64(24, pixelBytes, true);
  for (let i = 0; i < s.count; i++) view.setUint16(at.widths + 2 * i, s.widths[i]!, true);
  for (let i = 0; i <= s.count; i++) view.setUint32(at.offsets + 4 * i, s.labelOffsets[i]!, true);
  out.set(s.labels, at.labels);
  for (let i = 0; i < L; i++) view.setInt32(at.glyphs + 4 * i, s.glyphIds[i]!, true);
  out.set(s.kinds, at.kinds);
  out.set(s.pixels, at.pixels);
  return out;
}

/**
 * Decodes (copying into aligned arrays); checks magic, version, header size, every length and the offsets'
 * order. `dir`, the dataset's folder, names the command that rebuilds that very dataset in the errors.
 */
export function decodeLineShard(bytes: Uint8Array, name = '<line shard>', dir?: string): LineShardData {
  const corrupt = (problem: string): never => {
    throw new HcrError('LINE_SHARD_CORRUPT', `Line shard ${name} is corrupt: ${problem}.`, {
      hint: `Rebuild the line dataset with ${rebuildCommandFor(dir, 'lines')}.`,
    });
  };
  if (bytes.length < HEADER) corrupt(`only ${bytes.length} bytes`);
  const magic = String.fromCharCode(...bytes.subarray(0, 8));
  if (magic !== LINE_SHARD_MAGIC) corrupt(`magic '${magic}' instead of '${LINE_SHARD_MAGIC}'`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint16(8, true);
  const header = view.getUint16(10, true);
  // A newer layout (another version, a larger header) is refused, not read as this one.
  if (version !== LINE_SHARD_VERSION || header !== HEADER)
    throw datasetVersionError(
      `Line shard ${name}`,
      `line shard format version ${version} with a ${header}-byte header; this hcr reads version ${LINE_SHARD_VERSION} with ${HEADER} bytes`,
      dir,
      'lines',
    );
  const count = view.getUint32(12, true);
  const height = view.getUint16(16, true);
  const L = view.getUint32(20, true);
  const pixelBytes = view.getFloat64(24, true);
  const at = layout(count, L);
  if (bytes.length !== at.pixels + pixelBytes)
    corrupt(`${bytes.length} bytes, the header says ${at.pixels + pixelBytes}`);
  const widths = new Uint16Array(count);
  let sum = 0;
  for (let i = 0; i < count; i++) sum += widths[i] = view.getUint16(at.widths + 2 * i, true);
  if (sum * height !== pixelBytes)
    corrupt(`widths sum to ${sum} columns, the header says ${pixelBytes / height}`);
  const labelOffsets = new Uint32Array(count + 1);
  for (let i = 0; i <= count; i++) {
    labelOffsets[i] = view.getUint32(at.offsets + 4 * i, true);
    if (i > 0 && labelOffsets[i]! < labelOffsets[i - 1]!) corrupt(`label offsets decrease at line ${i}`);
  }
  if (labelOffsets[0] !== 0 || labelOffsets[count] !== L) corrupt('label offsets do not span the labels');
  const glyphIds = new Int32Array(L);
  for (let i = 0; i < L; i++) glyphIds[i] = view.getInt32(at.glyphs + 4 * i, true);
  return {
    count,
    height,
    widths,
    labelOffsets,
    labels: bytes.slice(at.labels, at.labels + L),
    glyphIds,
    kinds: bytes.slice(at.kinds, at.kinds + count),
    pixels: bytes.slice(at.pixels, at.pixels + pixelBytes),
  };
}
