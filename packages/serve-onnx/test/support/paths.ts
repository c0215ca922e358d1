import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Kept between test runs: the machine's temp dir (each run's own TMPDIR is removed at its end; vitest.tmpdir.ts). */
export const TEST_CACHE_DIR = process.env.HCR_TEST_CACHE_DIR ?? tmpdir();

/** Made from the raw EMNIST test files by the vitest global setup (support/make-handwriting-fixtures.ts). */
export const HANDWRITING_DIR = `${join(TEST_CACHE_DIR, 'hcr-handwriting-fixtures-v1')}/`;
/** True when the photos are in `dir` (made in a temporary folder, then renamed into place whole). */
export const handwritingPhotosPresent = (dir: string) => existsSync(join(dir, 'Z-1.jpg'));
/** The global setup made the photos (it needs the raw EMNIST test files): the tests reading them skip without. */
export const PHOTOS = handwritingPhotosPresent(HANDWRITING_DIR);
/** A line reader with random weights, written by the vitest global setup (support/make-reader-model.ts). */
export const RANDOM_READER = join(TEST_CACHE_DIR, 'hcr-reader-random-v1.onnx');
/** Another random reader like RANDOM_READER (seed 4): the second member of an ensemble. */
export const RANDOM_READER_SEED4 = join(TEST_CACHE_DIR, 'hcr-reader-random-seed4-v1.onnx');
/** The same with the case-sensitive alphabet (hcr62-line, 69 outputs). */
export const RANDOM_READER_62 = join(TEST_CACHE_DIR, 'hcr-reader-random-62-v1.onnx');
