import {
  beginText,
  concatTransformationMatrix,
  drawObject,
  endText,
  moveText,
  PDFDocument,
  popGraphicsState,
  pushGraphicsState,
  rgb,
  StandardFonts,
  setFontAndSize,
  setTextRenderingMode,
  showText,
  TextRenderingMode,
} from 'pdf-lib';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeImage, documentPages, PDF_DPI, prepareLineImage } from '../src/decode/index.js';
import { renderPdfPage } from '../src/decode/pdf.js';

/** A 300x60 scan: pale paper, three upright strokes and a bar, as PNG. */
async function scanPng(): Promise<Buffer> {
  const width = 300;
  const height = 60;
  const grey = Buffer.alloc(width * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const ink = (x % 70 < 6 && y > 12 && y < 48) || (y > 28 && y < 33 && x > 20 && x < 260);
      grey[y * width + x] = ink ? 30 : 225;
    }
  return sharp(grey, { raw: { width, height, channels: 1 } })
    .png()
    .toBuffer();
}

/** Points for `px` pixels at the renderer's resolution: a scan placed at its own size. */
const pt = (px: number) => (px * 72) / PDF_DPI;

/** A PDF as a scanning app writes it: one scan per page, each page the scan's size. */
async function scannedPdf(pages: number): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const scan = await doc.embedPng(await scanPng());
  for (let i = 0; i < pages; i++) {
    const page = doc.addPage([pt(300), pt(60 + 20 * i)]);
    page.drawImage(scan, { x: 0, y: pt(20 * i), width: pt(300), height: pt(60) });
  }
  return doc.save();
}

