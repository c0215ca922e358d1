/**
 * `pnpm bench text-lines [--notes n] [--reader file.onnx] [--seed n] [--out dir] [--figure file.png] [--tilt d]
 * [--columns] [--sizes r] [--sheet h]`
 *
 * How well `layout=lines` reads a page of several lines, measured on real writing:
 * - notes made by stacking 2-4 real cheque amounts (handwritten-amounts-dev, one under another, each crop's paper
 *   around it as one sheet), read with `readLines` and the digits class: the notes whose lines were all found,
 *   in order (each found box holds its crop's middle row), and each line's text against the same crop read
 *   alone (`read`), both against the truth. Amounts only: a name crop also holds printed labels and
 *   neighbouring form lines, which are lines of text in their own right;
 * - the dev sets' own images (names and amounts, one field each) read with `readLines`: how many lines each
 *   gives, and how often one of them reads the truth, against reading the image as a field.
 * --tilt d: each note is also turned by d degrees (every other note by -d), and read with the page's deskew on
 * and off (@hcr/image's `findTextLines` finding the lines on the page turned flat; each line is turned flat by
 * its own preprocessing either way): the notes whose line count is right, and the lines read exactly, in order.
 * --columns: notes of two columns instead, 2-3 amounts one under another in each (each crop's paper shifted to one
 * sheet's grey), side by side with a gutter of 1-2 times the tallest crop's height and a margin of 30% of it all
 * round, the right column lowered by 55-85% of its first crop's height so that rows do not line up: with @hcr/image's
 * column finding on and off, the notes whose lines were all found in reading order (left column, then right) and
 * how many of their amounts were read exactly somewhere on the page.
 * --sizes r: each crop of a stacked note is shrunk by its own factor between 1 and 1/r (Lanczos), so one note holds
 * writing of sizes up to r times apart (a large amount under a small one, as a form's fields differ).
 * --sheet h: each note's crops are stacked on a sheet h px high and 0.7 h wide, at a seeded place, each crop's
 * grey shifted so that its paper is the sheet's: a note photographed on a whole page, small writing on a large image.
 * The reader: --reader, else the pipeline's artifacts/model/reader/model.onnx (the notes' segmentation figure
 * needs none; without one the texts are not compared). --out writes the first notes, and those whose lines were
 * not all found, with the boxes found, as PNGs; --figure writes the first three notes read, each with its boxes
 * and, beside each line, what was read and the truth.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { atomicWriteTarget, createRng, writeFileAtomic } from '@hcr/core';
import sharp from 'sharp';
import { createLineReader, type LineReader, prepareTextLines } from '../src/index.js';
import { DEV_SETS, devSetItems, PIPELINE_READER } from './dev-sets.js';

const flag = (name: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const notes = Number(flag('--notes') ?? 200);
const seed = Number(flag('--seed') ?? 1);
const out = flag('--out');
const figureFile = flag('--figure');
// checked now, not after the run: a folder or a device named by mistake lost the whole run's figure
if (figureFile) await atomicWriteTarget(figureFile);
const figureParts: Buffer[] = [];
const tilt = Number(flag('--tilt') ?? 0);
if (!Number.isInteger(notes) || notes < 1 || !Number.isInteger(seed) || seed < 0) {
  process.stderr.write('--notes takes a whole number >= 1, --seed a whole number >= 0 (e.g. --seed 2).\n');
  process.exit(1);
}
if (!Number.isFinite(tilt) || Math.abs(tilt) > 45) {
  process.stderr.write('--tilt takes degrees between -45 and 45 (e.g. --tilt 5).\n');
  process.exit(1);
}
const tilted = { on: { found: 0, right: 0 }, off: { found: 0, right: 0 }, lines: 0 };
const twoColumns = process.argv.includes('--columns');
const sizes = Number(flag('--sizes') ?? 1);
const sheet = Number(flag('--sheet') ?? 0);
if (!(sizes >= 1 && sizes <= 8) || !(sheet === 0 || sheet >= 64)) {
  process.stderr.write(
    '--sizes takes a ratio from 1 to 8 (e.g. --sizes 3); --sheet a height of 64 px or more.\n',
  );
  process.exit(1);
}
const readerFile = flag('--reader') ?? PIPELINE_READER;
const items = devSetItems('handwritten-amounts-dev');

interface Crop {
  grey: Buffer;
  width: number;
  height: number;
  label: string;
  bytes: Buffer;
}
async function crop(i: number, scale = 1): Promise<Crop> {
  const bytes = readFileSync(items[i]!.file);
  const meta = await sharp(bytes).metadata();
  const { data, info } = await sharp(bytes)
    .resize(Math.max(1, Math.round(meta.width! * scale)), Math.max(1, Math.round(meta.height! * scale)), {
      kernel: 'lanczos3',
    })
    .greyscale()
    .extractChannel(0)
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { grey: data, width: info.width, height: info.height, label: items[i]!.label, bytes };
}

/**
 * Crops one under another, left-aligned, a strip of a fifth of the crop's height between them; each crop's
 * paper (its median grey) fills its strip and its right side, as one sheet would.
 */
