import { HcrError } from '@hcr/core';
import sharp, { type OutputInfo } from 'sharp';
import { bmpHeaderProblem, bmpRunLength, bmpSize, decodeBmpPixels } from './bmp.js';
import { decodeHeicPixels } from './heic.js';
import { PDF_PICTURE_LIMIT_FACTOR, pdfPageCount, renderPdfPage } from './pdf.js';
import { decodeSmallPngPixels } from './small-png.js';
import { tiffImageSizes } from './tiff.js';

/**
 * Image formats accepted from users: what phones, browsers and document scanners write (TIFF, often 1-bit fax;
 * BMP from Windows scanning tools; AVIF from browsers and recent phones; HEIC from iPhones; PDF from scanning apps).
 */
export const IMAGE_CONTENT_TYPES = [
  'image/png',
  'image/jpeg',
  'image/webp',
  'image/tiff',
  'image/gif',
  'image/bmp',
  'image/avif',
  'image/heic',
  'image/heif',
  'application/pdf',
] as const;

/** The accepted formats in words, for messages and documentation. */
export const IMAGE_FORMATS_TEXT = 'PNG, JPEG, WebP, TIFF, GIF, BMP, AVIF, HEIC or PDF';

export type ImageFormat = 'png' | 'jpeg' | 'webp' | 'tiff' | 'gif' | 'bmp' | 'avif' | 'heic' | 'pdf';

export interface DecodeLimits {
  /** Largest width x height accepted before decoding (decompression bombs stop here). */
  maxInputPixels?: number;
  /** The decoded image is shrunk so its longer side is at most this (speed; characters need no more). */
  workingSize?: number;
  /**
   * The page of a PDF or a TIFF to read, from 1. Without it the file must have one page (SEVERAL_PAGES
   * otherwise, rather than pages left unread); `documentPages` counts them.
   */
  page?: number;
}

export const DEFAULT_DECODE_LIMITS = Object.freeze({ maxInputPixels: 25_000_000, workingSize: 192 });

/** A decoded image in one channel: either grey levels (any polarity) or, for cut-outs, the alpha mask. */
export interface DecodedImage {
  /** 0..255 per pixel, row-major. */
  values: Float32Array;
  width: number;
  height: number;
  /** 'alpha': the image was a cut-out on transparency, values are opacity (ink bright). */
  kind: 'grey' | 'alpha';
  format: string;
  /** The size the image arrived at, upright (before the working-size shrink). */
  originalWidth: number;
  originalHeight: number;
}