describe('PDF', () => {
  it('renders a scanned page at the resolution it was scanned at, to the greys of the scan itself', async () => {
    const png = await decodeImage(await scanPng(), { workingSize: 4096 });
    for (const dpi of [150, 300, 600]) {
      const doc = await PDFDocument.create();
      const scan = await doc.embedPng(await scanPng());
      // A 300x60 scan at `dpi`, on a page with a margin of half an inch, as a scanning app lays it out.
      const [w, h] = [(300 * 72) / dpi, (60 * 72) / dpi];
      doc.addPage([w + 72, h + 72]).drawImage(scan, { x: 36, y: 36, width: w, height: h });
      const pdf = await doc.save();
      const img = await decodeImage(pdf, { workingSize: 4096 });
      expect([img.format, img.width, img.height, img.kind], `${dpi} dpi`).toEqual([
        'pdf',
        300 + dpi,
        60 + dpi,
        'grey',
      ]);
      let sum = 0;
      const margin = dpi / 2;
      for (let y = 0; y < 60; y++)
        for (let x = 0; x < 300; x++)
          sum += Math.abs(img.values[(y + margin) * img.width + x + margin]! - png.values[y * 300 + x]!);
      expect(sum / (300 * 60), `${dpi} dpi`).toBeLessThan(6);
      expect(await documentPages(pdf)).toBe(1);
      expect((await prepareLineImage(pdf)).width).toBeGreaterThan(32);
    }
  });

  it('reads a page that is one scan from the scan itself, as drawing the page gives it', async () => {
    // A 600x200 scan at 300 dpi filling its page: as PNG (Flate), as JPEG, and as 1-bit (a fax-like scan).
    const [w, h] = [600, 200];
    const grey = Buffer.alloc(w * h);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        grey[y * w + x] = (x % 90 < 9 && y > 40 && y < 160) || (y > 95 && y < 104) ? 20 : 235;
    const bits = Buffer.alloc((w / 8) * h);
    for (let i = 0; i < w * h; i++) if (grey[i]! > 128) bits[(i / 8) | 0]! |= 0x80 >> (i % 8);
    const pts = [(w * 72) / 300, (h * 72) / 300] as const;
    /** The page; `overlay`: also an invisible mark on it, so that the page is drawn, not taken from the scan. */
    const pdfOf = async (kind: 'png' | 'jpeg' | 'bits', overlay: boolean) => {
      const doc = await PDFDocument.create();
      const page = doc.addPage([...pts]);
      const raw = sharp(grey, { raw: { width: w, height: h, channels: 1 } });
      if (kind === 'bits') {
        const stream = doc.context.flateStream(bits, {
          Type: 'XObject',
          Subtype: 'Image',
          Width: w,
          Height: h,
          ColorSpace: 'DeviceGray',
          BitsPerComponent: 1,
        });
        const name = page.node.newXObject('Scan', doc.context.register(stream));
        page.pushOperators(
          pushGraphicsState(),
          concatTransformationMatrix(pts[0], 0, 0, pts[1], 0, 0),
          drawObject(name),
          popGraphicsState(),
        );
      } else {
        const scan =
          kind === 'png'
            ? await doc.embedPng(await raw.png().toBuffer())
            : await doc.embedJpg(await raw.jpeg({ quality: 95 }).toBuffer());
        page.drawImage(scan, { x: 0, y: 0, width: pts[0], height: pts[1] });
      }
      if (overlay) page.drawRectangle({ x: 1, y: 1, width: 2, height: 2, color: rgb(1, 1, 1), opacity: 0 });
      return doc.save();
    };
    for (const kind of ['png', 'jpeg', 'bits'] as const) {
      const taken = await decodeImage(await pdfOf(kind, false), { workingSize: 4096 });
      const drawn = await decodeImage(await pdfOf(kind, true), { workingSize: 4096 });
      expect([taken.width, taken.height, taken.kind], kind).toEqual([w, h, 'grey']);
      expect(Math.abs(drawn.height - h), kind).toBeLessThanOrEqual(1);
      let sum = 0;
      for (let y = 0; y < h - 1; y++)
        for (let x = 0; x < w; x++)
          sum += Math.abs(taken.values[y * w + x]! - drawn.values[y * drawn.width + x]!);
      expect(sum / (w * (h - 1)), kind).toBeLessThan(1);
      // and the scan's own greys (JPEG's within its loss; 1-bit: black and white)
      let own = 0;
      for (let i = 0; i < w * h; i++)
        own += Math.abs(taken.values[i]! - (kind === 'bits' ? (grey[i]! > 128 ? 255 : 0) : grey[i]!));
      expect(own / (w * h), kind).toBeLessThan(kind === 'jpeg' ? 3 : 0.5);
    }
  });

  it('reads a searchable scan (an invisible OCR text layer over it) from the scan too; visible text is drawn', async () => {
    const [w, h] = [600, 200];
    const grey = Buffer.alloc(w * h);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) grey[y * w + x] = x % 90 < 9 && y > 40 && y < 160 ? 20 : 235;
    const png = await sharp(grey, { raw: { width: w, height: h, channels: 1 } })
      .png()
      .toBuffer();
    const pts = [(w * 72) / 300, (h * 72) / 300] as const;
    /** The scan over its page, with the words a scanner's OCR adds: none, invisible (render mode 3), or visible. */
    const pdfOf = async (text: 'none' | 'invisible' | 'visible') => {
      const doc = await PDFDocument.create();
      const page = doc.addPage([...pts]);
      page.drawImage(await doc.embedPng(png), { x: 0, y: 0, width: pts[0], height: pts[1] });
      if (text !== 'none') {
        const font = await doc.embedFont(StandardFonts.Helvetica);
        const name = page.node.newFontDictionary(font.name, font.ref);
        page.pushOperators(
          pushGraphicsState(),
          beginText(),
          setFontAndSize(name, 30),
          setTextRenderingMode(text === 'invisible' ? TextRenderingMode.Invisible : TextRenderingMode.Fill),
          moveText(10, 10),
          showText(font.encodeText('HELLO 1234')),
          endText(),
          popGraphicsState(),
        );
      }
      return doc.save();
    };
    // taken from the scan: its own pixels (RGB), where a drawn page is RGBA from the canvas
    const source = async (text: 'none' | 'invisible' | 'visible') =>
      (
        await renderPdfPage(
          await pdfOf(text),
          1,
          4096 * 4096,
          () => {},
          () => new Error('too large'),
        )
      ).channels;
    expect(await source('none')).toBe(3);
    expect(await source('invisible')).toBe(3);
    expect(await source('visible')).toBe(4);
    const plain = await decodeImage(await pdfOf('none'), { workingSize: 4096 });
    const searchable = await decodeImage(await pdfOf('invisible'), { workingSize: 4096 });
    const visible = await decodeImage(await pdfOf('visible'), { workingSize: 4096 });
    expect(Buffer.from(searchable.values).equals(Buffer.from(plain.values))).toBe(true);
    // printed text is part of the page: drawn over the scan, it darkens the strip it sits in
    let darker = 0;
    for (let y = h - 60; y < h; y++)
      for (let x = 100; x < 150; x++)
        darker += plain.values[y * w + x]! - visible.values[y * visible.width + x]!;
    expect(darker / (60 * 50)).toBeGreaterThan(20);
  });

  it('reads a named page of several; without one it names the page count instead of reading page 1', async () => {
    const pdf = await scannedPdf(3);
    expect(await documentPages(pdf)).toBe(3);
    await expect(decodeImage(pdf)).rejects.toMatchObject({
      code: 'SEVERAL_PAGES',
      message: expect.stringMatching(/The PDF has 3 pages/),
      hint: 'Name the page to read: `page` in the limits, from 1 to 3.',
      details: { pages: 3 },
    });
    const third = await decodeImage(pdf, { page: 3, workingSize: 4096 });
    expect([third.width, third.height]).toEqual([300, 100]);
    for (const page of [0, 4, 1.5])
      await expect(decodeImage(pdf, { page })).rejects.toMatchObject({
        code: 'BAD_PAGE',
        message: expect.stringMatching(/whose pages are 1 to 3/),
      });
    // Any other image is one page: page 1 is the image itself (a BMP or HEIC too, which sharp cannot decode).
    const png = await scanPng();
    expect((await decodeImage(png, { page: 1 })).format).toBe('png');
    await expect(decodeImage(png, { page: 2 })).rejects.toMatchObject({
      code: 'BAD_PAGE',
      problem: 'Page 2 is not in the image: a PNG has one page.',
    });
  });

  it('draws vector pages (a tablet app) and keeps a huge page within the pixel limit', async () => {
    const doc = await PDFDocument.create();
    const page = doc.addPage([144, 36]);
    for (let x = 12; x < 130; x += 20)
      page.drawLine({ start: { x, y: 6 }, end: { x: x + 6, y: 30 }, thickness: 2.5, color: rgb(0, 0, 0) });
    const poster = doc.addPage([14400, 7200]); // 200 x 100 inches: 576 megapixels at 200 dpi
    poster.drawLine({ start: { x: 100, y: 100 }, end: { x: 14000, y: 7000 }, thickness: 200 });
    const pdf = await doc.save();
    const line = await decodeImage(pdf, { page: 1, workingSize: 4096 });
    expect([line.width, line.height]).toEqual([400, 100]);
    const ink = line.values.filter((v) => v < 128).length;
    expect(ink).toBeGreaterThan(6 * 60);
    const huge = await decodeImage(pdf, { page: 2, maxInputPixels: 2_000_000, workingSize: 8192 });
    expect(huge.width * huge.height).toBeLessThanOrEqual(2_000_000);
    expect(huge.width / huge.height).toBeCloseTo(2, 1);
  });

  it('refuses a PDF holding a picture too large to decode before decoding it, and draws one within bounds', async () => {
    // A picture may hold twice the pixel limit (a 600-dpi A4 scan is drawn lower): here 4 megapixels.
    const pdfWith = async (width: number, height: number) => {
      const doc = await PDFDocument.create();
      const jpeg = await sharp({ create: { width, height, channels: 3, background: '#fff' } })
        .jpeg()
        .toBuffer();
      doc.addPage([pt(width / 4), pt(height / 4)]).drawImage(await doc.embedJpg(jpeg), {
        x: 0,
        y: 0,
        width: pt(width / 4),
        height: pt(height / 4),
      });
      return doc.save();
    };
    const limits = { maxInputPixels: 2_000_000, workingSize: 8192 };
    await expect(decodeImage(await pdfWith(2100, 2000), limits)).rejects.toMatchObject({
      code: 'IMAGE_TOO_LARGE',
      message: expect.stringMatching(
        /^The PDF holds a picture of 2100x2000 = 4\.2 megapixels, over the limit of 4\.0 megapixels/,
      ),
      hint: expect.stringMatching(/300 dpi/),
    });
    const drawn = await decodeImage(await pdfWith(2000, 1900), limits);
    expect(drawn.width * drawn.height).toBeLessThanOrEqual(2_000_000);
  });

  it('refuses a truncated or corrupt PDF, naming it', async () => {
    const pdf = await scannedPdf(1);
    for (const bad of [new TextEncoder().encode('%PDF-1.7\nnot a pdf at all\n'), pdf.subarray(0, 200)])
      await expect(decodeImage(bad)).rejects.toMatchObject({
        code: 'IMAGE_UNDECODABLE',
        message: expect.stringMatching(/^The PDF (cannot be read|has no page|.*page)/),
      });
  });
});

