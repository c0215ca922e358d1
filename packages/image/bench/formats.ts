/**
 * `pnpm bench formats`: how long decoding takes for the documents users send, beside the plain image inside
 * them. An A4 page scanned at 300 dpi (2480x3508, a JPEG of quality 85 with writing on it) is decoded as the
 * JPEG itself and as a scanning app's one-page PDF holding that JPEG (pdf.js renders it at the scan's
 * resolution); a fax of 3 such pages as TIFF, at its second page. `decodeImage` at a line's working size (2048),
 * as `hcr read` decodes; the first PDF also loads pdf.js. Prints the first call and the median of the next 5.
 */
import { loadavg } from 'node:os';
import { PDFDocument } from 'pdf-lib';
import sharp from 'sharp';
import { decodeImage } from '../src/decode/index.js';

const [W, H] = [2480, 3508];

/** A pale page with a few rows of dark strokes, as JPEG. */
async function scannedPage(): Promise<Buffer> {
  const grey = Buffer.alloc(W * H, 238);
  for (const top of [600, 900, 1200, 2400])
    for (let y = top; y < top + 90; y++)
      for (let x = 300; x < 2100; x++) if (x % 70 < 9 || (y > top + 40 && y < top + 48)) grey[y * W + x] = 40;
  return sharp(grey, { raw: { width: W, height: H, channels: 1 } })
    .jpeg({ quality: 85 })
    .toBuffer();
}

async function timed(label: string, decode: () => Promise<unknown>): Promise<void> {
  const t0 = performance.now();
  await decode();
  const first = performance.now() - t0;
  const runs: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    await decode();
    runs.push(performance.now() - t);
  }
  runs.sort((a, b) => a - b);
  process.stdout.write(`| ${label} | ${first.toFixed(0)} | ${runs[2]!.toFixed(0)} |\n`);
}

const load0 = loadavg()[0]!;
const jpeg = await scannedPage();
const doc = await PDFDocument.create();
const image = await doc.embedJpg(new Uint8Array(jpeg));
const [w, h] = [(W * 72) / 300, (H * 72) / 300];
doc.addPage([w, h]).drawImage(image, { x: 0, y: 0, width: w, height: h });
const pdf = await doc.save();
const fax = await sharp([jpeg, jpeg, jpeg], { join: { animated: true } })
  .tiff({ compression: 'lzw' })
  .toBuffer();
process.stdout.write(
  '| A4 page at 300 dpi, decoded as | first call, ms | median of the next 5, ms |\n|---|---|---|\n',
);
await timed('the JPEG itself (sharp)', () => decodeImage(jpeg, { workingSize: 2048 }));
await timed('a one-page PDF holding it (pdf.js, loaded on the first call)', () =>
  decodeImage(pdf, { workingSize: 2048 }),
);
await timed('page 2 of a 3-page TIFF (LZW) of it (sharp)', () =>
  decodeImage(fax, { page: 2, workingSize: 2048 }),
);
process.stdout.write(`load average ${load0.toFixed(2)} -> ${loadavg()[0]!.toFixed(2)}\n`);
