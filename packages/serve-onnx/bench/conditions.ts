/**
 * `pnpm bench conditions [--reader file.onnx] [--only name,name]`
 *
 * How well the reader reads the real dev sets when the image arrives the way users' images do: recompressed,
 * smaller or larger, on a whole sheet, on a desk, in a scanning app's PDF, blurred, dim and noisy, under a shadow, in colour. Every name (letters class) and amount
 * (digits class) is changed as named below, encoded, and read through `read` as `hcr read` and `POST /v1/read`
 * read it; each row is the share read exactly. Deterministic (the noise is seeded). The reader: --reader, else
 * the pipeline's artifacts/model/reader/model.onnx.
 */
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { createRng } from '@hcr/core';
import { PDFDocument } from 'pdf-lib';
import sharp from 'sharp';
import { createLineReader } from '../src/index.js';
import { DEV_SETS, devSetItems, PIPELINE_READER } from './dev-sets.js';

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const readerFile = arg('--reader') ?? PIPELINE_READER;
if (!existsSync(readerFile)) {
  process.stderr.write(`No reader at ${readerFile}: run the pipeline or pass --reader.\n`);
  process.exit(1);
}

type Change = (bytes: Buffer) => Promise<Buffer>;

/** An encoded image's grey levels, one byte a pixel, with its size. */
function greyPixels(bytes: Buffer) {
  return sharp(bytes).greyscale().extractChannel(0).raw().toBuffer({ resolveWithObject: true });
}

/** The image's grey levels changed pixel by pixel (`f(value, x, y, width)`), as a PNG. */
async function perPixel(bytes: Buffer, f: (v: number, x: number, y: number, w: number) => number) {
  const { data, info } = await greyPixels(bytes);
  const out = Buffer.alloc(data.length);
  for (let y = 0; y < info.height; y++)
    for (let x = 0; x < info.width; x++) {
      const p = y * info.width + x;
      out[p] = Math.max(0, Math.min(255, Math.round(f(data[p]!, x, y, info.width))));
    }
  return sharp(out, { raw: { width: info.width, height: info.height, channels: 1 } })
    .png()
    .toBuffer();
}

const scaled =
  (factor: number): Change =>
  async (bytes) => {
    const { width } = await sharp(bytes).metadata();
    return sharp(bytes)
      .resize({ width: Math.max(4, Math.round(width! * factor)) })
      .png()
      .toBuffer();
  };

/** Seeded places on the sheet (the same for every run). */
const sheetRng = createRng(2);

/**
 * The field laid on a sheet `height` px high and 0.7 of that wide (at least the field's size), at a seeded place,
 * the sheet its median grey: a whole page photographed, the field a small part of it.
 */
const onSheet =
  (height: number): Change =>
  async (bytes) => {
    const { data, info } = await greyPixels(bytes);
    const paper = [...data].sort((a, b) => a - b)[data.length >> 1]!;
    const width = Math.max(info.width, Math.round(0.7 * height));
    const sheetHeight = Math.max(info.height, height);
    const left = Math.floor(sheetRng.next() * (width - info.width + 1));
    const top = Math.floor(sheetRng.next() * (sheetHeight - info.height + 1));
    const field = await sharp(data, { raw: { width: info.width, height: info.height, channels: 1 } })
      .png()
      .toBuffer();
    return sharp({
      create: { width, height: sheetHeight, channels: 3, background: { r: paper, g: paper, b: paper } },
    })
      .composite([{ input: field, left, top }])
      .greyscale()
      .jpeg({ quality: 90 })
      .toBuffer();
  };

/**
 * The field as a scanning app saves it: its JPEG (or, for other formats, a PNG of it) filling a page of a
 * one-page PDF, as scanned at `dpi`.
 */
const inPdf =
  (dpi: number): Change =>
  async (bytes) => {
    const doc = await PDFDocument.create();
    const { width, height, format } = await sharp(bytes).metadata();
    const image =
      format === 'jpeg'
        ? await doc.embedJpg(new Uint8Array(bytes))
        : await doc.embedPng(await sharp(bytes).png().toBuffer());
    const [w, h] = [(width! * 72) / dpi, (height! * 72) / dpi];
    doc.addPage([w, h]).drawImage(image, { x: 0, y: 0, width: w, height: h });
    return Buffer.from(await doc.save());
  };

/** The field with a border of 150 px of one grey all round: the surface it lay on, or the page it was put on. */
const bordered =
  (grey: number, jpeg: boolean): Change =>
  (bytes) => {
    const out = sharp(bytes).extend({
      top: 150,
      bottom: 150,
      left: 150,
      right: 150,
      background: { r: grey, g: grey, b: grey },
    });
    return (jpeg ? out.jpeg({ quality: 90 }) : out.png()).toBuffer();
  };