async function stack(crops: Crop[]): Promise<{ png: Buffer; rows: [number, number][] }> {
  const width = Math.max(...crops.map((c) => c.width));
  const gaps = crops.map((c) => Math.round(0.2 * c.height));
  const height = crops.reduce((s, c, i) => s + c.height + 2 * gaps[i]!, 0);
  const page = Buffer.alloc(width * height);
  const rows: [number, number][] = [];
  let top = 0;
  for (const [i, c] of crops.entries()) {
    const paper = [...c.grey].sort((a, b) => a - b)[c.grey.length >> 1]!;
    page.fill(paper, top * width, (top + c.height + 2 * gaps[i]!) * width);
    top += gaps[i]!;
    for (let y = 0; y < c.height; y++) c.grey.copy(page, (top + y) * width, y * c.width, (y + 1) * c.width);
    rows.push([top, top + c.height]);
    top += c.height + gaps[i]!;
  }
  return {
    png: await sharp(page, { raw: { width, height, channels: 1 } })
      .png()
      .toBuffer(),
    rows,
  };
}

/** A crop copied onto a page `width` px wide at (x, y), its grey shifted so that its paper (its median) is `paper`. */
function pasteOnPaper(page: Buffer, width: number, c: Crop, x: number, y: number, paper: number): void {
  const shift = paper - [...c.grey].sort((a, b) => a - b)[c.grey.length >> 1]!;
  for (let r = 0; r < c.height; r++)
    for (let k = 0; k < c.width; k++)
      page[(y + r) * width + x + k] = Math.max(0, Math.min(255, c.grey[r * c.width + k]! + shift));
}

/**
 * Two columns of crops side by side, `gutter` px apart, the right one `drop` px lower, with a `margin` all round,
 * on one sheet: each crop's grey shifted so that its paper (its median) is the sheet's, a fifth of its height of
 * paper above and below it. Each crop's box on the page, left column first.
 */
async function twoColumnNote(left: Crop[], right: Crop[], gutter: number, drop: number, margin: number) {
  const sheet = 225;
  const pitch = (c: Crop) => c.height + 2 * Math.round(0.2 * c.height);
  const columnHeight = (cs: Crop[]) => cs.reduce((s, c) => s + pitch(c), 0);
  const leftWidth = Math.max(...left.map((c) => c.width));
  const width = leftWidth + gutter + Math.max(...right.map((c) => c.width)) + 2 * margin;
  const height = Math.max(columnHeight(left), columnHeight(right) + drop) + 2 * margin;
  const page = Buffer.alloc(width * height, sheet);
  const boxes: { x: number; y: number; width: number; height: number }[] = [];
  const place = (cs: Crop[], x: number, top: number) => {
    let y = top;
    for (const c of cs) {
      y += Math.round(0.2 * c.height);
      pasteOnPaper(page, width, c, x, y, sheet);
      boxes.push({ x, y, width: c.width, height: c.height });
      y += c.height + Math.round(0.2 * c.height);
    }
  };
  place(left, margin, margin);
  place(right, margin + leftWidth + gutter, margin + drop);
  const png = await sharp(page, { raw: { width, height, channels: 1 } })
    .png()
    .toBuffer();
  return { png, boxes };
}

