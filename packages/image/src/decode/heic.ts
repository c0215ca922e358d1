import { HcrError } from '@hcr/core';

/**
 * HEIC, what iPhones (and many Android phones) save photos as. sharp's libvips build lacks HEVC, so HEIC is
 * decoded with heic-decode: libheif compiled to WebAssembly, an optional dependency of @hcr/image loaded on the
 * first HEIC. libheif applies the file's own rotation and mirroring (irot/imir), so the pixels come out upright.
 */

/** One image of a HEIF file as heic-decode lists it: its size is known before its pixels are decoded. */
interface HeifImage {
  width: number;
  height: number;
  decode(): Promise<{ width: number; height: number; data: Uint8ClampedArray }>;
}
type DecodeAll = (input: { buffer: Uint8Array }) => Promise<HeifImage[] & { dispose?: () => void }>;

interface HeicErrors {
  tooLarge: (size: { width: number; height: number }) => Error;
  corrupt: (problem: string, cause: unknown) => Error;
}

let decodeAll: Promise<DecodeAll> | undefined;

function loadDecoder(): Promise<DecodeAll> {
  decodeAll ??= import('heic-decode').then(
    (m) => (m.default as unknown as { all: DecodeAll }).all,
    (e: unknown) => {
      decodeAll = undefined;
      throw new HcrError(
        'IMAGE_UNDECODABLE',
        'The image is HEIC, and the HEIC decoder (the optional package heic-decode) is not installed here.',
        {
          hint: "Install it beside hcr (npm i heic-decode@2.1.0), or send JPEG (on an iPhone: Settings > Camera > Formats > 'Most Compatible').",
          cause: e,
        },
      );
    },
  );
  return decodeAll;
}

/**
 * libheif's JavaScript glue reports a corrupt file on console.log ("Could not parse HEIF file ...") as well as
 * failing, which would put stray lines in a server's structured log: while a HEIC is decoded, those lines (by
 * their exact openings) are dropped, and every other line goes through.
 */
const LIBHEIF_LINES =
  /^(Could not parse HEIF file|Decoding image failed|Could not create HEIF context|Error loading image ids|No images found|Could not get image data for id)/;
let decoding = 0;
let consoleLog: typeof console.log | undefined;

async function quietly<T>(work: () => Promise<T>): Promise<T> {
  if (decoding++ === 0) {
    const log = console.log;
    consoleLog = log;
    console.log = (...args: unknown[]) => {
      if (!(typeof args[0] === 'string' && LIBHEIF_LINES.test(args[0]))) log(...args);
    };
  }
  try {
    return await work();
  } finally {
    if (--decoding === 0 && consoleLog) console.log = consoleLog;
  }
}

/**
 * The RGBA pixels of a HEIC file's primary image. `tooLarge` is thrown, from the size in the file's header,
 * before any pixel is decoded (a decompression bomb stops there); `corrupt` wraps the decoder's own errors.
 */
export async function decodeHeicPixels(
  bytes: Uint8Array,
  maxInputPixels: number,
  errors: HeicErrors,
): Promise<{ data: Buffer; width: number; height: number; channels: 4 }> {
  const decodeHeif = await loadDecoder();
  return quietly(() => decodePrimary(decodeHeif, bytes, maxInputPixels, errors));
}

async function decodePrimary(
  decodeHeif: DecodeAll,
  bytes: Uint8Array,
  maxInputPixels: number,
  errors: HeicErrors,
): Promise<{ data: Buffer; width: number; height: number; channels: 4 }> {
  let images: Awaited<ReturnType<DecodeAll>>;
  try {
    images = await decodeHeif({ buffer: bytes });
  } catch (e) {
    throw errors.corrupt(`The HEIC image cannot be read (${(e as Error).message}): is it truncated?`, e);
  }
  try {
    const primary = images[0];
    if (!primary) throw errors.corrupt('The HEIC file holds no image.', undefined);
    if (primary.width * primary.height > maxInputPixels) throw errors.tooLarge(primary);
    let pixels: Awaited<ReturnType<HeifImage['decode']>>;
    try {
      pixels = await primary.decode();
    } catch (e) {
      throw errors.corrupt(`The HEIC image cannot be decoded (${(e as Error).message}): is it truncated?`, e);
    }
    const { buffer, byteOffset, byteLength } = pixels.data;
    return {
      data: Buffer.from(buffer, byteOffset, byteLength),
      width: pixels.width,
      height: pixels.height,
      channels: 4,
    };
  } finally {
    images.dispose?.();
  }
}
