/**
 * `pnpm bench framing [--reader file.onnx] [--bands-only] [--figure file.png]`
 *
 * How much the real dev sets' figures depend on how each image was cut: every name and amount read (names with
 * the letters class, amounts with digits) as it is, re-encoded as the grey PNG the other framings are made from
 * (the control: it reads as cut), with a border of its own paper (its median grey) of 5%, 10% and 20% of its
 * height on every side, and with 2 px cut off every side. The same writing in each; a reader and
 * a preprocessing that read it alike read a held-out set cut another way as well as this one.
 *
 * Beside the reading, without a reader: how many images' ink band (`preprocessLine`'s crop, mapped back to the
 * image as cut) lies apart from the band as cut (boxes overlapping by less than 0.8 of their union), with the
 * preprocessing's `edgesInside` on (the default) and off, so the two are compared in one run.
 * The reader: --reader, else the pipeline's artifacts/model/reader/model.onnx; --bands-only skips reading.
 * --figure: the first six names whose band with a 5% border differs between edgesInside off and on, each drawn
 * with both bands (off red, on green).
 */
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { atomicWriteTarget, writeFileAtomic } from '@hcr/core';
import { type GreyImage, preprocessLine } from '@hcr/image';
import sharp from 'sharp';
import { createLineReader } from '../src/index.js';
import { DEV_SETS, devSetItems, PIPELINE_READER } from './dev-sets.js';

const bandsOnly = process.argv.includes('--bands-only');
const f = process.argv.indexOf('--figure');
const figureFile = f > 0 ? process.argv[f + 1] : undefined;
// checked now, not after the run: a folder or a device named by mistake lost the whole run's figure
if (figureFile) await atomicWriteTarget(figureFile);
const figureParts: Buffer[] = [];
const i = process.argv.indexOf('--reader');
const readerFile = i > 0 ? process.argv[i + 1]! : PIPELINE_READER;
if (!bandsOnly && !existsSync(readerFile)) {
  process.stderr.write(`No reader at ${readerFile}: run the pipeline, pass --reader, or --bands-only.\n`);
  process.exit(1);
}
const reader = bandsOnly ? undefined : await createLineReader({ model: readerFile, intraOpThreads: 1 });
const load0 = loadavg()[0]!;

type Box = { x: number; y: number; width: number; height: number };
/** One way of framing an image: its bytes, its grey pixels, and where the image as cut sits in it. */
interface Framing {
  name: string;
  bytes: Buffer;
  grey: GreyImage;
  dx: number;
  dy: number;
}

/** The image and its reframings: paper borders and a 2-px trim. */
async function framings(bytes: Buffer): Promise<Framing[]> {
  const { data, info } = await sharp(bytes)
    .greyscale()
    .extractChannel(0)
    .raw()
    .toBuffer({ resolveWithObject: true });
  const raw = () => sharp(data, { raw: { width: info.width, height: info.height, channels: 1 } });
  const framing = async (
    name: string,
    img: ReturnType<typeof sharp>,
    dx: number,
    dy: number,
  ): Promise<Framing> => {
    const out = await img.extractChannel(0).raw().toBuffer({ resolveWithObject: true });
    const grey = { width: out.info.width, height: out.info.height, data: out.data };
    const rawInfo = { width: out.info.width, height: out.info.height, channels: 1 as const };
    return { name, bytes: await sharp(out.data, { raw: rawInfo }).png().toBuffer(), grey, dx, dy };
  };
  const paper = [...data].sort((a, b) => a - b)[data.length >> 1]!;
  const out: Framing[] = [
    { name: 'as cut', bytes, grey: { width: info.width, height: info.height, data }, dx: 0, dy: 0 },
  ];
  // The control: the same grey pixels re-encoded with no border, so a border's effect is told from the conversion's.
  out.push(await framing('grey PNG, no border', raw(), 0, 0));
  for (const share of [0.05, 0.1, 0.2]) {
    const p = Math.max(1, Math.round(share * info.height));
    const bordered = raw().extend({
      top: p,
      bottom: p,
      left: p,
      right: p,
      background: { r: paper, g: paper, b: paper },
    });
    out.push(await framing(`paper border ${share * 100}%`, bordered, p, p));
  }
  const trimmed = raw().extract({ left: 2, top: 2, width: info.width - 4, height: info.height - 4 });
  out.push(await framing('2 px trimmed', trimmed, -2, -2));
  return out;
}

/** The kept band in the image as cut's pixels, or undefined when there is none. */
function band(f: Framing, edgesInside: boolean): Box | undefined {
  try {
    const { crop } = preprocessLine(f.grey, { edgesInside });
    return { ...crop, x: crop.x - f.dx, y: crop.y - f.dy };
  } catch {
    return undefined;
  }
}