/** Notes of two columns of real amounts, read with the column finding on and off (--columns). */
async function readColumns(count: number): Promise<void> {
  const tally = { on: { found: 0, read: 0 }, off: { found: 0, read: 0 }, amounts: 0 };
  for (let n = 0; n < count; n++) {
    const pick = () =>
      Promise.all(
        Array.from({ length: 2 + Math.floor(rng.next() * 2) }, () =>
          crop(Math.floor(rng.next() * items.length)),
        ),
      );
    const [left, right] = [await pick(), await pick()];
    const tallest = Math.max(...[...left, ...right].map((c) => c.height));
    const gutter = Math.round(tallest * (1 + rng.next()));
    const drop = Math.round(left[0]!.height * (0.55 + 0.3 * rng.next()));
    const margin = Math.round(0.3 * tallest);
    const { png, boxes } = await twoColumnNote(left, right, gutter, drop, margin);
    const crops = [...left, ...right];
    tally.amounts += crops.length;
    for (const mode of ['on', 'off'] as const) {
      const lines = await prepareTextLines(png, { columns: mode === 'on' }).catch(() => []);
      const inOrder =
        lines.length === crops.length &&
        lines.every((l, i) => {
          const mx = boxes[i]!.x + boxes[i]!.width / 2;
          const my = boxes[i]!.y + boxes[i]!.height / 2;
          return mx >= l.box.x && mx < l.box.x + l.box.width && my >= l.box.y && my < l.box.y + l.box.height;
        });
      if (inOrder) tally[mode].found++;
      if (process.env.RAW && out && mode === 'on' && !inOrder)
        await writeFile(join(out, `raw-${n}.png`), png);
      if (out && mode === 'on' && (n < 4 || !inOrder))
        await writeFile(
          join(out, `${inOrder ? 'columns' : 'columns-missed'}-${n}.png`),
          await boxed(
            png,
            lines.map((l) => l.box),
          ),
        );
      if (!reader || lines.length === 0) continue;
      // Each amount read exactly by some line of the page (each line counted once).
      const readings = await reader.read(lines, { classes: 'digits' });
      if (figureFile && mode === 'on' && figureParts.length < 2)
        figureParts.push(
          await numbered(
            png,
            lines.map((l, i) => ({ box: l.box, text: readings[i]!.text })),
            crops.map((c) => c.label),
          ),
        );
      const texts = readings.map((r) => r.text);
      for (const c of crops) {
        const at = texts.indexOf(c.label);
        if (at < 0) continue;
        texts.splice(at, 1);
        tally[mode].read++;
      }
    }
  }
  const pct = (a: number, b: number) => `${((100 * a) / Math.max(1, b)).toFixed(1)}%`;
  const row = (m: 'on' | 'off') =>
    `${tally[m].found} notes with every line found in reading order (${pct(tally[m].found, count)})` +
    (reader ? `, ${tally[m].read} amounts read exactly (${pct(tally[m].read, tally.amounts)})` : '');
  if (figureFile) await writeFileAtomic(figureFile, await sideBySide(figureParts));
  process.stdout.write(
    `notes of two columns of 2-3 real cheque amounts each (${count}, ${tally.amounts} amounts, seed ${seed}): columns on: ${row('on')}; off: ${row('off')}\n`,
  );
}

const reader: LineReader | undefined = existsSync(readerFile)
  ? await createLineReader({ model: readerFile, intraOpThreads: 1 })
  : undefined;