/** `limits` without the keys set to undefined: `{ workingSize: undefined }` asks for the default, as leaving it out does. */
export function definedLimits<T extends object>(limits: T): Partial<T> {
  return Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * The limits to decode with: the defaults for those not given, each given one a whole number of 1 or more
 * (BAD_OPTIONS naming it otherwise: `maxInputPixels: 0` would turn sharp's guard against decompression bombs off).
 */
function decodeLimits(limits: DecodeLimits): { maxInputPixels: number; workingSize: number; page?: number } {
  const lim = { ...DEFAULT_DECODE_LIMITS, ...definedLimits(limits) };
  checkWholeLimit('maxInputPixels', lim.maxInputPixels, DEFAULT_DECODE_LIMITS.maxInputPixels);
  checkWholeLimit('workingSize', lim.workingSize, DEFAULT_DECODE_LIMITS.workingSize);
  return lim;
}

/** BAD_OPTIONS unless `value` is a whole number of 1 or more (a limit in pixels). */
export function checkWholeLimit(name: string, value: unknown, byDefault: number): void {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 1) return;
  throw new HcrError(
    'BAD_OPTIONS',
    `${name} ${typeof value === 'string' ? JSON.stringify(value) : String(value)} is not a whole number of pixels of 1 or more.`,
    { hint: `Give ${name} as a whole number of 1 or more, or leave it out for the default (${byDefault}).` },
  );
}

function badImage(problem: string, cause?: unknown): HcrError {
  return new HcrError('IMAGE_UNDECODABLE', problem, {
    hint: `Pass a complete ${IMAGE_FORMATS_TEXT} file of the character or field.`,
    cause,
  });
}

/**
 * Decodes an image: small plain PNGs in JS via zlib, BMP with bmp-ts, HEIC with heic-decode, a PDF's page
 * rendered by pdf.js, everything else with sharp (a TIFF at the page `limits.page` names, a GIF at its first
 * frame). Checks the header before decoding (format, pixel count), applies the EXIF orientation (phone photos),
 * shrinks to the working size, and turns colour + alpha into one channel.
 */
export async function decodeImage(bytes: Uint8Array, limits: DecodeLimits = {}): Promise<DecodedImage> {
  const { maxInputPixels, workingSize, page } = decodeLimits(limits);
  const format = checkFormat(bytes);
  // A PDF's pages are checked once it is open (renderPdfPage); a TIFF's (a fax of several) here, every other
  // image has one.
  if (format !== 'pdf') checkPage(format, page, await imagePages(format, bytes));
  const small = format === 'png' ? decodeSmallNow(bytes, maxInputPixels, workingSize, false) : undefined;
  if (small) return small;
  // Formats sharp's build does not read arrive as pixels, their size checked from the header first.
  const pixels =
    format === 'bmp'
      ? bmpInput(bytes, maxInputPixels)
      : format === 'heic'
        ? await decodeHeicPixels(bytes, maxInputPixels, {
            tooLarge: (size) => tooLargeError(size, maxInputPixels),
            corrupt: (problem, cause) => badImage(problem, cause),
          })
        : format === 'pdf'
          ? await renderPdfPage(
              bytes,
              page,
              maxInputPixels,
              (pages) => checkPage(format, page, pages),
              pdfPictureTooLarge,
            )
          : undefined;
  // A TIFF is read at its page (from 0 for sharp); every other file sharp reads has one.
  const sharpPage = format === 'tiff' ? (page ?? 1) - 1 : 0;
  let raw: { data: Buffer; info: OutputInfo };
  try {
    // One pass: sharp checks width x height against the limit from the header, before decoding pixels.
    raw = await (pixels
      ? sharp(pixels.data, { raw: { width: pixels.width, height: pixels.height, channels: pixels.channels } })
      : sharp(bytes, {
          failOn: 'error',
          limitInputPixels: maxInputPixels,
          animated: false,
          page: sharpPage,
        })
    )
      .rotate()
      .resize(workingSize, workingSize, { fit: 'inside', withoutEnlargement: true, kernel: 'lanczos3' })
      .ensureAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
  } catch (e) {
    if (/pixel limit/i.test((e as Error).message)) throw await tooLarge(bytes, sharpPage, maxInputPixels, e);
    // A fax whose page is cut short or damaged: that page is named (the pages before it may read).
    const which = format === 'tiff' && page !== undefined ? `Page ${page} of the TIFF` : 'The image';
    throw badImage(
      `${which} cannot be decoded (${await decoderReason(e as Error, bytes, sharpPage, maxInputPixels)}).`,
      e,
    );
  }
  const working = {
    data: raw.data,
    width: raw.info.width,
    height: raw.info.height,
    channels: raw.info.channels,
  };
  // Shrunk to the working size: the header has the size the image arrived at (what errors and callers name).
  const shrunk = Math.max(working.width, working.height) >= workingSize;
  return decoded(
    working,
    format,
    false,
    pixels ?? (shrunk ? await orientedSize(bytes, sharpPage) : undefined),
  );
}

/** What sharp says when libvips' error buffer was empty by the time it read it. */
const SHARP_NO_REASON = 'Unknown error';

/**
 * Why sharp could not decode `bytes`: libvips' message (libvipsMessage). libvips keeps its errors in one buffer for the
 * whole process, which every pipeline clears when it ends, so a decode failing while others run (an import's
 * worker pool) can find it emptied and sharp says only "Unknown error": the file is then decoded again alone, for
 * the reason, and if that is lost too a truncated PNG or JPEG (no end chunk or marker) is named as such.
 */
async function decoderReason(
  e: Error,
  bytes: Uint8Array,
  page: number,
  maxInputPixels: number,
): Promise<string> {
  let reason = libvipsMessage(e);
  // under the same pixel limit as the first decode: a retry must not be the way a bomb gets decoded
  const again = () =>
    sharp(bytes, { failOn: 'error', limitInputPixels: maxInputPixels, animated: false, page })
      .raw()
      .toBuffer()
      .then(
        () => SHARP_NO_REASON,
        (x: Error) => libvipsMessage(x),
      );
  for (let attempt = 0; reason === SHARP_NO_REASON && attempt < 2; attempt++) {
    const next = reasonQueue.then(again).catch(() => SHARP_NO_REASON);
    reasonQueue = next;
    reason = await next;
  }
  if (reason !== SHARP_NO_REASON) return reason;
  const truncated = cutShort(bytes);
  return truncated ?? 'the decoder gave no reason';
}

/** The retries of decoderReason, one at a time in this thread: fewer pipelines to clear libvips' errors meanwhile. */
let reasonQueue: Promise<unknown> = Promise.resolve();

/** 'the PNG ends before its IEND chunk: it is truncated' (or a JPEG's end marker), else undefined. */
function cutShort(bytes: Uint8Array): string | undefined {
  const format = sniffImageFormat(bytes);
  const tail = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).subarray(-12);
  if (format === 'png' && !tail.includes('IEND', 0, 'latin1'))
    return 'the PNG ends before its IEND chunk: it is truncated';
  if (format === 'jpeg' && !tail.includes(Buffer.from([0xff, 0xd9])))
    return 'the JPEG ends before its end-of-image marker: it is truncated';
  return undefined;
}

