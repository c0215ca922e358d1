import { crc32, inflateSync } from 'node:zlib';

/**
 * A tiny PNG decoder for small images (the 28x28 PNGs API clients send): zlib does the work, so it costs
 * microseconds where a sharp pipeline costs ~0.5 ms of main-thread time. Handles 8-bit, non-interlaced
 * grey, grey+alpha, RGB and RGBA whose chunks all leave the pixels as stored (PLAIN_CHUNKS) and whose checksums
 * hold; returns undefined for anything else (sharp takes over: a transparent colour (tRNS), an EXIF
 * orientation (eXIf) or a colour profile (iCCP) is sharp's to apply, and a damaged chunk sharp's to refuse).
 */
export interface SmallPng {
  width: number;
  height: number;
  /** RGBA, 4 bytes per pixel. */
  rgba: Uint8Array;
}

/** The decoded samples as stored: 1 (grey), 2 (grey, alpha), 3 (RGB) or 4 (RGBA) bytes per pixel. */
export interface SmallPngPixels {
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
  data: Uint8Array;
}

const CHANNELS: Record<number, 1 | 2 | 3 | 4> = { 0: 1, 2: 3, 4: 2, 6: 4 };

/** Chunks sharp reads past without changing the pixels (checked: gAMA, sRGB, cHRM, sBIT, bKGD), and text. */
const PLAIN_CHUNKS = new Set(
  [
    'IHDR',
    'IDAT',
    'IEND',
    'gAMA',
    'sRGB',
    'cHRM',
    'sBIT',
    'bKGD',
    'pHYs',
    'tIME',
    'tEXt',
    'zTXt',
    'iTXt',
  ].map((name) => new DataView(new TextEncoder().encode(name).buffer).getUint32(0)),
);

export function decodeSmallPng(b: Uint8Array, maxPixels = 128 * 128): SmallPng | undefined {
  const px = decodeSmallPngPixels(b, maxPixels);
  return px && { width: px.width, height: px.height, rgba: toRgba(px) };
}

let shared = new Uint8Array(0);

/**
 * decodeSmallPng without the expansion to RGBA (what decodeImage reads). With `reuse`, `data` is a buffer
 * of this thread's, valid until the next call (for callers that read it at once).
 */
export function decodeSmallPngPixels(
  b: Uint8Array,
  maxPixels = 128 * 128,
  reuse = false,
): SmallPngPixels | undefined {
  if (b.length < 33 || b[0] !== 0x89 || b[1] !== 0x50 || b[2] !== 0x4e || b[3] !== 0x47) return undefined;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  if (view.getUint32(12) !== 0x49484452) return undefined; // IHDR first
  const width = view.getUint32(16);
  const height = view.getUint32(20);
  const depth = b[24]!;
  const colour = b[25]!;
  const interlace = b[28]!;
  const channels = CHANNELS[colour];
  if (!channels || depth !== 8 || interlace !== 0 || width < 1 || height < 1 || width * height > maxPixels)
    return undefined;
  const parts: Uint8Array[] = [];
  let at = 8;
  let ended = false;
  while (at + 12 <= b.length) {
    const len = view.getUint32(at);
    const type = view.getUint32(at + 4);
    if (at + 12 + len > b.length) return undefined; // truncated: let sharp report it
    if (!PLAIN_CHUNKS.has(type)) return undefined;
    // a damaged chunk (its CRC over type and data): sharp refuses the file, so it is sharp's to decode
    if (crc32(b.subarray(at + 4, at + 8 + len)) >>> 0 !== view.getUint32(at + 8 + len)) return undefined;
    if (type === 0x49444154) parts.push(b.subarray(at + 8, at + 8 + len)); // IDAT
    at += 12 + len;
    if (type === 0x49454e44) {
      ended = true; // IEND
      break;
    }
  }
  if (parts.length === 0 || !ended) return undefined;
  let raw: Buffer;
  try {
    raw = inflateSync(parts.length === 1 ? parts[0]! : Buffer.concat(parts), {
      maxOutputLength: height * (width * channels + 1) + 1,
    });
  } catch {
    return undefined;
  }
  const stride = width * channels;
  if (raw.length < height * (stride + 1)) return undefined;
  if (reuse && shared.length < height * stride) shared = new Uint8Array(height * stride);
  const px = reuse ? shared.subarray(0, height * stride) : new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    if (filter > 4) return undefined;
    unfilterRow(raw, y * (stride + 1) + 1, px, y * stride, y > 0, stride, channels, filter);
  }
  return { width, height, channels, data: px };
}

/**
 * Undoes one row's PNG filter (0 none, 1 sub, 2 up, 3 average, 4 Paeth) into `px` at `row`; the row
 * above is px[row - stride ..] when `hasUp`, zeros otherwise.
 */
function unfilterRow(
  raw: Uint8Array,
  src: number,
  px: Uint8Array,
  row: number,
  hasUp: boolean,
  stride: number,
  bpp: number,
  filter: number,
): void {
  const prev = row - stride;
  if (filter === 0) for (let x = 0; x < stride; x++) px[row + x] = raw[src + x]!;
  else if (filter === 1)
    for (let x = 0; x < stride; x++)
      px[row + x] = (raw[src + x]! + (x >= bpp ? px[row + x - bpp]! : 0)) & 255;
  else if (filter === 2)
    for (let x = 0; x < stride; x++) px[row + x] = (raw[src + x]! + (hasUp ? px[prev + x]! : 0)) & 255;
  else if (filter === 3)
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? px[row + x - bpp]! : 0;
      const up = hasUp ? px[prev + x]! : 0;
      px[row + x] = (raw[src + x]! + ((a + up) >> 1)) & 255;
    }
  else
    for (let x = 0; x < stride; x++) {
      const a = x >= bpp ? px[row + x - bpp]! : 0;
      const up = hasUp ? px[prev + x]! : 0;
      const c = hasUp && x >= bpp ? px[prev + x - bpp]! : 0;
      const p = a + up - c;
      const pa = Math.abs(p - a);
      const pb = Math.abs(p - up);
      const pc = Math.abs(p - c);
      px[row + x] = (raw[src + x]! + (pa <= pb && pa <= pc ? a : pb <= pc ? up : c)) & 255;
    }
}

function toRgba({ width, height, channels, data }: SmallPngPixels): Uint8Array {
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    const s = i * channels;
    const d = i * 4;
    if (channels <= 2) {
      rgba[d] = rgba[d + 1] = rgba[d + 2] = data[s]!;
      rgba[d + 3] = channels === 2 ? data[s + 1]! : 255;
    } else {
      rgba[d] = data[s]!;
      rgba[d + 1] = data[s + 1]!;
      rgba[d + 2] = data[s + 2]!;
      rgba[d + 3] = channels === 4 ? data[s + 3]! : 255;
    }
  }
  return rgba;
}
