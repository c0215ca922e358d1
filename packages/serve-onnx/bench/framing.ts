/**
 * `pnpm bench framing [--reader file.onnx]`
 *
 * How much the real dev sets' figures depend on how each image was cut: every name and amount read (names with
 * the letters class, amounts with digits) as it is, with a border of its own paper (its median grey) of 5%, 10%
 * and 20% of its height on every side, and with 2 px cut off every side. The same writing in each; a reader and
 * a preprocessing that read it alike read a held-out set cut another way as well as this one.
 * The reader: --reader, else the pipeline's artifacts/model/reader/model.onnx.
 */
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import sharp from 'sharp';
import { createLineReader } from '../src/index.js';
import { DEV_SETS, devSetItems, PIPELINE_READER } from './dev-sets.js';

const i = process.argv.indexOf('--reader');
const readerFile = i > 0 ? process.argv[i + 1]! : PIPELINE_READER;
if (!existsSync(readerFile)) {
  process.stderr.write(`No reader at ${readerFile}: run the pipeline or pass --reader.\n`);
  process.exit(1);
}
const reader = await createLineReader({ model: readerFile, intraOpThreads: 1 });
const load0 = loadavg()[0]!;

/** The image and its reframings: paper borders and a 2-px trim. */
async function framings(bytes: Buffer): Promise<Record<string, Buffer>> {
  const { data, info } = await sharp(bytes)
    .greyscale()
    .extractChannel(0)
    .raw()
    .toBuffer({ resolveWithObject: true });
  const raw = () => sharp(data, { raw: { width: info.width, height: info.height, channels: 1 } });
  const paper = [...data].sort((a, b) => a - b)[data.length >> 1]!;
  const out: Record<string, Buffer> = { 'as cut': bytes };
  for (const share of [0.05, 0.1, 0.2]) {
    const p = Math.max(1, Math.round(share * info.height));
    out[`paper border ${share * 100}%`] = await raw()
      .extend({ top: p, bottom: p, left: p, right: p, background: { r: paper, g: paper, b: paper } })
      .png()
      .toBuffer();
  }
  out['2 px trimmed'] = await raw()
    .extract({ left: 2, top: 2, width: info.width - 4, height: info.height - 4 })
    .png()
    .toBuffer();
  return out;
}

for (const [set, classes] of DEV_SETS) {
  const items = devSetItems(set);
  const right = new Map<string, number>();
  for (const { file, label } of items) {
    for (const [name, bytes] of Object.entries(await framings(readFileSync(file)))) {
      const text = await reader
        .read(bytes, { classes })
        .then((r) => r.text)
        .catch(() => undefined);
      right.set(name, (right.get(name) ?? 0) + (text === label ? 1 : 0));
    }
  }
  const cells = [...right].map(([name, n]) => `${name} ${((100 * n) / items.length).toFixed(2)}%`);
  process.stdout.write(`${set} (${items.length}, ${classes}), exact: ${cells.join(', ')}\n`);
}
await reader.close();
process.stdout.write(
  `reader ${readerFile}; load average ${load0.toFixed(2)} -> ${loadavg()[0]!.toFixed(2)}\n`,
);