/**
 * sharp's message without libvips' repeats: a truncated JPEG says "premature end of JPEG image" once per line it
 * tried, and a bad header ends in an empty "corrupt header:".
 */
function libvipsMessage(e: Error): string {
  const parts: string[] = [];
  for (const line of String(e.message).split('\n'))
    for (const part of line.split(/:\s+/)) {
      const text = part.trim().replace(/:$/, '');
      if (text && !parts.includes(text)) parts.push(text);
    }
  return parts.join(': ') || 'unknown error';
}

/**
 * A BMP's pixels for sharp, its size checked against the limit from the header first (bombs stop here too).
 * Only called for bytes sniffImageFormat took for a BMP, which it does only when bmpSize reads a header.
 */
function bmpInput(bytes: Uint8Array, maxInputPixels: number) {
  const size = bmpSize(bytes)!;
  if (size.width * size.height > maxInputPixels) throw tooLargeError(size, maxInputPixels);
  const runLength = bmpRunLength(bytes);
  if (runLength)
    throw new HcrError(
      'IMAGE_UNDECODABLE',
      `The BMP image is run-length coded (${runLength}), which hcr does not read.`,
      {
        hint: 'Save it as an uncompressed BMP, or as PNG (lossless, and smaller).',
      },
    );
  // the header's fields checked first: a wrong one is named, not guessed from bmp-ts's RangeError
  const problem = bmpHeaderProblem(bytes);
  if (problem) throw badImage(`The BMP image cannot be decoded: ${problem}.`);
  try {
    return decodeBmpPixels(bytes);
  } catch (e) {
    throw badImage(`The BMP image cannot be decoded (${(e as Error).message}): is it damaged?`, e);
  }
}

/** Width and height of `page` (from 0: a TIFF's) as it is seen upright (EXIF orientations 5-8 turn it a quarter). */
async function orientedSize(
  bytes: Uint8Array,
  page: number,
): Promise<{ width: number; height: number } | undefined> {
  const meta = await sharp(bytes, { limitInputPixels: false, page })
    .metadata()
    .catch(() => undefined);
  if (!meta?.width || !meta.height) return undefined;
  const quarterTurn = (meta.orientation ?? 1) >= 5;
  return quarterTurn
    ? { width: meta.height, height: meta.width }
    : { width: meta.width, height: meta.height };
}

/**
 * decodeImage done at once when the image is a small plain PNG (what API clients send), else undefined
 * (decodeImage takes it, with sharp). Bytes that are no image at all throw IMAGE_UNDECODABLE here too.
 * With `reuse`, `values` is a buffer of this thread's, valid until the next such call: for callers that
 * read it before anything else runs on the thread (prepareImage).
 */
export function decodeImageNow(
  bytes: Uint8Array,
  limits: DecodeLimits = {},
  reuse = false,
): DecodedImage | undefined {
  const format = checkFormat(bytes);
  if (format !== 'png') return undefined;
  checkPage(format, limits.page, 1); // a PNG has one page
  const { maxInputPixels, workingSize } = decodeLimits(limits);
  return decodeSmallNow(bytes, maxInputPixels, workingSize, reuse);
}

