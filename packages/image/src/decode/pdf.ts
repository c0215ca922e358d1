import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { HcrError } from '@hcr/core';

/**
 * PDF, what document scanners and scanning apps write: a page is rendered with pdf.js (pdfjs-dist, an optional
 * peer of @hcr/image, loaded on the first PDF: 70 MB with the @napi-rs/canvas it draws with, which the `hcr` CLI
 * brings and a serving-only install leaves out). A scanned page is rendered at the resolution its scan was
 * made at (its largest picture's pixels over the inches it covers, 100 to 600 dpi), so small writing keeps
 * every pixel it was scanned with; a page without pictures (drawn in a tablet app) at PDF_DPI. Either is
 * lowered when the page would pass the pixel limit. Scripts in the file never run (pdf.js runs none, and
 * `eval` is off for fonts).
 */
export const PDF_DPI = 200;
const SCAN_DPI_RANGE = [100, 600] as const;

/**
 * A picture inside a PDF may hold up to this many times the pixel limit: its page is drawn within the limit (a
 * 600-dpi A4 scan, 35 megapixels, is drawn at 25), but pdf.js decodes every picture whole before drawing it (a
 * 1 MB PDF holding a 14000x14000 JPEG took 58 s and 3 GB to draw).
 */
export const PDF_PICTURE_LIMIT_FACTOR = 2;

type Pdfjs = typeof import('pdfjs-dist/legacy/build/pdf.mjs');
type PdfDocument = Awaited<ReturnType<Pdfjs['getDocument']>['promise']>;

let pdfjs: Promise<Pdfjs> | undefined;
/** pdf.js' worker module (a name in a constant: pdfjs-dist ships no types for it, and pdf.js reads one export). */
const PDFJS_WORKER = 'pdfjs-dist/legacy/build/pdf.worker.mjs';

function loadPdfjs(): Promise<Pdfjs> {
  // pdf.js parses documents in its worker module, run in this thread (a "fake worker") and imported on the first
  // document. Importing it beside the library instead, and handing it over as `globalThis.pdfjsWorker` (pdf.js'
  // own hook), overlaps the two loads: the first PDF's load fell from about 1.8 s to 1.5 s here.
  pdfjs ??= Promise.all([
    import('pdfjs-dist/legacy/build/pdf.mjs'),
    import(PDFJS_WORKER) as Promise<{ WorkerMessageHandler: unknown }>,
  ]).then(
    ([lib, worker]) => {
      (globalThis as { pdfjsWorker?: unknown }).pdfjsWorker ??= worker;
      return lib;
    },
    (e: unknown) => {
      pdfjs = undefined;
      throw new HcrError(
        'IMAGE_UNDECODABLE',
        'The file is a PDF, and the PDF renderer (the optional package pdfjs-dist) is not installed here.',
        {
          hint: 'Install it beside hcr (npm i pdfjs-dist@5.4.624), or export the page as PNG or TIFF.',
          cause: e,
        },
      );
    },
  );
  return pdfjs;
}

/** pdf.js' fonts for PDFs that name a standard font without embedding it (printed form labels). */
function standardFontDataUrl(): string | undefined {
  try {
    const pkg = createRequire(import.meta.url).resolve('pdfjs-dist/package.json');
    return `${join(dirname(pkg), 'standard_fonts')}/`;
  } catch {
    return undefined;
  }
}

function badPdf(problem: string, cause?: unknown): HcrError {
  return new HcrError('IMAGE_UNDECODABLE', problem, {
    hint: 'Send a complete, unencrypted PDF, or export the page as PNG or TIFF.',
    cause,
  });
}

/**
 * The largest picture in a PDF by the /Width and /Height of its dictionary, read without decoding anything:
 * a picture is a stream, and streams never sit inside compressed object streams, so every picture's
 * dictionary is in the file as text. A size given by reference is not seen here (pdf.js' `maxImageSize`
 * leaves such a picture out instead).
 */
export function largestPdfPicture(bytes: Uint8Array): { width: number; height: number } | undefined {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  let largest: { width: number; height: number } | undefined;
  for (const m of text.matchAll(/\/Subtype\s*\/Image\b/g)) {
    // The dictionary lies between its object's `obj` (or the previous `endobj`) and its `stream`.
    const from = Math.max(text.lastIndexOf('obj', m.index), m.index - 4096);
    const ends = [text.indexOf('stream', m.index), text.indexOf('obj', m.index), m.index + 4096];
    const dict = text.slice(from, Math.min(...ends.filter((i) => i >= 0)));
    const width = Number(/\/Width\s+(\d+)(?!\s+\d+\s+R)/.exec(dict)?.[1]);
    const height = Number(/\/Height\s+(\d+)(?!\s+\d+\s+R)/.exec(dict)?.[1]);
    if (width > 0 && height > 0 && (!largest || width * height > largest.width * largest.height))
      largest = { width, height };
  }
  return largest;
}

