import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Made from the raw EMNIST test files by the vitest global setup (support/make-handwriting-fixtures.ts). */
export const HANDWRITING_DIR = `${join(tmpdir(), 'hcr-handwriting-fixtures-v1')}/`;
/** A line reader with random weights, written by the vitest global setup (support/make-reader-model.ts). */
export const RANDOM_READER = join(tmpdir(), 'hcr-reader-random-v1.onnx');
/** Another random reader like RANDOM_READER (seed 4): the second member of an ensemble. */
export const RANDOM_READER_SEED4 = join(tmpdir(), 'hcr-reader-random-seed4-v1.onnx');
/** The same with the case-sensitive alphabet (hcr62-line, 69 outputs). */
export const RANDOM_READER_62 = join(tmpdir(), 'hcr-reader-random-62-v1.onnx');
