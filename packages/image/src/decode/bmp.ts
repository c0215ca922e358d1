import { decode } from 'bmp-ts';

/**
 * BMP, which sharp's libvips build does not read (Windows scanning tools and old scanners still write it), decoded
 * with bmp-ts: 1/4/8-bit palettes, 16/24/32-bit, top-down or bottom-up. The pixels come out as RGB; a BMP's
 * fourth byte is padding in most files (bmp-ts gives 0 for 24-bit ones), so it is never taken for transparency.
 * bmp-ts 1.0.9 is read in its ABGR layout: its `toRGBA` option garbles 1/4/8-bit images, and its run-length
 * (RLE4/RLE8) decoding misplaces channels, so those rare files are refused by name instead of read wrong.
 */

/** The DIB header sizes: core (OS/2 1.x), OS/2 2.x (16 and 64), info, V2, V3, V4, V5. */
const BMP_HEADER_SIZES = [12, 16, 64, 40, 52, 56, 108, 124];

/** Width and height from a BMP's header (before any pixel is decoded), or undefined when there is none. */
export function bmpSize(b: Uint8Array): { width: number; height: number } | undefined {
  if (b.byteLength < 26) return undefined;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const headerSize = view.getUint32(14, true);
  // Text that happens to start with "BM" is no BMP: its header size is one of the format's few.
  if (!BMP_HEADER_SIZES.includes(headerSize)) return undefined;
  // BITMAPCOREHEADER (OS/2, 12 bytes) stores 16-bit sizes; every later header 32-bit, the height signed
  // (negative: rows stored top-down).
  const core = headerSize === 12;
  const width = core ? view.getUint16(18, true) : view.getInt32(18, true);
  const height = core ? view.getUint16(20, true) : Math.abs(view.getInt32(22, true));
  return width > 0 && height > 0 ? { width, height } : undefined;
}

/** Run-length coded (RLE8, RLE4), from the header's compression field; undefined for other BMPs. */
export function bmpRunLength(b: Uint8Array): string | undefined {
  if (b.byteLength < 34 || new DataView(b.buffer, b.byteOffset).getUint32(14, true) === 12) return undefined;
  const compression = new DataView(b.buffer, b.byteOffset).getUint32(30, true);
  return compression === 1 ? 'RLE8' : compression === 2 ? 'RLE4' : undefined;
}

/** The DIB headers bmp-ts reads: info, V2, V3, V4, V5 (not the OS/2 ones, 12, 16 and 64 bytes). */
const BMP_READ_HEADER_SIZES = [40, 52, 56, 108, 124];
const BMP_BITS = [1, 4, 8, 16, 24, 32];

/**
 * What is wrong with a BMP's header for bmp-ts, in words, or undefined when it can be decoded: a header it does not
 * read, bits per pixel outside 1/4/8/16/24/32 (0 made bmp-ts read past the end, a RangeError), a compression it
 * does not read, or pixels that the file is too short to hold (truncated). Checked before decoding, so the error
 * says which field is wrong instead of a guess. Run-length coding is bmpRunLength's.
 */
export function bmpHeaderProblem(b: Uint8Array): string | undefined {
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const headerSize = view.getUint32(14, true);
  if (!BMP_READ_HEADER_SIZES.includes(headerSize))
    return `its ${headerSize}-byte header is an OS/2 one, which hcr does not read`;
  if (b.byteLength < 14 + headerSize)
    return `the file ends (${b.byteLength} bytes) inside its ${headerSize}-byte header: it is truncated`;
  const width = view.getInt32(18, true);
  const height = Math.abs(view.getInt32(22, true));
  const bits = view.getUint16(28, true);
  if (!BMP_BITS.includes(bits))
    return `its header gives ${bits} bits per pixel; a BMP has 1, 4, 8, 16, 24 or 32: the file is damaged`;
  const compression = view.getUint32(30, true);
  // 0: plain, 3 and 6: plain with bit masks (RLE, 1 and 2, bmpRunLength refuses by name)
  if (![0, 1, 2, 3, 6].includes(compression))
    return `its compression is ${compression === 4 ? 'JPEG' : compression === 5 ? 'PNG' : `type ${compression}`}, which hcr does not read in a BMP`;
  if (compression === 1 || compression === 2) return undefined;
  // Where bmp-ts reads the pixels from: after the header, the masks an info header adds, and the palette.
  const masks = headerSize === 40 ? (compression === 3 ? 12 : compression === 6 ? 16 : 0) : 0;
  const colours = view.getUint32(46, true);
  const palette = bits <= 8 || colours > 0 ? colours || 2 ** bits : 0;
  const pixelsFrom = 14 + headerSize + masks + 4 * palette;
  if (pixelsFrom > b.byteLength)
    return `its header lists ${palette} palette colours, more than the file (${b.byteLength} bytes) holds: it is damaged or truncated`;
  const start = Math.max(view.getUint32(10, true), pixelsFrom);
  const rowBytes = Math.ceil((width * bits) / 32) * 4;
  const end = start + rowBytes * height;
  if (end > b.byteLength)
    return `it is truncated: ${width}x${height} pixels at ${bits} bits need bytes ${start} to ${end}, the file has ${b.byteLength}`;
  return undefined;
}

/** The RGB pixels of a BMP whose size bmpSize has checked; throws the decoder's error on a corrupt file. */
export function decodeBmpPixels(b: Uint8Array): { data: Buffer; width: number; height: number; channels: 3 } {
  const bmp = decode(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
  const n = bmp.width * bmp.height;
  if (bmp.data.length < 4 * n)
    throw new Error(`${bmp.data.length} bytes of pixels for ${bmp.width}x${bmp.height}`);
  const rgb = Buffer.alloc(3 * n);
  // ABGR -> RGB.
  for (let i = 0, o = 0; i < n; i++, o += 4) {
    rgb[3 * i] = bmp.data[o + 3]!;
    rgb[3 * i + 1] = bmp.data[o + 2]!;
    rgb[3 * i + 2] = bmp.data[o + 1]!;
  }
  return { data: rgb, width: bmp.width, height: bmp.height, channels: 3 };
}