const CONDITIONS: [string, string, Change][] = [
  ['as cut', 'the image as in the dev set', async (b) => b],
  ['jpeg 20', 'recompressed as JPEG at quality 20', (b) => sharp(b).jpeg({ quality: 20 }).toBuffer()],
  ['0.5x', 'half the width and height (lanczos)', scaled(0.5)],
  ['0.75x', 'three quarters of the width and height', scaled(0.75)],
  ['2x', 'twice the width and height (a photo of a field)', scaled(2)],
  [
    'on a sheet',
    'laid at a seeded place on a sheet 2,000 px high of its own median grey, as JPEG (quality 90): a whole page photographed',
    onSheet(2000),
  ],
  [
    'pdf 300 dpi',
    'a one-page PDF of the scan at 300 dpi, as a scanning app saves it (pdf.js renders it at that resolution)',
    inPdf(300),
  ],
  ['pdf 150 dpi', 'the same at 150 dpi', inPdf(150)],
  [
    'dark desk',
    'a border of 150 px of dark grey (50) all round, as JPEG (quality 90): a field photographed on a desk',
    bordered(50, true),
  ],
  [
    'white page',
    'a border of 150 px of white all round, as PNG: a field cut out and put on a page',
    bordered(255, false),
  ],
  ['blur 1', 'Gaussian blur, sigma 1 px (out of focus)', (b) => sharp(b).blur(1).png().toBuffer()],
  [
    'dim + noise',
    'contrast cut to 40% around mid-grey, Gaussian noise of sigma 8 grey levels (a dark phone photo)',
    (b) => {
      const rng = createRng(1);
      return perPixel(b, (v) => 128 + 0.4 * (v - 128) + 8 * rng.normal());
    },
  ],
  [
    'shadow',
    'light falling from 100% at the left edge to 45% at the right (a hand or a phone over the page)',
    (b) => perPixel(b, (v, x, _y, w) => v * (1 - (0.55 * x) / Math.max(1, w - 1))),
  ],
  [
    'blue ink',
    'in colour: the ink blue (30, 60, 190), the paper cream (245, 238, 220)',
    async (b) => {
      const { data, info } = await greyPixels(b);
      const rgb = Buffer.alloc(data.length * 3);
      const [ink, paper] = [
        [30, 60, 190],
        [245, 238, 220],
      ];
      for (let p = 0; p < data.length; p++) {
        const a = 1 - data[p]! / 255; // how dark: 0 paper, 1 ink
        for (let c = 0; c < 3; c++) rgb[3 * p + c] = Math.round(paper[c]! * (1 - a) + ink[c]! * a);
      }
      return sharp(rgb, { raw: { width: info.width, height: info.height, channels: 3 } })
        .png()
        .toBuffer();
    },
  ],
];

const only = arg('--only')?.split(',');
const unknown = only?.filter((n) => !CONDITIONS.some(([name]) => name === n));
if (unknown?.length) {
  process.stderr.write(
    `Unknown condition ${unknown.join(', ')}: pick from ${CONDITIONS.map((c) => c[0]).join(', ')}.\n`,
  );
  process.exit(1);
}
const reader = await createLineReader({ model: readerFile, intraOpThreads: 1 });
const load0 = loadavg()[0]!;
const t0 = performance.now();
const sets = DEV_SETS.map(([set, classes]) => ({
  set,
  classes,
  items: devSetItems(set).map((i) => ({ ...i, bytes: readFileSync(i.file) })),
}));
const pct = (a: number, b: number) => `${((100 * a) / b).toFixed(2)}%`;
process.stdout.write(`| condition | ${sets.map((s) => `${s.set} (${s.classes})`).join(' | ')} | what |\n`);
process.stdout.write(`|---|${sets.map(() => '---|').join('')}---|\n`);
for (const [name, what, change] of CONDITIONS) {
  if (only && !only.includes(name)) continue;
  const cells: string[] = [];
  for (const { items, classes } of sets) {
    let right = 0;
    let failed = 0;
    for (const { bytes, label } of items) {
      const r = await reader.read(await change(bytes), { classes }).catch(() => undefined);
      if (!r) failed++;
      else if (r.text === label) right++;
    }
    cells.push(`${pct(right, items.length)}${failed ? ` (${failed} refused)` : ''}`);
  }
  process.stdout.write(`| ${name} | ${cells.join(' | ')} | ${what} |\n`);
}
await reader.close();
process.stdout.write(
  `${readerFile}; ${((performance.now() - t0) / 1000).toFixed(1)} s; load average ${load0.toFixed(2)} -> ${loadavg()[0]!.toFixed(2)}\n`,
);