const rng = createRng(seed);
let found = 0;
let lines = 0;
let same = 0;
let pageRight = 0;
let aloneRight = 0;
const load0 = loadavg()[0]!;
const t0 = performance.now();
if (out) mkdirSync(out, { recursive: true });
if (twoColumns) {
  await readColumns(notes);
  await reader?.close();
  process.stdout.write(
    `${((performance.now() - t0) / 1000).toFixed(1)} s; load average ${load0.toFixed(2)} -> ${loadavg()[0]!.toFixed(2)}\n`,
  );
  process.exit(0);
}
for (let n = 0; n < notes; n++) {
  const k = 2 + Math.floor(rng.next() * 3);
  const picks = Array.from({ length: k }, () => Math.floor(rng.next() * items.length));
  // Drawn after the picks, so that --sizes 1 keeps the notes of the bench's first version.
  const scales = picks.map(() => (sizes > 1 ? 1 / (1 + (sizes - 1) * rng.next()) : 1));
  const crops = await Promise.all(picks.map((i, j) => crop(i, scales[j])));
  const { png, rows } = sheet ? await onSheet(crops) : await stack(crops);
  const prepared = await prepareTextLines(png).catch(() => []);
  const right =
    prepared.length === k &&
    prepared.every((l, i) => {
      const mid = (rows[i]![0] + rows[i]![1]) / 2;
      return mid >= l.box.y && mid < l.box.y + l.box.height;
    });
  if (right) found++;
  if (out && (n < 6 || !right)) {
    const name = `${right ? 'note' : 'missed'}-${n}.png`;
    await writeFile(
      join(out, name),
      await boxed(
        png,
        prepared.map((l) => l.box),
      ),
    );
  }
  if (!reader || !right) continue;
  const page = await reader.readLines(png, { classes: 'digits' });
  for (const [i, c] of crops.entries()) {
    const alone = await reader.read(c.bytes, { classes: 'digits' });
    const text = page.lines[i]!.text;
    lines++;
    if (text === alone.text) same++;
    if (text === c.label) pageRight++;
    if (alone.text === c.label) aloneRight++;
  }
  if (figureFile && figureParts.length < 3) figureParts.push(await annotated(png, page.lines, crops));
  if (tilt) await readTilted(png, n % 2 ? -tilt : tilt, crops);
}
if (figureFile) await writeFileAtomic(figureFile, await sideBySide(figureParts));
const pct = (a: number, b: number) => `${((100 * a) / Math.max(1, b)).toFixed(1)}%`;
process.stdout.write(
  `notes of 2-4 real cheque amounts (seed ${seed}${sizes > 1 ? `, sizes up to ${sizes}x apart` : ''}${sheet ? `, on a sheet ${sheet} px high` : ''}): ${found} of ${notes} with every line found, in order (${pct(found, notes)})\n`,
);
if (reader) {
  process.stdout.write(
    `their ${lines} lines, digits class: read as the crop alone reads ${pct(same, lines)}; exact ${pct(pageRight, lines)} on the page, ${pct(aloneRight, lines)} alone (${readerFile})\n`,
  );
  // The dev sets' own images, one field each, read with layout=lines: how many lines each gives, and whether
  // one of them reads the field exactly, against reading the image as a field.
  for (const [set, classes] of DEV_SETS) {
    const rows = devSetItems(set);
    const perCount = new Map<number, number>();
    let anyRight = 0;
    let fieldRight = 0;
    for (const { file, label } of rows) {
      const bytes = readFileSync(file);
      const page = await reader.readLines(bytes, { classes }).catch(() => undefined);
      const field = await reader.read(bytes, { classes }).catch(() => undefined);
      if (field?.text === label) fieldRight++;
      if (!page) continue;
      perCount.set(page.lines.length, (perCount.get(page.lines.length) ?? 0) + 1);
      if (page.lines.some((l) => l.text === label)) anyRight++;
    }
    const counts = [...perCount].sort((a, b) => a[0] - b[0]).map(([n, c]) => `${c} with ${n}`);
    process.stdout.write(
      `${set} (${rows.length}) with layout=lines, ${classes}: ${counts.join(', ')} line(s); a line reads the truth for ${anyRight} (${pct(anyRight, rows.length)}), read as a field ${fieldRight} (${pct(fieldRight, rows.length)})\n`,
    );
  }
  if (tilt) {
    const row = (m: 'on' | 'off') =>
      `${tilted[m].found} notes with every line found (${pct(tilted[m].found, found)}), ${pct(tilted[m].right, tilted.lines)} of the lines exact`;
    process.stdout.write(
      `the same ${found} notes turned by ${tilt} degrees (every other by -${tilt}): page deskew on: ${row('on')}; off: ${row('off')}\n`,
    );
  }
} else process.stdout.write(`no reader at ${readerFile}: texts not compared (pass --reader)\n`);
await reader?.close();
process.stdout.write(
  `${((performance.now() - t0) / 1000).toFixed(1)} s; load average ${load0.toFixed(2)} -> ${loadavg()[0]!.toFixed(2)}\n`,
);

