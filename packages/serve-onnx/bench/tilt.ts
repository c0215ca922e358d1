/**
 * `pnpm bench tilt [--reader file.onnx] [--angles 0,3,-3,6,-6,10,-10]`
 *
 * How well the reader reads a field photographed or scanned at an angle: every name (letters class) and amount
 * (digits class) of the real dev sets turned by each angle (degrees, clockwise on screen; the corners show
 * more of its own paper: its ground without the writing, mirrored outwards before the turn), read with the line preprocessing's `deskew` on (the
 * default: a line leaning 2-15 degrees is turned flat) and off (read as it lies). Both go through the same
 * decode and preprocessing; only the option differs. Also: how many lines the preprocessing turned, and the
 * preprocessing's time per image at angle 0 with the option on and off.
 * The reader: --reader, else the pipeline's artifacts/model/reader/model.onnx.
 */
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { flatten, type GreyImage, preprocessLine } from '@hcr/image';
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
if (!existsSync(readerFile)) {
  process.stderr.write(`No reader at ${readerFile}: run the pipeline or pass --reader.\n`);
  process.exit(1);
}
const reader = await createLineReader({ model: readerFile, intraOpThreads: 1 });
const load0 = loadavg()[0]!;

/**
 * The image turned by `degrees`, cut to the box that holds all of it, as a photo of the tilted field would be:
 * the corners show more of the same ground (the image mirrored at its edges before the turn), not a flat
 * fill, whose edge against a shaded or patterned ground would read as ink. Then decoded as serving does.
 */
async function turned(bytes: Buffer, degrees: number): Promise<GreyImage> {
  let input = bytes;
  if (degrees !== 0) {
    const { width: w, height: h } = await sharp(bytes).metadata();
    const [c, s] = [Math.cos((degrees * Math.PI) / 180), Math.abs(Math.sin((degrees * Math.PI) / 180))];
    const pad = Math.ceil((w! + h!) * s) + 4;
    // The ground beyond the edges: the paper under the writing (@hcr/image's background, the writing lifted
    // out), mirrored outwards; a flat fill would leave an edge against a shaded or patterned ground.
    const { data, info } = await sharp(bytes)
      .greyscale()
      .extractChannel(0)
      .raw()
      .toBuffer({ resolveWithObject: true });
    const grey = Float32Array.from(data);
    const lifted = flatten(grey, info.width, info.height);
    const paper = Uint8Array.from(grey, (v, i) => Math.min(255, v + lifted[i]!));
    const ground = await sharp(paper, { raw: { width: info.width, height: info.height, channels: 1 } })
      .extend({ top: pad, bottom: pad, left: pad, right: pad, extendWith: 'mirror' })
      .png()
      .toBuffer();
    const padded = await sharp(ground)
      .composite([{ input: await sharp(bytes).greyscale().png().toBuffer(), left: pad, top: pad }])
      .png()
      .toBuffer();
    const rotated = await sharp(padded).rotate(degrees).png().toBuffer();
    const r = await sharp(rotated).metadata();
    const [bw, bh] = [Math.ceil(w! * c + h! * s), Math.ceil(w! * s + h! * c)];
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
      for (const mode of ['on', 'off'] as const) {
        const t0 = performance.now();
        let text: string | undefined;
        try {
          const line = preprocessLine(grey, { deskew: mode === 'on' });
          if (degrees === 0) ms[mode] += performance.now() - t0;
          if (mode === 'on' && line.skew !== 0) turnedLines.set(degrees, (turnedLines.get(degrees) ?? 0) + 1);
          const prepared = { ...line, source: { format: 'png', width: grey.width, height: grey.height } };
          text = (await reader.read(prepared, { classes })).text;
        } catch {
          text = undefined;
        }
        right[mode].set(degrees, (right[mode].get(degrees) ?? 0) + (text === label ? 1 : 0));
      }
      if (degrees === 0) timed++;
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
if (timed)
  process.stdout.write(
    `preprocessing at 0 deg: ${(ms.on / timed).toFixed(2)} ms/image with deskew, ${(ms.off / timed).toFixed(2)} without\n`,
  );
process.stdout.write(
  `reader ${readerFile}; load average ${load0.toFixed(2)} -> ${loadavg()[0]!.toFixed(2)}\n`,
);