function checkFormat(bytes: Uint8Array): ImageFormat {
  if (bytes.byteLength === 0) throw badImage('The image is empty (0 bytes).');
  const format = sniffImageFormat(bytes);
  if (format) return format;
  if (startsWith(bytes, 'BM') && bytes.byteLength >= 14)
    throw badImage('The BMP image has no valid header (width and height): is it truncated?');
  const other = otherFormat(bytes);
  throw badImage(
    other
      ? `The data is ${other}, which hcr does not read: it reads ${IMAGE_FORMATS_TEXT} images.`
      : `The data is not a ${IMAGE_FORMATS_TEXT} file (its first bytes are no image signature).`,
  );
}

/** PNGs of up to this many pixels (128x128, or any other shape as small) are decoded in JS, without sharp. */
export const SMALL_PNG_PIXELS = 128 * 128;

/**
 * A small plain PNG decoded in JS when that gives what sharp would: within the pixel limit, and within the working
 * size (sharp shrinks a larger one), else undefined.
 */
function decodeSmallNow(
  bytes: Uint8Array,
  maxInputPixels: number,
  workingSize: number,
  reuse: boolean,
): DecodedImage | undefined {
  const small = decodeSmallPngPixels(bytes, Math.min(maxInputPixels, SMALL_PNG_PIXELS), true);
  if (!small || Math.max(small.width, small.height) > workingSize) return undefined;
  return decoded(small, 'png', reuse);
}

function decoded(
  pixels: { data: Uint8Array; width: number; height: number; channels: number },
  format: string,
  reuse: boolean,
  original: { width: number; height: number } = pixels,
): DecodedImage {
  const { width, height } = pixels;
  const { values, cutout } = oneChannel(pixels, reuse);
  return {
    values,
    width,
    height,
    kind: cutout ? 'alpha' : 'grey',
    format,
    originalWidth: original.width,
    originalHeight: original.height,
  };
}

let sharedValues = new Float32Array(0);

/**
 * Colour and alpha -> one channel. A cut-out (strokes on transparency, e.g. a canvas export): the alpha
 * channel is the character, whatever the stroke colour. Otherwise composite on white paper and take the
 * luminance. Channels: 1 grey, 2 grey + alpha, 3 RGB, 4 RGBA.
 */
function oneChannel(
  px: { data: Uint8Array; width: number; height: number; channels: number },
  reuse: boolean,
): {
  values: Float32Array;
  cutout: boolean;
} {
  const { data, channels } = px;
  const n = px.width * px.height;
  if (reuse && sharedValues.length !== n) sharedValues = new Float32Array(n);
  const values = reuse ? sharedValues : new Float32Array(n);
  const alpha = channels === 2 || channels === 4;
  if (channels === 1) {
    // Opaque grey (the 28x28 PNGs clients send): one table lookup per pixel, the same values.
    for (let i = 0; i < n; i++) values[i] = OPAQUE_GREY[data[i]!]!;
    return { values, cutout: false };
  }
  let transparent = 0;
  let opaque = 0;
  if (alpha)
    for (let i = 0, o = channels - 1; i < n; i++, o += channels) {
      if (data[o]! < 128) transparent++;
      else opaque++;
    }
  else opaque = n;
  const cutout = transparent >= 0.05 * n && opaque > 0;
  if (channels === 4 && !cutout) {
    // RGBA on paper (sharp's output for every colour image): the loop below with its choices made, a photo being
    // millions of pixels. Opaque pixels take the luminance itself (composite's `lum * 1 + 255 * 0`).
    for (let i = 0, o = 0; i < n; i++, o += 4) {
      const r = data[o]!;
      const g = data[o + 1]!;
      const b = data[o + 2]!;
      const a = data[o + 3]!;
      values[i] =
        a !== 255
          ? composite(r, g, b, a)
          : r === g && g === b
            ? OPAQUE_GREY[r]!
            : 0.299 * r + 0.587 * g + 0.114 * b;
    }
    return { values, cutout };
  }
  const grey = channels < 3;
  for (let i = 0, o = 0; i < n; i++, o += channels) {
    const alphaByte = alpha ? data[o + channels - 1]! : 255;
    if (cutout) values[i] = alphaByte;
    else {
      const r = data[o]!;
      const g = grey ? r : data[o + 1]!;
      const b = grey ? r : data[o + 2]!;
      // Opaque grey, however stored (canvas exports and many encoders write grey as RGB): the table.
      values[i] = alphaByte === 255 && r === g && g === b ? OPAQUE_GREY[r]! : composite(r, g, b, alphaByte);
    }
  }
  return { values, cutout };
}

