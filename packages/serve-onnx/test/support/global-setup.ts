import { makeHandwritingFixtures } from './make-handwriting-fixtures.js';
import { HANDWRITING_DIR } from './models.js';

/** Vitest global setup: the handwriting photos exist before any serve test runs. */
export default async function setup() {
  await makeHandwritingFixtures(HANDWRITING_DIR.replace(/\/$/, ''));
}