/** Opens a PDF (a copy of its bytes: pdf.js takes over the buffer it is given), runs `use`, closes it. */
async function withPdf<T>(
  bytes: Uint8Array,
  use: (doc: PdfDocument) => Promise<T>,
  maxPicturePixels = -1,
): Promise<T> {
  const lib = await loadPdfjs();
  const task = lib.getDocument({
    data: new Uint8Array(bytes),
    maxImageSize: maxPicturePixels,
    isEvalSupported: false,
    standardFontDataUrl: standardFontDataUrl(),
    verbosity: lib.VerbosityLevel.ERRORS,
  });
  let doc: PdfDocument;
  try {
    doc = await task.promise;
  } catch (e) {
    await task.destroy();
    const name = (e as Error).name;
    if (name === 'PasswordException')
      throw badPdf('The PDF is protected by a password, which hcr cannot open.', e);
    throw badPdf(`The PDF cannot be read (${(e as Error).message}): is it truncated?`, e);
  }
  try {
    return await use(doc);
  } finally {
    await task.destroy();
  }
}

/** The canvas pdf.js' factory makes (its @napi-rs/canvas), as far as hcr uses it. */
interface PageCanvas {
  canvas: unknown;
  context: { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } };
}

type PdfPage = Awaited<ReturnType<PdfDocument['getPage']>>;
type OperatorList = Awaited<ReturnType<PdfPage['getOperatorList']>>;

/** Raw pixels of a page: as drawn (RGBA), or a scan's own picture (grey or RGB). */
export interface PdfPagePixels {
  data: Buffer;
  width: number;
  height: number;
  channels: 1 | 3 | 4;
}

/** A picture a page paints: its operator, the operator's arguments, and the transform it is painted under. */
interface PaintedPicture {
  fn: number;
  args: unknown[];
  ctm: number[];
  /** Painted by a form XObject, whose bounding box may clip it. */
  inForm: boolean;
}

/** Text rendering mode 3: glyphs that paint nothing (the OCR layer a scanner lays over its scan, to search it). */
const INVISIBLE_TEXT = 3;

/**
 * What a page paints, from its operator list: its pictures, each with the transform in force (the content's
 * transforms followed through save and restore, and into form XObjects), and whether it paints anything else.
 * State that paints nothing by itself (text positioning, fonts, colours, marked content) and text in the
 * invisible mode are not "anything else": a searchable scan is still only its scan.
 */
async function pageContent(ops: OperatorList): Promise<{ pictures: PaintedPicture[]; more: boolean }> {
  const { OPS, Util } = await loadPdfjs();
  const pictureOps = new Set<number>([
    OPS.paintImageXObject,
    OPS.paintInlineImageXObject,
    OPS.paintImageMaskXObject,
  ]);
  const paintsNothing = new Set<number>(
    (
      [
        'dependency',
        'beginText',
        'endText',
        'setCharSpacing',
        'setWordSpacing',
        'setHScale',
        'setLeading',
        'setFont',
        'setTextRise',
        'moveText',
        'setLeadingMoveText',
        'setTextMatrix',
        'nextLine',
        'setFillColorSpace',
        'setFillColor',
        'setFillColorN',
        'setFillGray',
        'setFillRGBColor',
        'setFillCMYKColor',
        'setStrokeColorSpace',
        'setStrokeColor',
        'setStrokeColorN',
        'setStrokeGray',
        'setStrokeRGBColor',
        'setStrokeCMYKColor',
        'markPoint',
        'markPointProps',
        'beginMarkedContent',
        'beginMarkedContentProps',
        'endMarkedContent',
      ] as const
    ).map((name) => OPS[name]),
  );
  const showText = new Set<number>([
    OPS.showText,
    OPS.showSpacedText,
    OPS.nextLineShowText,
    OPS.nextLineSetSpacingShowText,
  ]);
  // the graphics state the content changes and saves: transform, text mode, and whether inside a form
  let state = { ctm: [1, 0, 0, 1, 0, 0], textMode: 0, inForm: false };
  const saved: (typeof state)[] = [];
  const pictures: PaintedPicture[] = [];
  let more = false;
  for (let i = 0; i < ops.fnArray.length; i++) {
    const fn = ops.fnArray[i]!;
    const args = ops.argsArray[i] as unknown[];
    if (fn === OPS.save) saved.push(state);
    else if (fn === OPS.restore || fn === OPS.paintFormXObjectEnd) state = saved.pop() ?? state;
    else if (fn === OPS.transform) state = { ...state, ctm: Util.transform(state.ctm, args as number[]) };
    else if (fn === OPS.paintFormXObjectBegin) {
      saved.push(state);
      const matrix = args[0] as number[] | null;
      state = { ...state, ctm: matrix ? Util.transform(state.ctm, matrix) : state.ctm, inForm: true };
    } else if (fn === OPS.setTextRenderingMode) state = { ...state, textMode: args[0] as number };
    else if (pictureOps.has(fn)) pictures.push({ fn, args, ctm: state.ctm, inForm: state.inForm });
    else if (showText.has(fn) ? state.textMode !== INVISIBLE_TEXT : !paintsNothing.has(fn)) more = true;
  }
  return { pictures, more };
}