/** Luminance composited on white: what a pixel looks like on paper. */
function composite(r: number, g: number, b: number, alphaByte: number): number {
  const a = alphaByte / 255;
  const lum = 0.299 * r + 0.587 * g + 0.114 * b;
  return lum * a + 255 * (1 - a);
}

const OPAQUE_GREY = Float32Array.from({ length: 256 }, (_, v) => composite(v, v, v, 255));

const startsWith = (b: Uint8Array, text: string, at = 0) =>
  [...text].every((ch, i) => b[at + i] === ch.charCodeAt(0));

/** The image format by file signature; anything else is refused before sharp sees it. */
export function sniffImageFormat(b: Uint8Array): ImageFormat | undefined {
  if (b[0] === 0x89 && startsWith(b, 'PNG', 1)) return 'png';
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (startsWith(b, 'RIFF') && startsWith(b, 'WEBP', 8)) return 'webp';
  if (startsWith(b, 'II*\0') || startsWith(b, 'MM\0*')) return 'tiff';
  if (startsWith(b, 'GIF87a') || startsWith(b, 'GIF89a')) return 'gif';
  if (startsWith(b, 'BM') && bmpSize(b)) return 'bmp';
  const brands = isoBrands(b);
  if (brands.some((brand) => brand === 'avif' || brand === 'avis')) return 'avif';
  if (brands.some((brand) => HEIC_BRANDS.includes(brand))) return 'heic';
  if (startsWith(b, '%PDF-')) return 'pdf';
  return undefined;
}

/** The major and compatible brands of an ISO media file (HEIF, AVIF, MP4: its `ftyp` box), or none. */
function isoBrands(b: Uint8Array): string[] {
  if (b.byteLength < 16 || !startsWith(b, 'ftyp', 4)) return [];
  const boxEnd = Math.min(b.byteLength, new DataView(b.buffer, b.byteOffset).getUint32(0));
  const brand = (at: number) => String.fromCharCode(...b.subarray(at, at + 4));
  const brands = [brand(8)];
  for (let at = 16; at + 4 <= boxEnd; at += 4) brands.push(brand(at));
  return brands;
}

const HEIC_BRANDS = ['heic', 'heix', 'heim', 'heis', 'hevc', 'hevx', 'hevm', 'hevs', 'mif1', 'msf1'];

/** Formats people send by mistake, named so that the error says what arrived. */
function otherFormat(b: Uint8Array): string | undefined {
  const brands = isoBrands(b);
  if (brands.length > 0) return `an ISO media file of brand '${brands[0]}' (a video?)`;
  // A BOM or white space may come before the first tag.
  let at = b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? 3 : 0;
  while (at < b.length && at < 1024 && (b[at] === 0x20 || b[at] === 0x09 || b[at] === 0x0a || b[at] === 0x0d))
    at++;
  if (b[at] === 0x3c) return 'text (HTML or SVG?)';
  return undefined;
}

function severalPages(pages: number, kind: string): HcrError {
  return new HcrError(
    'SEVERAL_PAGES',
    `The ${kind} has ${pages} pages, and one image is read at a time: which page is meant is not said.`,
    { hint: `Name the page to read: \`page\` in the limits, from 1 to ${pages}.`, details: { pages } },
  );
}

/** A page asked of an image of `pages` pages: SEVERAL_PAGES without one when there are several, BAD_PAGE past them. */
function checkPage(format: ImageFormat, page: number | undefined, pages: number): void {
  const kind = format.toUpperCase();
  if (page === undefined) {
    if (pages > 1) throw severalPages(pages, kind);
    return;
  }
  if (typeof page !== 'number')
    throw new HcrError('BAD_PAGE', `The page is ${JSON.stringify(page)}, not a number.`, {
      hint: `Name the page as a whole number from 1${pages > 1 ? ` to ${pages}` : ''} (page: 2, not '2').`,
    });
  if (Number.isInteger(page) && page >= 1 && page <= pages) return;
  throw new HcrError(
    'BAD_PAGE',
    pages === 1
      ? `Page ${page} is not in the image: a ${kind} has one page.`
      : `Page ${page} is not in the ${kind}, whose pages are 1 to ${pages}.`,
    {
      hint:
        pages === 1
          ? 'Name a page only for a PDF or a TIFF of several (page 1 of any other image is the image itself).'
          : `Name a page from 1 to ${pages}.`,
    },
  );
}

