import { readFile } from 'node:fs/promises';
import { decodeImage, encodeGreyPng, sniffImageFormat } from '@hcr/image/decode';

/** Formats that browsers (and the canvas the charts draw with) do not show in an image: TIFF, HEIC, PDF. */
const NOT_SHOWN = new Set(['tiff', 'heic', 'pdf']);

/** A real line's original file as the report shows it, or null when it cannot be read or decoded. */
export interface ShownOriginal {
  bytes: Buffer;
  /** The image/* subtype of `bytes`. */
  format: string;
}

/**
 * The original image of a real line (at `page` of a PDF or TIFF), in a format a browser and the charts' canvas
 * show: as it is, or, for TIFF, HEIC and a PDF's page, its decoded greys as PNG (at most 720 px a side: the report shows it 56 px high).
 */
export async function shownOriginal(file: string, page?: number): Promise<ShownOriginal | null> {
  const bytes = await readFile(file).catch(() => undefined);
  if (!bytes) return null;
  const format = sniffImageFormat(bytes);
  // decoded either way: a file that starts like a JPEG but is cut short (or is not an image at all) is no picture,
  // and as it is it would be a broken image on the page
  const decoded = await decodeImage(bytes, { workingSize: 720, page }).catch(() => undefined);
  if (!decoded) return null;
  if (format && !NOT_SHOWN.has(format)) return { bytes, format };
  // A cut-out's values are opacity (ink bright): shown as ink on paper.
  const paper = (v: number) => Math.round(decoded.kind === 'alpha' ? 255 - v : v);
  const png = await encodeGreyPng(Uint8Array.from(decoded.values, paper), decoded.width, decoded.height);
  return { bytes: png, format: 'png' };
}