function overlap(a: Box | undefined, b: Box | undefined): number {
  if (!a || !b) return 0;
  const ix = Math.max(0, Math.min(a.x + a.width, b.x + b.width) - Math.max(a.x, b.x));
  const iy = Math.max(0, Math.min(a.y + a.height, b.y + b.height) - Math.max(a.y, b.y));
  return (ix * iy) / (a.width * a.height + b.width * b.height - ix * iy);
}

for (const [set, classes] of DEV_SETS) {
  const items = devSetItems(set);
  const right = new Map<string, number>();
  const apart = { on: new Map<string, number>(), off: new Map<string, number>() };
  const count = (m: Map<string, number>, k: string, yes: boolean) =>
    m.set(k, (m.get(k) ?? 0) + (yes ? 1 : 0));
  for (const { file, label } of items) {
    const fs = await framings(readFileSync(file));
    // Each framing's band with the option on and off; [0] is the image as cut.
    const bands = { on: fs.map((f) => band(f, true)), off: fs.map((f) => band(f, false)) };
    const border = fs.findIndex((f) => f.name === 'paper border 5%');
    for (const mode of ['on', 'off'] as const)
      for (const [j, f] of fs.entries())
        if (j > 0) count(apart[mode], f.name, overlap(bands[mode][0], bands[mode][j]) < 0.8);
    const [on, off] = [bands.on[border], bands.off[border]];
    if (figureFile && set === 'handwritten-names-dev' && figureParts.length < 6 && overlap(on, off) < 0.8)
      figureParts.push(await bothBands(fs[border]!, on, off));
    if (!reader) continue;
    for (const f of fs) {
      const text = await reader
        .read(f.bytes, { classes })
        .then((r) => r.text)
        .catch(() => undefined);
      count(right, f.name, text === label);
    }
  }
  const pct = (n: number) => `${((100 * n) / items.length).toFixed(2)}%`;
  if (reader) {
    const cells = [...right].map(([name, n]) => `${name} ${pct(n)}`);
    process.stdout.write(`${set} (${items.length}, ${classes}), exact: ${cells.join(', ')}\n`);
  }
  for (const mode of ['on', 'off'] as const) {
    const cells = [...apart[mode]].map(([name, n]) => `${name} ${n}`);
    process.stdout.write(
      `${set}: bands apart from the band as cut, edgesInside ${mode}: ${cells.join(', ')}\n`,
    );
  }
}
if (figureFile) await writeFileAtomic(figureFile, await stacked(figureParts));
await reader?.close();
process.stdout.write(
  `${reader ? `reader ${readerFile}; ` : ''}load average ${load0.toFixed(2)} -> ${loadavg()[0]!.toFixed(2)}\n`,
);

/** The bordered image at 2x with the band kept with edgesInside off (red, dashed) and on (green). */
async function bothBands(fr: Framing, on: Box | undefined, off: Box | undefined): Promise<Buffer> {
  const s = 2;
  const { width, height } = fr.grey;
  const rect = (b: Box | undefined, colour: string, dash: string) =>
    b
      ? `<rect x="${(b.x + fr.dx) * s}" y="${(b.y + fr.dy) * s}" width="${b.width * s}" height="${b.height * s}" fill="none" stroke="${colour}" stroke-width="3" stroke-dasharray="${dash}"/>`
      : '';
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width * s}" height="${height * s}">${rect(off, '#c01c28', '8 4')}${rect(on, '#1a7f37', '')}</svg>`;
  return sharp(fr.grey.data as Uint8Array, { raw: { width, height, channels: 1 } })
    .resize(width * s, height * s, { kernel: 'nearest' })
    .toColourspace('srgb')
    .composite([{ input: Buffer.from(svg) }])
    .png()
    .toBuffer();
}

/** Images one under another on white, with a caption line on top. */
async function stacked(parts: Buffer[]): Promise<Buffer> {
  const metas = await Promise.all(parts.map((p) => sharp(p).metadata()));
  const caption = 36;
  const width = Math.max(...metas.map((m) => m.width!)) + 32;
  let top = caption + 8;
  const layers = parts.map((input, i) => {
    const layer = { input, left: 16, top };
    top += metas[i]!.height! + 12;
    return layer;
  });
  const text = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${caption}"><text x="16" y="24" font-family="DejaVu Sans" font-size="15" fill="#333">Names on a paper border of 5%: band kept without edgesInside (red, dashed) and with it (green)</text></svg>`;
  return sharp({ create: { width, height: top + 4, channels: 3, background: '#fff' } })
    .composite([{ input: Buffer.from(text), left: 0, top: 0 }, ...layers])
    .png()
    .toBuffer();
}
