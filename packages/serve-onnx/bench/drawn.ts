/**
 * `pnpm bench drawn [--reader file.onnx] [--count 120] [--pens 4,8,12,16] [--seed 1] [--figure file.png]`
 *
 * How well the reader reads writing as the drawing page takes it: strokes of straight segments, one pen width,
 * dark on the white 720x200 canvas of its word mode (a mouse, a finger, a stylus held steady). The writing is
 * Hershey's single-stroke "Sans 1-stroke" font (npm hersheytext): block capitals about half the canvas high,
 * stems exactly upright as a careful mouse draws them ("ruler"), and the same with every point moved by up to
 * 3% of the capital height ("shaky"). The texts come from the synthetic lines' own generators (@hcr/data's
 * `createTextSource`), in capitals, each read with no class and with its field's class as eval reads the synthetic
 * lines: letters for names and words, digits and . , - / ' for numbers, dates and amounts, alnum for codes.
 * Scored on letters and digits (spaces and marks dropped from both sides).
 * Prints exact match and CER by pen width and style, and the characters most often lost or misread.
 * The reader: --reader, else the pipeline's artifacts/model/reader/model.onnx.
 *
 * `--write DIR` reads nothing: it writes the texts as a labelled folder (DIR/images/drawn-NNNN.png and
 * DIR/labels.tsv), each with the next of --pens and ruler and shaky in turn, for `hcr data lines import` (fine-tuning
 * a reader on writing from the page; use another --seed for the texts it is measured on).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { atomicWriteTarget, createRng, LINE_ALPHABET_36, type Rng, writeFileAtomic } from '@hcr/core';
import { createTextSource, type LineKind } from '@hcr/data';
import { alignmentErrors } from '@hcr/eval';
import { distance } from 'fastest-levenshtein';
import sharp from 'sharp';
import { createLineReader } from '../src/index.js';
import { PIPELINE_READER } from './dev-sets.js';

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const readerFile = arg('--reader') ?? PIPELINE_READER;
const count = Number(arg('--count') ?? 120);
const pens = (arg('--pens') ?? '4,8,12,16').split(',').map(Number);
const seed = Number(arg('--seed') ?? 1);
const figureFile = arg('--figure');
const writeDir = arg('--write');
// checked now, not after the run: a folder or a device named by mistake lost the whole run's figure
if (figureFile) await atomicWriteTarget(figureFile);
// Whole pens and seeds: the shaking stream is seeded with seed * 1000 + pen (createRng takes integers).
if (
  !Number.isInteger(count) ||
  count < 1 ||
  !Number.isInteger(seed) ||
  seed < 0 ||
  pens.some((p) => !(Number.isInteger(p) && p >= 1 && p <= 40))
) {
  process.stderr.write(
    '--count takes a whole number of texts; --pens whole pen widths of 1-40 px, comma-separated; --seed a whole number >= 0.\n',
  );
  process.exit(1);
}

/** Hershey glyphs: `d` is SVG moves and lines in a box whose capitals run from y 1 to 22; `o` is half the advance. */
const FUTURAL = (
  createRequire(import.meta.url)('hersheytext/hersheytext.json') as {
    futural: { chars: { d: string; o: number }[] };
  }
).futural.chars;
const CAP_TOP = 1;
const CAP_HEIGHT = 21;
const SPACE = 12;
type Pt = [number, number];

/** A glyph's strokes, each a polyline in font units. */
function glyphStrokes(ch: string): { strokes: Pt[][]; advance: number } {
  if (ch === ' ') return { strokes: [], advance: SPACE };
  const g = FUTURAL[ch.charCodeAt(0) - 33];
  if (!g) throw new Error(`no Hershey glyph for '${ch}'`);
  const strokes = g.d
    .split('M')
    .filter((s) => s.trim())
    .map((s) =>
      s
        .replace('L', ' ')
        .trim()
        .split(/\s+/)
        .map((p) => p.split(',').map(Number) as Pt),
    );
  return { strokes, advance: 2 * g.o };
}

