/**
 * How much accuracy the photo pipeline keeps: random canonical test images (letters test split, and the
 * EMNIST-digits "extra" split no model trains on) are recognised as given (28x28) and after being turned
 * into phone-photo-like JPEGs (random size 80-220 px, grey paper 150-240, ink 20-90, light gradient, noise,
 * blur, JPEG q40-90) that go through the whole preprocessing. Needs prepared shards.
 *
 *   node --conditions=source --import tsx packages/serve-onnx/bench/photo-accuracy.ts [model.onnx] [--n 600] [--edge-blur x]
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRng } from '@hcr/core';
import { openDataset } from '@hcr/data';
import sharp from 'sharp';
import { createRecognizer, type PreprocessOptions } from '../src/index.js';

const ROOT = resolve(fileURLToPath(new URL('../../../', import.meta.url)));

/** A canonical 28x28 character as a phone-photo-like JPEG (exported for the rejection bench). */
export async function asPhoto(px: Uint8Array, rng: ReturnType<typeof createRng>): Promise<Buffer> {
  const size = 80 + rng.int(140);
  const { data, info } = await sharp(Buffer.from(px), { raw: { width: 28, height: 28, channels: 1 } })
    .resize(size, size, { kernel: 'cubic' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  const paper = 150 + rng.int(90);
  const ink = 20 + rng.int(70);
  const gradient = rng.int(80);
  const noise = 3 + rng.int(10);
  const rgb = Buffer.alloc(size * size * 3);
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      const c = data[(y * size + x) * info.channels]! / 255;
      const v = paper - gradient * ((x + y) / (2 * size)) + c * (ink - paper) + noise * rng.normal();
      const g = Math.max(0, Math.min(255, v));
      rgb.set([g, g * 0.97, g * 0.92], (y * size + x) * 3);
    }
  return sharp(rgb, { raw: { width: size, height: size, channels: 3 } })
    .blur(rng.next() < 0.5 ? 0.8 : 0.3)
    .jpeg({ quality: 40 + rng.int(50) })
    .toBuffer();
}

export async function benchPhotoAccuracy(
  model: string,
  n = 600,
  preprocess: PreprocessOptions = {},
  shards = resolve(ROOT, 'artifacts/data/shards'),
) {
  const rec = await createRecognizer({ model, preprocess });
  const ds = await openDataset(shards);
  const rng = createRng(99);
  const rows = [];
  for (const split of ['test', 'extra'] as const) {
    const d = await ds.loadSplit(split);
    let raw = 0;
    let photo = 0;
    let photoDigits = 0;
    for (let k = 0; k < n; k++) {
      const i = rng.int(d.count);
      const px = d.pixels.subarray(i * 784, (i + 1) * 784);
      const label = d.labels[i]!;
      if (rec.rank(await rec.infer([px]), 0).classIndex === label) raw++;
      const jpg = await asPhoto(px, rng);
      if ((await rec.recognize(jpg)).classIndex === label) photo++;
      if (split === 'extra' && (await rec.recognize(jpg, { classes: 'digits' })).classIndex === label)
        photoDigits++;
    }
    rows.push({
      split,
      images: n,
      raw28x28: raw / n,
      asPhotos: photo / n,
      ...(split === 'extra' ? { asPhotosDigitsOnly: photoDigits / n } : {}),
    });
  }
  await rec.close();
  return { model: rec.info.id, rows };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const nAt = args.indexOf('--n');
  const n = nAt >= 0 ? Number(args[nAt + 1]) : 600;
  const blurAt = args.indexOf('--edge-blur');
  const preprocess = blurAt >= 0 ? { edgeBlur: Number(args[blurAt + 1]) } : {};
  const model =
    args.find((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--')) ??
    resolve(ROOT, 'packages/serve-onnx/test/fixtures/hcr-mlp.onnx');
  const r = await benchPhotoAccuracy(model, n, preprocess);
  const pct = (x: number | undefined) => (x === undefined ? '' : `${(x * 100).toFixed(1)}%`);
  process.stdout.write(`model ${r.model}\n`);
  for (const row of r.rows)
    process.stdout.write(
      `${row.split.padEnd(6)} ${row.images} images: 28x28 ${pct(row.raw28x28)}, as photos ${pct(row.asPhotos)}${'asPhotosDigitsOnly' in row ? `, as photos with classes=digits ${pct(row.asPhotosDigitsOnly)}` : ''}\n`,
    );
}