/**
 * Crops stacked as `stack` does, each crop's grey shifted so that its paper (its median) is the sheet's, laid at a
 * seeded place on a sheet `sheet` px high and 0.7 of that wide (--sheet): a field photographed on a whole page.
 */
async function onSheet(crops: Crop[]): Promise<{ png: Buffer; rows: [number, number][] }> {
  const paper = 225;
  const gaps = crops.map((c) => Math.round(0.2 * c.height));
  const noteWidth = Math.max(...crops.map((c) => c.width));
  const noteHeight = crops.reduce((s, c, i) => s + c.height + 2 * gaps[i]!, 0);
  const width = Math.max(noteWidth, Math.round(0.7 * sheet));
  const height = Math.max(noteHeight, sheet);
  const left = Math.floor(rng.next() * (width - noteWidth + 1));
  let top = Math.floor(rng.next() * (height - noteHeight + 1));
  const page = Buffer.alloc(width * height, paper);
  const rows: [number, number][] = [];
  for (const [i, c] of crops.entries()) {
    top += gaps[i]!;
    pasteOnPaper(page, width, c, left, top, paper);
    rows.push([top, top + c.height]);
    top += c.height + gaps[i]!;
  }
  const png = await sharp(page, { raw: { width, height, channels: 1 } })
    .png()
    .toBuffer();
  return { png, rows };
}

/** A note turned by `degrees` (corners its median grey), its lines found with the page deskew on and off, and read. */
async function readTilted(png: Buffer, degrees: number, crops: Crop[]): Promise<void> {
  const { data } = await sharp(png).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  const paper = [...data].sort((a, b) => a - b)[data.length >> 1]!;
  const turned = await sharp(png)
    .rotate(degrees, { background: { r: paper, g: paper, b: paper } })
    .png()
    .toBuffer();
  tilted.lines += crops.length;
  for (const mode of ['on', 'off'] as const) {
    const lines = await prepareTextLines(turned, { deskew: mode === 'on' }).catch(() => []);
    if (lines.length !== crops.length) continue;
    tilted[mode].found++;
    const texts = await reader!.read(lines, { classes: 'digits' });
    for (const [i, c] of crops.entries()) if (texts[i]!.text === c.label) tilted[mode].right++;
  }
}

/** The page with each found line's box drawn in black, for --out. */
async function boxed(png: Buffer, boxes: { x: number; y: number; width: number; height: number }[]) {
  const { data, info } = await sharp(png).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  const W = info.width;
  for (const b of boxes) {
    for (let x = b.x; x < b.x + b.width; x++) {
      data[b.y * W + x] = 0;
      data[(b.y + b.height - 1) * W + x] = 0;
    }
    for (let y = b.y; y < b.y + b.height; y++) {
      data[y * W + b.x] = 0;
      data[y * W + b.x + b.width - 1] = 0;
    }
  }
  return sharp(data, { raw: { width: W, height: info.height, channels: 1 } })
    .png()
    .toBuffer();
}

