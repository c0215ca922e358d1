/**
 * `pnpm bench documents [--reader file.onnx] [--runs 2] [--only <words>]`
 *
 * How long `hcr read` takes over what people scan and photograph in bulk, run as the command itself (a child
 * process of the repository's CLI, its start included; from its TypeScript sources through tsx, as `pnpm hcr` runs
 * it, so the times hold tsx's work too, which an installed hcr does not do), each input `--runs` times:
 * - a 10-page PDF of forms scanned at 300 dpi, 12 dev names pasted down each page, read with `--layout lines`;
 * - the same PDF made searchable: each page also holds its names as invisible text (render mode 3), the OCR
 *   layer a scanner or ocrmypdf lays over the scan;
 * - 40 photos of a dev name laid on a flat 3000x4000 sheet (JPEG quality 90);
 * - the 466 dev names as cut (small crops);
 * - both in one folder: the 466 names and the 40 sheet photos.
 * Also the line preprocessing's time per sheet photo in this process (`prepareLineImage`, no workers). The
 * inputs are made here from the real dev sets, the same every run. `--only` runs the inputs whose description
 * holds those words (e.g. `--only PDF`). Prints the load average before and after.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { prepareLineImage } from '@hcr/image/decode';
import {
  beginText,
  endText,
  moveText,
  PDFDocument,
  popGraphicsState,
  pushGraphicsState,
  StandardFonts,
  setFontAndSize,
  setTextRenderingMode,
  showText,
  TextRenderingMode,
} from 'pdf-lib';
import sharp from 'sharp';
import { devSetItems, PIPELINE_READER, ROOT } from './dev-sets.js';

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const reader = resolve(arg('--reader') ?? PIPELINE_READER);
const runs = Number(arg('--runs') ?? 2);
const only = arg('--only');
// before the inputs are made (a minute of work): without a reader every `hcr read` would fail
if (!existsSync(reader)) {
  process.stderr.write(`No reader at ${reader}: run the pipeline or pass --reader.\n`);
  process.exit(1);
}
/** What is read, in order (the loop below gives each its `hcr read` arguments). */
const INPUTS = [
  '10-page PDF of forms at 300 dpi, --layout lines',
  'the same PDF, searchable (an invisible OCR text layer)',
  '40 photos of a field on a 3000x4000 sheet',
  '466 dev names as cut (small crops)',
  'the 466 names and the 40 photos in one folder',
];
// words that pick none (--only pdf: the descriptions say PDF) ran nothing and printed an empty table
if (only !== undefined && !INPUTS.some((what) => what.includes(only))) {
  process.stderr.write(
    `--only '${only}' picks none of the inputs: ${INPUTS.map((w) => `'${w}'`).join(', ')}.\n`,
  );
  process.exit(1);
}
if (!Number.isInteger(runs) || runs < 1) {
  process.stderr.write('--runs takes a whole number >= 1 (e.g. --runs 1).\n');
  process.exit(1);
}
const names = devSetItems('handwritten-names-dev');
const dir = mkdtempSync(join(tmpdir(), 'hcr-bench-documents-'));
// the inputs are the dev images again, several MB: gone however the bench ends (process.exit included)
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const load0 = loadavg()[0]!;

/** A page of 12 names at 300 dpi (US letter), as a document scanner writes it; `searchable`: with its OCR text layer. */
async function formsPdf(pages: number, searchable = false): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  for (let p = 0; p < pages; p++) {
    const pasted = await Promise.all(
      names.slice(p * 12, p * 12 + 12).map(async (n, i) => ({
        input: await sharp(readFileSync(n.file)).resize({ width: 1200 }).toBuffer(),
        top: 150 + i * 260,
        left: 300,
      })),
    );
    const jpeg = await sharp({ create: { width: 2550, height: 3300, channels: 3, background: 'white' } })
      .composite(pasted)
      .jpeg({ quality: 85 })
      .toBuffer();
    const page = doc.addPage([612, 792]);
    page.drawImage(await doc.embedJpg(jpeg), { x: 0, y: 0, width: 612, height: 792 });
    if (!searchable) continue;
    const fontName = page.node.newFontDictionary(font.name, font.ref);
    for (const [i, n] of names.slice(p * 12, p * 12 + 12).entries())
      page.pushOperators(
        pushGraphicsState(),
        beginText(),
        setFontAndSize(fontName, 20),
        setTextRenderingMode(TextRenderingMode.Invisible),
        moveText(80, 792 - (150 + i * 260 + 60) * (72 / 300)),
        showText(font.encodeText(n.label.replace(/[^A-Z0-9 ]/gi, ''))),
        endText(),
        popGraphicsState(),
      );
  }
  return doc.save();
}

