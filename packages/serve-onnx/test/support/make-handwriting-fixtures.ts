/**
 * Writes test/fixtures/handwriting/*.jpg: real handwritten characters (EMNIST letters test split and the
 * EMNIST digits "extra" split, neither used to train the fixture model) as phone-photo-like JPEGs:
 * dark ink on grey paper, upscaled, uneven light, noise. Deterministic.
 *
 *   node --conditions=source --import tsx packages/serve-onnx/test/support/make-handwriting-fixtures.ts
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createRng, LABEL_SPACE_36 } from '@hcr/core';
import { openDataset } from '@hcr/data';
import sharp from 'sharp';

const SHARDS = resolve(process.env.HCR_SHARDS ?? 'artifacts/data/shards');
const OUT = resolve('packages/serve-onnx/test/fixtures/handwriting');
const PER_CLASS = 2;
const rng = createRng(11);
const ds = await openDataset(SHARDS);
const test = await ds.loadSplit('test');
const extra = await ds.loadSplit('extra');
await mkdir(OUT, { recursive: true });

for (let c = 0; c < 36; c++) {
  const split = c < 10 ? extra : test; // digits: writers unseen in training (EMNIST digits)
  const idx: number[] = [];
  for (let i = 0; i < split.count; i++) if (split.labels[i] === c) idx.push(i);
  for (let k = 0; k < PER_CLASS; k++) {
    const i = idx[rng.int(idx.length)]!;
    const size = 96 + rng.int(64);
    const { data: up, info } = await sharp(Buffer.from(split.pixels.subarray(i * 784, (i + 1) * 784)), {
      raw: { width: 28, height: 28, channels: 1 },
    })
      .resize(size, size, { kernel: 'cubic' })
      .raw()
      .toBuffer({ resolveWithObject: true });
    const paper = 170 + rng.int(60);
    const ink = 30 + rng.int(50);
    const rgb = Buffer.alloc(size * size * 3);
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++) {
        const cov = up[(y * size + x) * info.channels]! / 255;
        const light = -50 * ((x + y) / (2 * size));
        const v = Math.max(0, Math.min(255, paper + light + cov * (ink - paper) + 6 * rng.normal()));
        rgb.set([v, v * 0.98, v * 0.93], (y * size + x) * 3);
      }
    const jpg = await sharp(rgb, { raw: { width: size, height: size, channels: 3 } })
      .jpeg({ quality: 75 })
      .toBuffer();
    await writeFile(join(OUT, `${LABEL_SPACE_36.classes[c]}-${k}.jpg`), jpg);
  }
}
console.log(`wrote ${36 * PER_CLASS} images to ${OUT}`);
