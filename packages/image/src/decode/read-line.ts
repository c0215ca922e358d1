import { HcrError } from '@hcr/core';
import sharp from 'sharp';
import { histogram, histogramPercentile } from '../filters.js';
import { checkImageSize } from '../grey.js';
import { noInk, preprocessLine, WORK_HEIGHT } from '../preprocess.js';
import { rotateGrey, unrotateBox } from '../skew.js';
import { contentWithinEmptyMargins, paperWithinBorder } from '../surround.js';
import { findTextLines, MAX_TEXT_LINES, type TextLineBox, type TextLines } from '../text-lines.js';
import {
  type GreyImage,
  LINE_MARGIN,
  LINE_MAX_WIDTH,
  type LineImage,
  type LinePreprocessOptions,
} from '../types.js';
import { checkWholeLimit, DEFAULT_DECODE_LIMITS, decodeImage, definedLimits } from './decode.js';

/**
 * Images lower than this are enlarged before preprocessing (to ENLARGED_HEIGHT, Lanczos): flattening, the ink
 * threshold and stroke finding need a few pixels per stroke, and a field scanned or sent small has one or two.
 */
const ENLARGE_BELOW = 32;
const ENLARGED_HEIGHT = 64;
/**
 * A band whose heaviest rival row (`LineImage.rival`) weighs under this share of it is the field, though other
 * rows spread over the image: a name photographed with its form's printed rows (at 2x, 3x and 4x the dev crops'
 * size 13, 16 and 17 of 466 names were refused as notes, now 3 each), where the lines of a note weigh alike (100
 * of 120 notes of stacked cheque amounts have a rival of 0.5 or more).
 */
const CLEAR_BAND = 0.5;
/**
 * Ink narrower than this (pixels at the reader's height, its 26-px band) is a mark, not a field: a band whose
 * clean-up left only a dash or a speck outweighed no row of writing, however light its rivals looked before it.
 * Cheque amounts pasted apart on a page kept such a band and read as "" at 96% instead of SEVERAL_LINES.
 */
const MARK_WIDTH = 12;

/** A line ready for the reader: `height` (32) rows of `width` bytes, ink bright on 0. */
export interface PreparedLine {
  width: number;
  height: number;
  pixels: Uint8Array;
  /** The image as received (after EXIF rotation and the working-size shrink). */
  source: { format: string; width: number; height: number };
}

export interface LineLimits {
  /** Largest width x height accepted before decoding (decompression bombs stop here). */
  maxInputPixels: number;
  /**
   * The decoded image is shrunk so its longer side is at most this. A line needs far more than the
   * 192 px a character gets: its ink band ends up 32 px high, and the band can be a third of a form crop.
   */
  workingSize: number;
  /** Widest normalised line (pixels at the reader's height of 32): about 100 characters. */
  maxWidth: number;
  /** The page of a PDF or TIFF to read, from 1 (a file of several pages without one is SEVERAL_PAGES). */
  page?: number;
}

export const DEFAULT_LINE_LIMITS: LineLimits = Object.freeze({
  maxInputPixels: DEFAULT_DECODE_LIMITS.maxInputPixels,
  workingSize: 2048,
  maxWidth: LINE_MAX_WIDTH,
});

/**
 * Encoded image (PNG/JPEG/WebP) -> a 32-px high line, with `preprocessLine` from @hcr/image (the same
 * code that prepares training and evaluation lines; it refuses 1x1 thumbnails, 20000x40 strips, blank
 * and uniform images and too-wide lines with errors naming the fix; lines spread over the image are SEVERAL_LINES,
 * for `prepareTextLines`). Decoding is the character path's
 * `decodeImage` (signature sniffing, pixel limit before decoding, EXIF rotation) at a line's working size.
 */
