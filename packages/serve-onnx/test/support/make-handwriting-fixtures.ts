/**
 * Real handwritten characters as phone-photo-like JPEGs (dark ink on grey paper, upscaled, uneven light, noise),
 * for the recognition tests: letters from the letters test split and digits from emnist-digits-repack, neither
 * used to train the fixture model. Made at test time from the raw IDX files (HCR_DATA_DIR, default
 * ../shared/data), so no dataset images live in the repository. Deterministic.
 */

import { existsSync } from 'node:fs';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createRng, LABEL_SPACE_36 } from '@hcr/core';
import { normaliseCharacter, readIdx, requireRawFile, transposeImages } from '@hcr/data';
import sharp from 'sharp';

const PER_CLASS = 2;

/** Upright, canonically normalised 28x28 images and labels of one raw test set. */
async function rawTestSet(dataset: string, dataDir: string) {
  const images = await readIdx(requireRawFile(dataset, 'test-images', { dataDir }).path, 3);
  const labels = await readIdx(requireRawFile(dataset, 'test-labels', { dataDir }).path, 1);
  const count = images.dims[0]!;
  const pixels = transposeImages(images.data, count, 28); // EMNIST is stored transposed
  for (let i = 0; i < count; i++) {
    const view = pixels.subarray(i * 784, (i + 1) * 784);
    view.set(normaliseCharacter(view, 28, 28));
  }
  const toClass = dataset.startsWith('emnist-letters') ? (k: number) => 9 + k : (k: number) => k;
  return { count, pixels, labels: Uint8Array.from(labels.data, toClass) };
}

export async function makeHandwritingFixtures(
  outDir: string,
  dataDir = process.env.HCR_DATA_DIR || resolve('../shared/data'),
) {
  if (existsSync(join(outDir, 'Z-1.jpg'))) return outDir;
  const rng = createRng(11);
  const letters = await rawTestSet('emnist-letters-repack', dataDir);
  const digits = await rawTestSet('emnist-digits-repack', dataDir);
  const tmp = `${outDir}.tmp-${process.pid}`;
  await mkdir(tmp, { recursive: true });
  for (let c = 0; c < 36; c++) {
    const split = c < 10 ? digits : letters; // digits: writers unseen in training (EMNIST digits)
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
      await writeFile(join(tmp, `${LABEL_SPACE_36.classes[c]}-${k}.jpg`), jpg);
    }
  }
  // another test process may have finished first: theirs is identical, keep it
  await rename(tmp, outDir).catch(() => rm(tmp, { recursive: true, force: true }));
  return outDir;
}

if (import.meta.url === `file://${process.argv[1]}`) await makeHandwritingFixtures(process.argv[2]!);