/** A dev name laid on a flat sheet of paper, photographed whole. */
async function sheetPhoto(i: number): Promise<Buffer> {
  const crop = await sharp(readFileSync(names[i]!.file)).resize({ width: 1400 }).toBuffer();
  return sharp({ create: { width: 3000, height: 4000, channels: 3, background: { r: 235, g: 232, b: 225 } } })
    .composite([{ input: crop, top: 1200 + ((i * 37) % 1500), left: 400 + ((i * 53) % 900) }])
    .jpeg({ quality: 90 })
    .toBuffer();
}

process.stderr.write(`making the inputs in ${dir} from the dev names ...\n`);
const pdf = join(dir, 'forms.pdf');
writeFileSync(pdf, await formsPdf(10));
const searchablePdf = join(dir, 'forms-searchable.pdf');
writeFileSync(searchablePdf, await formsPdf(10, true));
const photos = join(dir, 'photos');
mkdirSync(photos);
const photoBytes: Buffer[] = [];
for (let i = 0; i < 40; i++) {
  photoBytes.push(await sheetPhoto(i));
  writeFileSync(join(photos, `p${String(i).padStart(2, '0')}.jpg`), photoBytes[i]!);
}

/** Seconds `hcr read <args>` takes, as a user runs it (rows to a pipe). */
function hcrRead(args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(
    process.execPath,
    ['--conditions=source', '--import', 'tsx', 'apps/cli/src/bin.ts', 'read', '--model', reader, ...args],
    { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  const seconds = (performance.now() - t0) / 1000;
  if (r.status !== 0 && !r.stdout) {
    process.stderr.write(`hcr read ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    process.exit(1);
  }
  return seconds;
}

// A folder of both kinds: the dev names' crops and the sheet photos.
const mixed = join(dir, 'mixed');
mkdirSync(mixed);
for (const n of names) writeFileSync(join(mixed, n.file.split('/').pop()!), readFileSync(n.file));
for (const [i, b] of photoBytes.entries())
  writeFileSync(join(mixed, `p${String(i).padStart(2, '0')}.jpg`), b);

const rows: [string, string][] = [];
for (const [k, args] of [
  [pdf, '--layout', 'lines', '--classes', 'letters'],
  [searchablePdf, '--layout', 'lines', '--classes', 'letters'],
  [photos, '--classes', 'letters'],
  [resolve(names[0]!.file, '..'), '--classes', 'letters'],
  [mixed, '--classes', 'letters'],
].entries()) {
  const what = INPUTS[k]!;
  if (only && !what.includes(only)) continue;
  const times = Array.from({ length: runs }, () => hcrRead([...args, '--format', 'csv']));
  // each input takes seconds: show each as it ends, the table comes at the end
  process.stderr.write(`  ${what}: ${times.map((t) => `${t.toFixed(2)} s`).join(', ')}\n`);
  rows.push([what, times.map((t) => `${t.toFixed(2)} s`).join(', ')]);
}

if (!only) {
  await prepareLineImage(photoBytes[0]!); // loads the decoders
  const t0 = performance.now();
  for (const b of photoBytes) await prepareLineImage(b);
  const perPhoto = (performance.now() - t0) / photoBytes.length;
  rows.push(['prepareLineImage of a sheet photo, in process', `${perPhoto.toFixed(1)} ms`]);
}

console.log('| input | time |');
console.log('|---|---|');
for (const [what, time] of rows) console.log(`| ${what} | ${time} |`);
console.log(`${reader}; load average ${load0.toFixed(2)} -> ${loadavg()[0]!.toFixed(2)}`);