describe('TIFF of several pages (a fax)', () => {
  /** A TIFF of pages written by sharp, one per image, as fax software and document scanners write them. */
  const tiffOf = async (pages: Buffer[]) =>
    sharp(pages, { join: { animated: true } })
      .tiff()
      .toBuffer();
  const page = (width: number, height: number, grey: number) =>
    sharp({ create: { width, height, channels: 3, background: { r: grey, g: grey, b: grey } } })
      .png()
      .toBuffer();

  it('reads a named page; without one it names the page count; a page it lacks is BAD_PAGE', async () => {
    const fax = await tiffOf([
      await page(300, 100, 250),
      await page(300, 100, 20),
      await page(300, 100, 128),
    ]);
    expect(await documentPages(fax)).toBe(3);
    await expect(decodeImage(fax)).rejects.toMatchObject({
      code: 'SEVERAL_PAGES',
      message: expect.stringMatching(/The TIFF has 3 pages/),
    });
    const greys = [];
    for (const n of [1, 2, 3]) {
      const img = await decodeImage(fax, { page: n });
      greys.push(Math.round(img.values[0]!));
    }
    expect(greys).toEqual([250, 20, 128]);
    await expect(decodeImage(fax, { page: 4 })).rejects.toMatchObject({
      code: 'BAD_PAGE',
      problem: 'Page 4 is not in the TIFF, whose pages are 1 to 3.',
    });
    // A fax cut short in its last page: that page is refused by name, as any image is.
    const cut = fax.subarray(0, Math.floor(fax.length * 0.9));
    expect(await documentPages(cut)).toBe(3);
    await expect(decodeImage(cut, { page: 3 })).rejects.toMatchObject({
      code: 'IMAGE_UNDECODABLE',
      problem: expect.stringMatching(/^Page 3 of the TIFF cannot be decoded/),
    });
  });

  it('counts the pages of a long fax in one pass (3000 pages took 109 s)', async () => {
    const pages = 1500;
    const fax = await sharp(Buffer.alloc(16 * 16 * pages, 200), {
      raw: { width: 16, height: 16 * pages, channels: 1, pageHeight: 16 },
    })
      .tiff()
      .toBuffer();
    const start = performance.now();
    expect(await documentPages(fax)).toBe(pages);
    expect(performance.now() - start).toBeLessThan(3000);
  });

  it('gives the size and box of a page in its own pixels when the pages differ in size', async () => {
    const scan = greyTiff([
      { width: 600, height: 200, grey: 240 },
      { width: 400, height: 150, grey: 60 },
    ]);
    expect(await documentPages(scan)).toBe(2);
    const second = await decodeImage(scan, { page: 2, workingSize: 100 });
    expect([second.width, second.height, second.originalWidth, second.originalHeight]).toEqual([
      100, 38, 400, 150,
    ]);
    expect(Math.round(second.values[0]!)).toBe(60);
  });

  it('reads a scan with a small second image (a thumbnail) at its first page, as one page', async () => {
    const scan = greyTiff([
      { width: 600, height: 200, grey: 240 },
      { width: 120, height: 40, grey: 240 },
    ]);
    expect((await sharp(scan).metadata()).pages).toBe(2);
    expect(await documentPages(scan)).toBe(1);
    expect((await decodeImage(scan, { workingSize: 1000 })).width).toBe(600);
  });
});