/** `text` drawn on a 720x200 white canvas with a `pen`-px round pen, capitals `capPx` high; `shake` moves points. */
function drawnPng(text: string, pen: number, shake: number, rng: Rng): Promise<Buffer> {
  const laid = [...text].map(glyphStrokes);
  const units = laid.reduce((w, g) => w + g.advance, 0);
  // half the canvas high, narrower when the text would not fit the 720 px (the page's users write smaller)
  const scale = Math.min(100 / CAP_HEIGHT, 660 / units);
  let x = (720 - units * scale) / 2;
  const y0 = 100 - (CAP_HEIGHT * scale) / 2 - CAP_TOP * scale;
  const jitter = () => (rng.next() * 2 - 1) * shake * CAP_HEIGHT * scale;
  const paths: string[] = [];
  for (const g of laid) {
    for (const stroke of g.strokes) {
      const pts = stroke.map(
        ([u, v]) => `${(x + u * scale + jitter()).toFixed(1)},${(y0 + v * scale + jitter()).toFixed(1)}`,
      );
      paths.push(`<polyline points="${pts.join(' ')}"/>`);
    }
    x += g.advance * scale;
  }
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="720" height="200"><rect width="720" height="200" fill="white"/>` +
    `<g fill="none" stroke="black" stroke-width="${pen}" stroke-linecap="round" stroke-linejoin="round">${paths.join('')}</g></svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

/** The field kinds drawn, with the class each is read with (eval's field classes for the synthetic lines). */
const NUMERIC = "chars:0123456789.,-/'";
const KINDS: [LineKind, string][] = [
  ['name', 'letters'],
  ['word', 'letters'],
  ['code', 'alnum'],
  ['number', NUMERIC],
  ['date', NUMERIC],
  ['amount', NUMERIC],
];
/** Letters and digits, upper case: what is scored. */
const kept = (s: string) => s.toUpperCase().replace(/[^A-Z0-9]/g, '');

const source = createTextSource(LINE_ALPHABET_36);
const rng = createRng(seed);
const texts = Array.from({ length: count }, (_, i) => {
  const [kind, cls] = KINDS[i % KINDS.length]!;
  return { kind, cls, text: source.generate(kind, rng, 1, 12).toUpperCase() };
});

if (writeDir) {
  await writeLabelledFolder(writeDir);
  process.exit(0);
}

const reader = await createLineReader({ model: readerFile, intraOpThreads: 1 });
const load0 = loadavg()[0]!;
const lost = new Map<string, number>();
const misread = new Map<string, number>();
const figure: Buffer[] = [];
process.stdout.write(
  `${count} texts (${KINDS.map(([k]) => k).join(', ')}), capitals in Hershey Sans 1-stroke\n`,
);
process.stdout.write('pen  style   exact (no class)  exact (field class)  CER (field class)\n');
for (const pen of pens) {
  for (const [style, shake] of [
    ['ruler', 0],
    ['shaky', 0.03],
  ] as const) {
    let exactNone = 0;
    let exactField = 0;
    let edits = 0;
    let chars = 0;
    const shakeRng = createRng(seed * 1000 + pen);
    for (const t of texts) {
      const png = await drawnPng(t.text, pen, shake, shakeRng);
      const none = await reader.read(png);
      const field = await reader.read(png, { classes: t.cls });
      const truth = kept(t.text);
      const read = kept(field.text);
      if (kept(none.text) === truth) exactNone++;
      if (read === truth) exactField++;
      edits += distance(truth, read);
      chars += truth.length;
      countErrors(truth, read);
      if (figureFile && pen === 8 && style === 'ruler' && figure.length < 8)
        figure.push(await figureRow(png, field.text));
    }
    const pct = (n: number, of: number) => `${((100 * n) / of).toFixed(1)}%`.padStart(6);
    process.stdout.write(
      `${String(pen).padStart(3)}  ${style}   ${pct(exactNone, count)}            ${pct(exactField, count)}               ${pct(edits, chars)}\n`,
    );
  }
}
await reader.close();
const top = (m: Map<string, number>) =>
  [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8)
    .map(([c, n]) => `${c} ${n}`)
    .join(', ');
process.stdout.write(`lost (field class, all pens): ${top(lost) || 'none'}\n`);
process.stdout.write(`misread (field class, all pens): ${top(misread) || 'none'}\n`);
if (figureFile) {
  await sharp({ create: { width: 720, height: 150 * figure.length, channels: 3, background: 'white' } })
    .composite(figure.map((input, i) => ({ input, left: 0, top: 150 * i })))
    .png()
    .toBuffer()
    .then((png) => writeFileAtomic(figureFile, png));
  process.stdout.write(`figure: ${figureFile}\n`);
}
process.stdout.write(
  `reader ${readerFile}; load average ${load0.toFixed(2)} -> ${loadavg()[0]!.toFixed(2)}\n`,
);

/** Characters of the truth lost or read as another, from eval's minimal alignment of the truth to the reading. */
function countErrors(truth: string, read: string): void {
  for (const op of alignmentErrors(truth, read)) {
    if (!op.truth) continue; // an inserted character: neither lost nor misread
    const key = op.read ? `${op.truth}->${op.read}` : op.truth;
    const counts = op.read ? misread : lost;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
}

/** The drawn canvas at 720x120 with what was read under it. */
async function figureRow(png: Buffer, text: string): Promise<Buffer> {
  const esc = text.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const caption = Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="720" height="30"><text x="8" y="22" font-family="DejaVu Sans" font-size="18" fill="#1a5fb4">read: ${esc}</text></svg>`,
  );
  const canvas = await sharp(png).resize({ width: 720, height: 120, fit: 'fill' }).png().toBuffer();
  return sharp({ create: { width: 720, height: 150, channels: 3, background: 'white' } })
    .composite([
      { input: canvas, left: 0, top: 0 },
      { input: caption, left: 0, top: 120 },
    ])
    .png()
    .toBuffer();
}

/** The texts drawn with the pens in turn, ruler and shaky in turn, as a labelled folder `hcr data lines import` reads. */
async function writeLabelledFolder(dir: string): Promise<void> {
  await mkdir(join(dir, 'images'), { recursive: true });
  const shakeRng = createRng(seed * 1000);
  const rows: string[] = [];
  for (const [i, t] of texts.entries()) {
    const pen = pens[i % pens.length]!;
    const shake = Math.floor(i / pens.length) % 2 ? 0.03 : 0;
    const file = `images/drawn-${String(i).padStart(5, '0')}.png`;
    await writeFile(join(dir, file), await drawnPng(t.text, pen, shake, shakeRng));
    rows.push(`${file}\t${t.text}`);
  }
  // last, and whole or not at all: `hcr data lines import` takes the folder by its labels.tsv
  await writeFileAtomic(join(dir, 'labels.tsv'), `${rows.join('\n')}\n`);
  process.stdout.write(
    `wrote ${texts.length} drawn texts (pens ${pens.join(', ')}, seed ${seed}) to ${dir}\n`,
  );
}
