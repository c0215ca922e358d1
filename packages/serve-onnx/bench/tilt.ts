/**
 * `pnpm bench tilt [--reader file.onnx] [--angles 0,3,-3,6,-6,10,-10]`
 *
 * How well the reader reads a field photographed or scanned at an angle: every name (letters class) and amount
 * (digits class) of the real dev sets turned by each angle (degrees, clockwise on screen; the corners show more
 * of its own paper: its ground without the writing, mirrored outwards before the turn), read with the line
 * preprocessing's `deskew` on (the default: a line leaning 2-15 degrees is turned flat) and off (read as it
 * lies). Both go through the same decode and preprocessing; only the option differs. Also: how many lines the
 * preprocessing turned, and the preprocessing's time per image at angle 0 with the option on and off.
 * The reader: --reader, else the pipeline's artifacts/model/reader/model.onnx.
 * --figure file.png: the first four names turned by the steepest angle asked for, each beside its 32-px line as
 * it lies and turned flat, with what the reader read from each.
 */
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { atomicWriteTarget, writeFileAtomic } from '@hcr/core';
import { flatten, type GreyImage, type LineImage, preprocessLine } from '@hcr/image';
import { DEFAULT_LINE_LIMITS, decodeImage } from '@hcr/image/decode';
import sharp from 'sharp';
import { createLineReader } from '../src/index.js';
import { DEV_SETS, devSetItems, PIPELINE_READER } from './dev-sets.js';

const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const readerFile = arg('--reader') ?? PIPELINE_READER;
const angles = (arg('--angles') ?? '0,3,-3,6,-6,10,-10').split(',').map(Number);
if (angles.some((a) => !Number.isFinite(a) || Math.abs(a) > 45)) {
  process.stderr.write('--angles takes degrees between -45 and 45, comma-separated (e.g. 0,5,-5).\n');
  process.exit(1);
}
const figureFile = arg('--figure');
// checked now, not after the run: a folder or a device named by mistake lost the whole run's figure
if (figureFile) await atomicWriteTarget(figureFile);
if (!existsSync(readerFile)) {
  process.stderr.write(`No reader at ${readerFile}: run the pipeline or pass --reader.\n`);
  process.exit(1);
}
const figureAngle = angles.reduce((a, b) => (Math.abs(b) > Math.abs(a) ? b : a), 0);
const figureRows: Buffer[] = [];
const reader = await createLineReader({ model: readerFile, intraOpThreads: 1 });
const load0 = loadavg()[0]!;

/**
 * The image turned by `degrees`, cut to the box that holds all of it, as a photo of the tilted field would be:
 * the corners show more of the same paper (its ground with the writing lifted out, mirrored outwards), not a
 * flat fill, whose edge against a shaded or patterned ground would read as ink. Then decoded as serving does.
 */
async function turned(bytes: Buffer, degrees: number): Promise<GreyImage> {
  let input = bytes;
  if (degrees !== 0) {
    const { data, info } = await sharp(bytes)
      .greyscale()
      .extractChannel(0)
      .raw()
      .toBuffer({ resolveWithObject: true });
    const [w, h] = [info.width, info.height];
    const raw = { width: w, height: h, channels: 1 as const };
    const [c, s] = [Math.cos((degrees * Math.PI) / 180), Math.abs(Math.sin((degrees * Math.PI) / 180))];
    const pad = Math.ceil((w + h) * s) + 4;
    // the paper under the writing: @hcr/image's background estimate (grey + how much darker each pixel is)
    const grey = Float32Array.from(data);
    const lifted = flatten(grey, w, h);
    const paper = Uint8Array.from(grey, (v, i) => Math.min(255, v + lifted[i]!));
    const ground = await sharp(paper, { raw })
      .extend({ top: pad, bottom: pad, left: pad, right: pad, extendWith: 'mirror' })
      .png()
      .toBuffer();
    const padded = await sharp(ground)
      .composite([{ input: data, raw, left: pad, top: pad }])
      .png()
      .toBuffer();
    const rotated = await sharp(padded).rotate(degrees).png().toBuffer();
    const r = await sharp(rotated).metadata();
    const [bw, bh] = [Math.ceil(w * c + h * s), Math.ceil(w * s + h * c)];
    const box = { left: (r.width! - bw) >> 1, top: (r.height! - bh) >> 1, width: bw, height: bh };
    input = await sharp(rotated).extract(box).png().toBuffer();
  }
  const img = await decodeImage(input, { workingSize: DEFAULT_LINE_LIMITS.workingSize });
  return { width: img.width, height: img.height, data: img.values, channels: 1 };
}