export async function prepareLineImage(
  bytes: Uint8Array,
  limits: Partial<LineLimits> = {},
): Promise<PreparedTextLine> {
  const { grey, options, place, sent } = await decodeLine(bytes, limits, true);
  let line: LineImage | undefined;
  try {
    line = preprocessLine(grey, options);
  } catch (e) {
    if (!(e instanceof HcrError && e.code === 'NO_INK')) throw e;
  }
  if (line && !smallIn(line.crop, grey)) return place(line, line.crop, line.skew);
  // No writing found at preprocessLine's working scale, or a band a few pixels high there: a field photographed
  // on a whole sheet is found with findTextLines and cut out, to be read at its own scale. Lines spread over the
  // image (a note, a page) are no one field: SEVERAL_LINES, rather than one of them read as if it were all.
  const cut = cutOut(grey, options, place);
  if (cut.line) return cut.line;
  // A band that outweighs every other row twice over (a name among its form's printed rows) is still the field,
  // if what is left of it after clean-up is writing and not a mark.
  if (line && cut.lines > 1 && line.rival < CLEAR_BAND && line.width - 2 * LINE_MARGIN >= MARK_WIDTH)
    return place(line, line.crop, line.skew);
  if (cut.lines > 1)
    throw new HcrError(
      'SEVERAL_LINES',
      `The ${sent.width}x${sent.height} image holds ${cut.lines} lines of writing spread over it, not one line or field.`,
      {
        hint: 'Prepare every line with prepareTextLines, or crop the image to the one field.',
        details: { lines: cut.lines },
      },
    );
  if (line) return place(line, line.crop, line.skew);
  // The size as sent, not the size read at (a 16x16 image is enlarged to 64x64).
  throw noInk(sent);
}

/**
 * The writing `findTextLines` finds in the image, cut out and prepared when it is small in it: its one line, or the
 * box around its lines (a form's field with its printed label, read as such a crop is); and how many lines it found.
 */