/** The pages of an image that is no PDF: a TIFF's (tiffPageCount); every other image has one. */
function imagePages(format: ImageFormat, bytes: Uint8Array): Promise<number> | number {
  return format === 'tiff' ? tiffPageCount(bytes) : 1;
}

/**
 * A TIFF's pages (a fax of several): all of them when each is at least half the first page's size; 1 when a
 * smaller image rides along (the thumbnail or reduced copy some scanners add), which is read at its first page.
 * The sizes come from one walk of the file's directories (`tiffImageSizes`); a file whose directories cannot be
 * walked to the end (one cut short) is counted by sharp, its second image taken for the thumbnail if any is.
 */
async function tiffPageCount(bytes: Uint8Array): Promise<number> {
  const first = await sharp(bytes, { limitInputPixels: false })
    .metadata()
    .catch(() => undefined);
  const pages = first?.pages ?? 1;
  if (pages <= 1 || !first?.width || !first.height) return 1;
  const walked = tiffImageSizes(bytes);
  const sizes =
    walked?.length === pages
      ? walked.slice(1)
      : [
          await sharp(bytes, { page: 1, limitInputPixels: false })
            .metadata()
            .catch(() => undefined),
        ];
  for (const m of sizes)
    if (!m?.width || !m.height || m.width < first.width / 2 || m.height < first.height / 2) return 1;
  return pages;
}

/**
 * One page of a file, as hcr names it in its outputs and reads it in lists of files (`scan.pdf#page=2`, as a
 * URL fragment names a PDF's page).
 */
export function pageRef(file: string, page: number): string {
  return `${file}#page=${page}`;
}

/** A file name that may end in `#page=N`: the file and the page (undefined without the suffix). */
export function parsePageRef(ref: string): { file: string; page?: number } {
  const m = /^(.*)#page=([1-9][0-9]*)$/.exec(ref);
  return m ? { file: m[1]!, page: Number(m[2]) } : { file: ref };
}

/**
 * How many pages to read in a file: a PDF's page count, a TIFF's (a fax of several), 1 for any other image (a
 * GIF is read at its first frame). Bytes that are no image throw IMAGE_UNDECODABLE, as decodeImage does.
 */
export async function documentPages(bytes: Uint8Array): Promise<number> {
  const format = checkFormat(bytes);
  return format === 'pdf' ? pdfPageCount(bytes) : imagePages(format, bytes);
}

/** The error for a decompression bomb or a huge photo, with its size read from the header. */
async function tooLarge(bytes: Uint8Array, page: number, limit: number, cause: unknown): Promise<HcrError> {
  const meta = await sharp(bytes, { limitInputPixels: false, page })
    .metadata()
    .catch(() => undefined);
  return tooLargeError(meta?.width && meta.height ? meta : undefined, limit, cause);
}

function tooLargeError(
  size: { width: number; height: number } | undefined,
  limit: number,
  cause?: unknown,
): HcrError {
  const text = size ? sizeText(size) : 'larger than allowed';
  return new HcrError('IMAGE_TOO_LARGE', `The image is ${text}, over the limit of ${pixelCount(limit)}.`, {
    hint: 'Crop the photo to the character or field, or scale it down (neither needs more than a megapixel or two).',
    cause,
  });
}

/** The error for a PDF holding a picture too large to decode (its page would be drawn within the limit). */
function pdfPictureTooLarge(picture: { width: number; height: number }, limit: number): HcrError {
  return new HcrError(
    'IMAGE_TOO_LARGE',
    `The PDF holds a picture of ${sizeText(picture)}, over the limit of ${pixelCount(limit)} for a picture in a PDF (${PDF_PICTURE_LIMIT_FACTOR}x the limit for an image).`,
    {
      hint: 'Scan the page at 300 dpi (an A4 page is then 8.7 megapixels), or send the page as a PNG or TIFF within the limit.',
    },
  );
}

const sizeText = (size: { width: number; height: number }) =>
  `${size.width}x${size.height} = ${pixelCount(size.width * size.height)}`;

/** A pixel count as people read it: megapixels to one decimal, or the count itself under 0.1 megapixel. */
const pixelCount = (n: number) =>
  n >= 100_000 ? `${(n / 1e6).toFixed(1)} megapixels` : `${n.toLocaleString('en-US')} pixels`;