/** A note with its boxes and, right of each line, what was read and the truth (green when they agree). */
async function annotated(
  png: Buffer,
  lines: { text: string; confidence: number; box: { x: number; y: number; width: number; height: number } }[],
  crops: Crop[],
): Promise<Buffer> {
  const note = await sharp(
    await boxed(
      png,
      lines.map((l) => l.box),
    ),
  ).metadata();
  const panel = 230;
  const esc = (t: string) => t.replace(/[<>&]/g, '');
  const rows = lines
    .map((l, i) => {
      const y = l.box.y + l.box.height / 2;
      const ok = l.text === crops[i]!.label;
      return `<text x="10" y="${y - 2}" font-family="DejaVu Sans Mono" font-size="17" fill="${ok ? '#1a7f37' : '#c01c28'}">${esc(l.text) || '(nothing)'}</text>
<text x="10" y="${y + 16}" font-family="DejaVu Sans" font-size="12" fill="#555">truth ${esc(crops[i]!.label)}, p ${l.confidence.toFixed(2)}</text>`;
    })
    .join('\n');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${panel}" height="${note.height}"><rect width="100%" height="100%" fill="#fff"/>${rows}</svg>`;
  return sharp({
    create: { width: note.width! + panel, height: note.height!, channels: 3, background: '#fff' },
  })
    .composite([
      {
        input: await boxed(
          png,
          lines.map((l) => l.box),
        ),
        left: 0,
        top: 0,
      },
      { input: Buffer.from(svg), left: note.width!, top: 0 },
    ])
    .png()
    .toBuffer();
}

/**
 * A note with each found line's box numbered in reading order and, below it, what each line read beside the
 * truth in reading order (green when they agree).
 */
async function numbered(png: Buffer, lines: { box: Box; text: string }[], truths: string[]): Promise<Buffer> {
  const meta = await sharp(png).metadata();
  const esc = (t: string) => t.replace(/[<>&]/g, '');
  const boxes = lines
    .map(
      ({ box: b }, i) =>
        `<rect x="${b.x}" y="${b.y}" width="${b.width}" height="${b.height}" fill="none" stroke="#1c71d8" stroke-width="2"/>` +
        `<text x="${b.x + 3}" y="${b.y + 15}" font-family="DejaVu Sans" font-size="14" font-weight="bold" fill="#1c71d8">${i + 1}</text>`,
    )
    .join('');
  const listHeight = 20 * lines.length + 10;
  const list = lines
    .map((l, i) => {
      const ok = l.text === truths[i];
      return `<text x="6" y="${meta.height! + 20 * (i + 1)}" font-family="DejaVu Sans Mono" font-size="14" fill="${ok ? '#1a7f37' : '#c01c28'}">${i + 1}. ${esc(l.text) || '(nothing)'}  (truth ${esc(truths[i] ?? '')})</text>`;
    })
    .join('');
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${meta.width}" height="${meta.height! + listHeight}">${boxes}${list}</svg>`;
  return sharp({
    create: { width: meta.width!, height: meta.height! + listHeight, channels: 3, background: '#fff' },
  })
    .composite([
      { input: png, left: 0, top: 0 },
      { input: Buffer.from(svg), left: 0, top: 0 },
    ])
    .png()
    .toBuffer();
}

type Box = { x: number; y: number; width: number; height: number };

/** Figures side by side on white, 16 px apart. */
async function sideBySide(parts: Buffer[]): Promise<Buffer> {
  const metas = await Promise.all(parts.map((p) => sharp(p).metadata()));
  const width = metas.reduce((w, m) => w + m.width! + 16, 16);
  const height = Math.max(...metas.map((m) => m.height!)) + 32;
  let left = 16;
  const layers = parts.map((input, i) => {
    const layer = { input, left, top: 16 };
    left += metas[i]!.width! + 16;
    return layer;
  });
  return sharp({ create: { width, height, channels: 3, background: '#fff' } })
    .composite(layers)
    .png()
    .toBuffer();
}