function cutOut(
  grey: GreyImage,
  options: LinePreprocessOptions,
  place: Placer,
): { line?: PreparedTextLine; lines: number } {
  // Any number of lines: more than one is still a field to cut out, not an error of this image.
  const found = findTextLines(grey, {
    maxLines: Number.POSITIVE_INFINITY,
    ...(options.polarity ? { polarity: options.polarity } : {}),
  });
  const lines = found.lines.length;
  if (lines === 0) return { lines };
  const x0 = Math.min(...found.lines.map((b) => b.x));
  const y0 = Math.min(...found.lines.map((b) => b.y));
  const x1 = Math.max(...found.lines.map((b) => b.x + b.width));
  const y1 = Math.max(...found.lines.map((b) => b.y + b.height));
  const around = { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
  if (lines > 1 && !smallIn(around, grey)) return { lines };
  return { line: linesOfPage(grey, { ...found, lines: [around] }, options, place)[0], lines };
}

/** A line prepared from an image, with where its writing lay in it. */
export interface PreparedTextLine extends PreparedLine {
  /** The box around the line's writing in the pixels of the image as sent (after EXIF rotation). */
  box: TextLineBox;
  /**
   * Degrees the writing leaned (positive: falling to the right) and was turned back before reading; 0 when
   * it lay flat. For a page, its own lean plus what its line still leaned once the page was turned.
   */
  skew: number;
}

/** How the lines of a page are found (`findTextLines`): see its options. */
export interface TextLinesOptions {
  /** More lines than this is TOO_MANY_LINES. Default MAX_TEXT_LINES (64). */
  maxLines?: number;
  /** Find the lines of a page leaning 2-15 degrees on the page turned flat. Default true. */
  deskew?: boolean;
  /** Read columns side by side one after another; false reads every row across the page. Default true. */
  columns?: boolean;
}

/**
 * Encoded image of several lines of writing (a note, an address, a multi-line field) -> one prepared line per
 * line of writing, top to bottom (`findTextLines`, then `preprocessLine` on each line's crop). An image with
 * one line gives what `prepareLineImage` gives, so a single field reads the same either way. Errors as
 * prepareLineImage's, and TOO_MANY_LINES past `maxLines` (default MAX_TEXT_LINES, 64).
 */
export async function prepareTextLines(
  bytes: Uint8Array,
  limits: Partial<LineLimits> & TextLinesOptions = {},
): Promise<PreparedTextLine[]> {
  const { grey, options, place, sent } = await decodeLine(bytes, limits);
  const found = findTextLines(grey, {
    maxLines: limits.maxLines ?? MAX_TEXT_LINES,
    deskew: limits.deskew ?? true,
    columns: limits.columns ?? true,
    ...(options.polarity ? { polarity: options.polarity } : {}),
  });
  // One line filling the image is read as prepareLineImage reads it; one small on a large image is cut out first.
  const [only] = found.lines;
  if (found.lines.length === 0 || (found.lines.length === 1 && !smallIn(only!, grey))) {
    let line: LineImage;
    try {
      line = preprocessLine(grey, options);
    } catch (e) {
      throw e instanceof HcrError && e.code === 'NO_INK' ? noInk(sent) : e;
    }
    return [place(line, line.crop, line.skew)];
  }
  const lines = linesOfPage(grey, found, options, place);
  if (lines.length === 0) throw noInk(sent);
  return lines;
}

/**
 * A line too small in its image for preprocessLine's working height (it would be under a quarter of it, a few
 * pixels per stroke): a field photographed on a whole sheet.
 */
function smallIn(box: TextLineBox, img: GreyImage): boolean {
  return img.height > WORK_HEIGHT && 4 * box.height < img.height;
}

/** Each line found on a page cut out and preprocessed, in the order found; lines with no ink left are dropped. */
function linesOfPage(
  grey: GreyImage,
  { lines: boxes, polarity, skew }: TextLines,
  options: LinePreprocessOptions,
  place: Placer,
): PreparedTextLine[] {
  // A page found askew is cut into lines turned flat; each box is reported around its line in the image.
  const page = skew ? turnedPage(grey, skew) : grey;
  const toPage = (b: TextLineBox) => (skew ? unrotateBox(b, page, grey.width, grey.height, -skew) : b);
  const lines: PreparedTextLine[] = [];
  for (const box of boxes) {
    try {
      const line = preprocessLine(cropGrey(page, box), { ...options, polarity });
      lines.push(place(line, toPage(box), skew + line.skew));
    } catch (e) {
      // A row of specks the segmenter kept reads as no line at all; any other problem is the caller's.
      if (!(e instanceof HcrError && e.code === 'NO_INK')) throw e;
    }
  }
  return lines;
}

type Placer = Awaited<ReturnType<typeof decodeLine>>['place'];

/** A box in the decoded (working-size) pixels -> the same box in the pixels of the image as sent. */
function sentBox(
  b: TextLineBox,
  scale: { x: number; y: number },
  sent: { width: number; height: number },
): TextLineBox {
  const x = Math.floor(b.x * scale.x);
  const y = Math.floor(b.y * scale.y);
  return {
    x,
    y,
    width: Math.min(sent.width, Math.ceil((b.x + b.width) * scale.x)) - x,
    height: Math.min(sent.height, Math.ceil((b.y + b.height) * scale.y)) - y,
  };
}

/**
 * Decodes at a line's working size and checks the size as sent; the options preprocessLine needs, and `place`:
 * a preprocessed line with its box (in the decoded pixels) given in the pixels of the image as sent. `oneField`:
 * the image is one field, so one pasted on an empty page is cut out of it (a page's lines are found on the page
 * as it is: findTextLines cuts each out with paper around it).
 */
async function decodeLine(bytes: Uint8Array, limits: Partial<LineLimits>, oneField = false) {
  const lim = { ...DEFAULT_LINE_LIMITS, ...definedLimits(limits) };
  // Checked here too, so that the hint names a line's defaults (decodeImage's are a character's).
  checkWholeLimit('maxInputPixels', lim.maxInputPixels, DEFAULT_LINE_LIMITS.maxInputPixels);
  checkWholeLimit('workingSize', lim.workingSize, DEFAULT_LINE_LIMITS.workingSize);
  const img = await decodeImage(bytes, {
    maxInputPixels: lim.maxInputPixels,
    workingSize: lim.workingSize,
    page: lim.page,
  });
  // The size rules on the size the user sent (a 20000x40 strip arrives here shrunk to 2048x4).
  checkImageSize(img.originalWidth, img.originalHeight);
  const decoded: GreyImage = { width: img.width, height: img.height, data: img.values, channels: 1 };
  // A field on a desk or a page of another tone, or pasted on an empty page of its own: only its paper is read
  // (a cut-out's alpha has no such border).
  const paper =
    img.kind === 'grey'
      ? (paperWithinBorder(decoded) ?? (oneField ? contentWithinEmptyMargins(decoded) : undefined))
      : undefined;
  const grey = await enlargedIfLow(paper ? cropGrey(decoded, paper) : decoded, lim.workingSize);
  const options: LinePreprocessOptions = {
    maxWidth: lim.maxWidth,
    // A cut-out's values are its opacity: ink bright.
    ...(img.kind === 'alpha' ? { polarity: 'light-on-dark' as const } : {}),
  };
  const source = { format: img.format, width: img.width, height: img.height };
  const sent = { width: img.originalWidth, height: img.originalHeight };
  // A box in `grey` -> the same box in the decoded image, of which grey is the paper cut out, or the whole (either
  // maybe enlarged).
  const crop = paper ?? { x: 0, y: 0, width: img.width, height: img.height };
  const inDecoded = (b: TextLineBox): TextLineBox => {
    const k = { x: crop.width / grey.width, y: crop.height / grey.height };
    return { x: crop.x + b.x * k.x, y: crop.y + b.y * k.y, width: b.width * k.x, height: b.height * k.y };
  };
  const toSent = { x: sent.width / img.width, y: sent.height / img.height };
  const place = (
    line: { width: number; height: number; pixels: Uint8Array },
    box: TextLineBox,
    skew: number,
  ): PreparedTextLine => ({
    width: line.width,
    height: line.height,
    pixels: line.pixels,
    source,
    box: sentBox(inDecoded(box), toSent, sent),
    skew,
  });
  return { grey, options, place, sent };
}

/** An image lower than ENLARGE_BELOW enlarged to ENLARGED_HEIGHT (its longer side kept within `maxSide`). */
async function enlargedIfLow(img: GreyImage, maxSide: number): Promise<GreyImage> {
  if (img.height >= ENLARGE_BELOW) return img;
  const factor = Math.min(ENLARGED_HEIGHT / img.height, maxSide / img.width);
  if (factor <= 1) return img;
  const width = Math.max(1, Math.round(img.width * factor));
  const height = Math.max(1, Math.round(img.height * factor));
  const values = Buffer.from(Uint8Array.from(img.data as ArrayLike<number>, (v) => Math.round(v)));
  const out = await sharp(values, { raw: { width: img.width, height: img.height, channels: 1 } })
    .resize(width, height, { kernel: 'lanczos3', fit: 'fill' })
    .extractChannel(0)
    .raw()
    .toBuffer();
  return { width, height, data: Float32Array.from(out), channels: 1 };
}

/** The page turned by -skew degrees (flat), the corners it uncovers its median grey. */
function turnedPage(img: GreyImage, skew: number): GreyImage {
  const grey = img.data as Float32Array;
  const paper = histogramPercentile(histogram(grey), grey.length, 0.5);
  const r = rotateGrey(grey, img.width, img.height, -skew, paper);
  return { width: r.width, height: r.height, data: r.grey, channels: 1 };
}

/** A box of a one-channel image, copied. */
function cropGrey(img: GreyImage, box: TextLineBox): GreyImage {
  const data = new Float32Array(box.width * box.height);
  for (let y = 0; y < box.height; y++) {
    const from = (box.y + y) * img.width + box.x;
    data.set(img.data.subarray(from, from + box.width), y * box.width);
  }
  return { width: box.width, height: box.height, data, channels: 1 };
}