/**
 * A baseline TIFF written by hand (little-endian, 8-bit grey, uncompressed, one strip per image), its images
 * chained IFD after IFD: what sharp's writer cannot make, images of different sizes in one file.
 */
function greyTiff(images: { width: number; height: number; grey: number }[]): Buffer {
  const entries = 9;
  const ifdBytes = 2 + 12 * entries + 4;
  const parts: Buffer[] = [];
  let offset = 8;
  const layout = images.map((im) => {
    const ifd = offset;
    const pixels = ifd + ifdBytes;
    offset = pixels + im.width * im.height;
    offset += offset % 2; // IFDs start on a word boundary
    return { ...im, ifd, pixels };
  });
  const head = Buffer.alloc(8);
  head.write('II', 0, 'latin1');
  head.writeUInt16LE(42, 2);
  head.writeUInt32LE(8, 4);
  parts.push(head);
  layout.forEach((im, i) => {
    const ifd = Buffer.alloc(ifdBytes);
    ifd.writeUInt16LE(entries, 0);
    const tags: [number, number, number][] = [
      [254, 4, i === 0 ? 0 : 1], // NewSubfileType: later images are reduced copies
      [256, 4, im.width],
      [257, 4, im.height],
      [258, 3, 8],
      [259, 3, 1],
      [262, 3, 1],
      [273, 4, im.pixels],
      [278, 4, im.height],
      [279, 4, im.width * im.height],
    ];
    tags.forEach(([tag, type, value], k) => {
      const at = 2 + 12 * k;
      ifd.writeUInt16LE(tag, at);
      ifd.writeUInt16LE(type, at + 2);
      ifd.writeUInt32LE(1, at + 4);
      if (type === 3) ifd.writeUInt16LE(value, at + 8);
      else ifd.writeUInt32LE(value, at + 8);
    });
    ifd.writeUInt32LE(layout[i + 1]?.ifd ?? 0, 2 + 12 * entries);
    const pixels = Buffer.alloc(im.width * im.height + ((im.pixels + im.width * im.height) % 2), im.grey);
    parts.push(ifd, pixels);
  });
  return Buffer.concat(parts);
}
