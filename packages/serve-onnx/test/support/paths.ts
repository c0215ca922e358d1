import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Made from the raw EMNIST test files by the vitest global setup (support/make-handwriting-fixtures.ts). */
export const HANDWRITING_DIR = `${join(tmpdir(), 'hcr-handwriting-fixtures-v1')}/`;