/**
 * The resolution of a page's largest picture, in dots per inch: its width in pixels over the width it is drawn
 * at, or undefined on a page without pictures.
 */
async function scanDpi(pictures: readonly PaintedPicture[]): Promise<number | undefined> {
  const { OPS } = await loadPdfjs();
  let largest: { area: number; dpi: number } | undefined;
  for (const { fn, args, ctm } of pictures) {
    // [objId, width, height] for an image object; the image's data (width, height, ...) for the others.
    const image = fn === OPS.paintImageXObject ? { width: args[1], height: args[2] } : (args[0] as object);
    const { width, height } = image as { width?: unknown; height?: unknown };
    if (typeof width !== 'number' || typeof height !== 'number') continue;
    // The picture fills the unit square mapped by the transform: its drawn width is the image x axis' length.
    const drawnInches = Math.hypot(ctm[0]!, ctm[1]!) / 72;
    const area = width * height;
    if (drawnInches > 0 && (!largest || area > largest.area)) largest = { area, dpi: width / drawnInches };
  }
  return largest?.dpi;
}

/**
 * A page that is one scan and nothing else, the scan covering the page at the size the page would be drawn at: the
 * scan's own pixels, which pdf.js has decoded for the operator list already. Drawing them onto a canvas of the same
 * size gives the same picture, and took about 0.7 of the 1.3 s an A4 page at 300 dpi costs. An invisible OCR text
 * layer over the scan (a searchable PDF) paints nothing and is no obstacle; anything else on the page (visible
 * text, paths, a mask, a second picture), a scan with transparency (drawn on white paper), a turned page, or a
 * scan drawn at another size is drawn (undefined).
 */
async function wholePageScan(
  page: PdfPage,
  content: { pictures: readonly PaintedPicture[]; more: boolean },
  width: number,
  height: number,
): Promise<PdfPagePixels | undefined> {
  const { OPS, ImageKind } = await loadPdfjs();
  const [picture] = content.pictures;
  if (page.rotate % 360 !== 0 || content.more || content.pictures.length !== 1) return undefined;
  // a form's bounding box may clip what it paints: such a scan is drawn
  if (picture!.fn !== OPS.paintImageXObject || picture!.inForm) return undefined;
  const scan = { id: String(picture!.args[0]), ctm: picture!.ctm };
  // The picture fills the unit square the transform maps: upright (its first row on top), over the whole page.
  const [a, b, c, d, e, f] = scan.ctm as [number, number, number, number, number, number];
  const [x0, y0, x1, y1] = page.view as [number, number, number, number];
  const near = (p: number, q: number) => Math.abs(p - q) <= 0.5;
  if (b !== 0 || c !== 0 || !near(a, x1 - x0) || !near(d, y1 - y0) || !near(e, x0) || !near(f, y0))
    return undefined;
  // pdf.js keeps a picture shared by several pages among the document's objects ("g_" ids); it may still be
  // decoding the picture when the operator list is ready, and hands it over when done (as it does to a render).
  const objects = (scan.id.startsWith('g_') ? page.commonObjs : page.objs) as unknown as {
    get(id: string, done: (image: unknown) => void): void;
  };
  type Decoded = { width?: number; height?: number; kind?: number; data?: Uint8Array | Uint8ClampedArray };
  const image = await new Promise<Decoded | null>((resolve) =>
    objects.get(scan.id, (x) => resolve(x as Decoded | null)),
  );
  if (!image) return undefined;
  const { width: w, height: h, kind, data } = image;
  if (!data || !w || !h || Math.abs(w - width) > 1 || Math.abs(h - height) > 1) return undefined;
  const bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (kind === ImageKind.RGB_24BPP && data.length === w * h * 3)
    return { data: bytes, width: w, height: h, channels: 3 };
  if (kind === ImageKind.GRAYSCALE_1BPP && data.length === Math.ceil(w / 8) * h) {
    // Rows of bits, each row from a new byte, the first pixel the highest bit; a set bit is white.
    const grey = Buffer.alloc(w * h);
    const row = Math.ceil(w / 8);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        grey[y * w + x] = (data[y * row + (x >> 3)]! >> (7 - (x & 7))) & 1 ? 255 : 0;
    return { data: grey, width: w, height: h, channels: 1 };
  }
  return undefined;
}

