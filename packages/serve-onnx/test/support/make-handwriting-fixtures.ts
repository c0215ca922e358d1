/**
 * Real handwritten characters as phone-photo-like JPEGs (dark ink on grey paper, upscaled, uneven light, noise),
 * for the recognition tests: letters from the letters test split and digits from the EMNIST digits test split,
 * neither used to train the fixture model. Made at test time from the raw IDX files, so no dataset images live
 * in the repository. Deterministic. The sources are chosen by @hcr/data's own choice (what `hcr data prepare`
 * reads): the official EMNIST files when present, else the offline repacks, looked for in HCR_DATA_DIR (default
 * ../shared/data beside the repository) and the user cache (`hcr data download`). Without either, no photos are
 * made (the vitest global setup warns once).
 */

import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createRng, HcrError, LABEL_SPACE_36 } from '@hcr/core';
import {
  type DataDirOptions,
  type FileRole,
  isDatasetPresent,
  normaliseCharacter,
  readIdx,
  requireRawFile,
  resolveExtraSource,
  resolveLetterSource,
  searchDirs,
  transposeImages,
} from '@hcr/data';
import sharp from 'sharp';
import { handwritingPhotosPresent } from './paths.js';

const PER_CLASS = 2;

/** Upright, canonically normalised 28x28 images and labels of one raw test set. */
async function rawTestSet(dataset: string, opts: DataDirOptions) {
  const images = await readIdx(requireRawFile(dataset, 'test-images', opts).path, 3);
  const labels = await readIdx(requireRawFile(dataset, 'test-labels', opts).path, 1);
  const count = images.dims[0]!;
  const pixels = transposeImages(images.data, count, 28); // EMNIST is stored transposed
  for (let i = 0; i < count; i++) {
    const view = pixels.subarray(i * 784, (i + 1) * 784);
    view.set(normaliseCharacter(view, 28, 28));
  }
  const toClass = dataset.startsWith('emnist-letters') ? (k: number) => 9 + k : (k: number) => k;
  return { count, pixels, labels: Uint8Array.from(labels.data, toClass) };
}

/** Where the raw files are looked for first: HCR_DATA_DIR, else ../shared/data beside the repository. */
export const defaultDataDir = () =>
  process.env.HCR_DATA_DIR || resolve(import.meta.dirname, '../../../../../shared/data');

const TEST_ROLES: FileRole[] = ['test-images', 'test-labels'];

/**
 * The letters and digits test sets to make the photos from, chosen by @hcr/data's `resolveLetterSource('auto')`
 * (hcr36) and `resolveExtraSource('auto')`: the official EMNIST Letters (all four files) and EMNIST Digits test
 * files when present, else the offline repacks. undefined when the chosen letters or digits test files are not found.
 */
export function handwritingSources(opts: DataDirOptions) {
  const letters = resolveLetterSource('auto', opts);
  const digits = resolveExtraSource('auto', opts);
  return isDatasetPresent(letters, TEST_ROLES, opts) && isDatasetPresent(digits, TEST_ROLES, opts)
    ? { letters, digits }
    : undefined;
}

export { handwritingPhotosPresent } from './paths.js';

/** Makes the photos in `outDir` (kept if already there) and returns it; throws DATA_FILE_MISSING without the raw files. */
export async function makeHandwritingFixtures(outDir: string, dataDir = defaultDataDir()) {
  if (handwritingPhotosPresent(outDir)) return outDir;
  const opts = { dataDir };
  const sources = handwritingSources(opts);
  if (!sources) throw missingSources(opts);
  const rng = createRng(11);
  const letters = await rawTestSet(sources.letters, opts);
  const digits = await rawTestSet(sources.digits, opts);
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

function missingSources(opts: DataDirOptions) {
  return new HcrError(
    'DATA_FILE_MISSING',
    `No EMNIST letters and digits test files (official or repack) in ${searchDirs(opts).join(', ')}.`,
    {
      hint: "Point HCR_DATA_DIR at the folder holding emnist-letters-repack/ and emnist-digits-repack/ (in this project's checkouts: ../shared/data), or fetch the official files with `hcr data download --dataset emnist-letters emnist-digits` (needs internet).",
    },
  );
}

// The vitest global setup's entry: without the raw files, one warning and no photos.
if (import.meta.url === `file://${process.argv[1]}`) {
  const outDir = process.argv[2]!;
  const opts = { dataDir: defaultDataDir() };
  if (handwritingPhotosPresent(outDir) || handwritingSources(opts))
    await makeHandwritingFixtures(outDir, opts.dataDir);
  else {
    console.warn(
      `warning: the handwriting photos for the serving tests were not made. ${missingSources(opts).message}`,
    );
  }
}