const ms = { on: 0, off: 0 };
let timed = 0;
for (const [set, classes] of DEV_SETS) {
  const items = devSetItems(set);
  const right = { on: new Map<number, number>(), off: new Map<number, number>() };
  const turnedLines = new Map<number, number>();
  for (const { file, label } of items) {
    const bytes = readFileSync(file);
    for (const degrees of angles) {
      const grey = await turned(bytes, degrees);
      const drawn: { line: LineImage; text: string }[] = [];
      for (const mode of ['off', 'on'] as const) {
        const t0 = performance.now();
        let text: string | undefined;
        try {
          const line = preprocessLine(grey, { deskew: mode === 'on' });
          if (degrees === 0) ms[mode] += performance.now() - t0;
          if (mode === 'on' && line.skew !== 0) turnedLines.set(degrees, (turnedLines.get(degrees) ?? 0) + 1);
          const prepared = { ...line, source: { format: 'png', width: grey.width, height: grey.height } };
          text = (await reader.read(prepared, { classes })).text;
          drawn.push({ line, text });
        } catch {
          text = undefined;
        }
        right[mode].set(degrees, (right[mode].get(degrees) ?? 0) + (text === label ? 1 : 0));
      }
      if (degrees === 0) timed++;
      const wanted = figureFile && set === DEV_SETS[0][0] && degrees === figureAngle && figureRows.length < 4;
      if (wanted && drawn.length === 2) figureRows.push(await figureRow(grey, drawn, label));
    }
  }
  const pct = (n = 0) => `${((100 * n) / items.length).toFixed(2)}%`;
  process.stdout.write(`${set} (${items.length}, ${classes}), exact by angle:\n`);
  for (const degrees of angles)
    process.stdout.write(
      `  ${String(degrees).padStart(4)} deg: deskew on ${pct(right.on.get(degrees))} (turned ${turnedLines.get(degrees) ?? 0}), off ${pct(right.off.get(degrees))}\n`,
    );
}
await reader.close();
if (figureFile) await writeFileAtomic(figureFile, await stacked(figureRows, figureAngle));
if (timed)
  process.stdout.write(
    `preprocessing at 0 deg: ${(ms.on / timed).toFixed(2)} ms/image with deskew, ${(ms.off / timed).toFixed(2)} without\n`,
  );
process.stdout.write(
  `reader ${readerFile}; load average ${load0.toFixed(2)} -> ${loadavg()[0]!.toFixed(2)}\n`,
);

/** Text as SVG, for captions. */
function caption(text: string, width: number, height: number, size = 15): Buffer {
  const esc = text.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><text x="0" y="${size + 2}" font-family="DejaVu Sans" font-size="${size}" fill="#333">${esc}</text></svg>`,
  );
}

/** One name: the turned image, then its 32-px line as it lies and turned flat (2x, dark on white), each with its reading. */
async function figureRow(
  grey: GreyImage,
  drawn: { line: LineImage; text: string }[],
  label: string,
): Promise<Buffer> {
  const image = await sharp(Uint8Array.from(grey.data), {
    raw: { width: grey.width, height: grey.height, channels: 1 },
  })
    .resize({ height: 96 })
    .png()
    .toBuffer();
  const lines = await Promise.all(
    drawn.map(({ line }) =>
      sharp(
        Uint8Array.from(line.pixels, (v) => 255 - v),
        { raw: { width: line.width, height: line.height, channels: 1 } },
      )
        .resize(line.width * 2, line.height * 2, { kernel: 'nearest' })
        .png()
        .toBuffer(),
    ),
  );
  const imageW = (await sharp(image).metadata()).width!;
  const lineW = Math.max(...drawn.map(({ line }) => line.width * 2));
  const width = imageW + 24 + lineW + 260;
  const layers: { input: Buffer; left: number; top: number }[] = [{ input: image, left: 0, top: 0 }];
  const notes = [
    `as it lies: ${drawn[0]!.text || '(nothing)'}`,
    `turned flat: ${drawn[1]!.text || '(nothing)'}`,
  ];
  drawn.forEach((_, i) => {
    layers.push({ input: lines[i]!, left: imageW + 24, top: i * 72 });
    layers.push({ input: caption(notes[i]!, 250, 24), left: imageW + 36 + lineW, top: i * 72 + 20 });
  });
  layers.push({ input: caption(`truth: ${label}`, 250, 24), left: imageW + 36 + lineW, top: 136 });
  return sharp({ create: { width, height: 160, channels: 3, background: '#fff' } })
    .composite(layers)
    .png()
    .toBuffer();
}

/** Rows one under another on white, under a title. */
async function stacked(rows: Buffer[], degrees: number): Promise<Buffer> {
  const metas = await Promise.all(rows.map((r) => sharp(r).metadata()));
  const width = Math.max(600, ...metas.map((m) => m.width!)) + 32;
  const title = `Names turned by ${degrees} degrees: the reader's 32-px line as it lies and turned flat (deskew)`;
  let top = 40;
  const layers = rows.map((input, i) => {
    const layer = { input, left: 16, top };
    top += metas[i]!.height! + 16;
    return layer;
  });
  return sharp({ create: { width, height: top, channels: 3, background: '#fff' } })
    .composite([{ input: caption(title, width, 30), left: 16, top: 6 }, ...layers])
    .png()
    .toBuffer();
}