/** How many pages a PDF has. */
export function pdfPageCount(bytes: Uint8Array): Promise<number> {
  return withPdf(bytes, async (doc) => doc.numPages);
}

/**
 * One page of a PDF (from 1; without one, the first) as RGBA pixels on white paper, at its scan's resolution
 * (or PDF_DPI), lowered to stay within `maxInputPixels`. `checkPage` is given the page count once the PDF is
 * open, to refuse a page it lacks, or no page of several (the rule every file of pages follows). A PDF holding
 * a picture over PDF_PICTURE_LIMIT_FACTOR times `maxInputPixels` is refused before anything is decoded
 * (`tooLarge` makes the error).
 */
export function renderPdfPage(
  bytes: Uint8Array,
  page: number | undefined,
  maxInputPixels: number,
  checkPage: (pages: number) => void,
  tooLarge: (picture: { width: number; height: number }, limit: number) => Error,
): Promise<PdfPagePixels> {
  const maxPicturePixels = PDF_PICTURE_LIMIT_FACTOR * maxInputPixels;
  const picture = largestPdfPicture(bytes);
  if (picture && picture.width * picture.height > maxPicturePixels)
    return Promise.reject(tooLarge(picture, maxPicturePixels));
  return withPdf(
    bytes,
    async (doc) => {
      checkPage(doc.numPages);
      const number = page ?? 1;
      let pdfPage: PdfPage;
      try {
        pdfPage = await doc.getPage(number);
      } catch (e) {
        throw badPdf(`Page ${number} of the PDF cannot be read (${(e as Error).message}).`, e);
      }
      const points = pdfPage.getViewport({ scale: 1 });
      let ops: OperatorList;
      try {
        ops = await pdfPage.getOperatorList();
      } catch (e) {
        throw badPdf(`Page ${number} of the PDF cannot be drawn (${(e as Error).message}).`, e);
      }
      const content = await pageContent(ops);
      const dpi = (await scanDpi(content.pictures)) ?? PDF_DPI;
      const dpiScale = Math.min(Math.max(dpi, SCAN_DPI_RANGE[0]), SCAN_DPI_RANGE[1]) / 72;
      const fits = Math.sqrt(maxInputPixels / Math.max(1, points.width * points.height));
      const viewport = pdfPage.getViewport({ scale: Math.min(dpiScale, fits) });
      const width = Math.max(1, Math.floor(viewport.width));
      const height = Math.max(1, Math.floor(viewport.height));
      const scan = await wholePageScan(pdfPage, content, width, height);
      if (scan) return scan;
      // pdf.js' own canvas factory: its canvas package and the one that draws the paths must be the same build.
      const factory = doc.canvasFactory as { create(width: number, height: number): PageCanvas };
      const { canvas, context } = factory.create(width, height);
      type RenderParams = Parameters<typeof pdfPage.render>[0];
      try {
        await pdfPage.render({ canvas, canvasContext: context, viewport } as unknown as RenderParams).promise;
      } catch (e) {
        throw badPdf(`Page ${number} of the PDF cannot be drawn (${(e as Error).message}).`, e);
      }
      const { data } = context.getImageData(0, 0, width, height);
      return {
        data: Buffer.from(data.buffer, data.byteOffset, data.byteLength),
        width,
        height,
        channels: 4,
      };
    },
    maxPicturePixels,
  );
}
