import { fileURLToPath } from 'node:url';
import { type Browser, launchChromium, type Page } from '@hcr/test-browser';
import pino from 'pino';
import { afterAll, beforeAll } from 'vitest';
import { type RunningServer, startServer } from '../../src/index.js';
import { RECOGNITION_MODEL } from './models.js';
import { waitFor } from './wait.js';

/** The reader trained for the tests (make-reader-model.ts): it reads the synthetic strokes' words. */
export const TRAINED_READER = fileURLToPath(new URL('../fixtures/hcr-reader.onnx', import.meta.url));

export type PageMode = 'char' | 'word' | 'lines';

/**
 * The drawing page served with the tests' character model and `reader` (the trained one unless told; `false`
 * for none), and a headless Chromium, for the describe block that calls it: started before its tests, stopped
 * after. Read `server` and `browser` inside the tests (they are set once the block starts).
 */
export function usePageServer(reader: string | false = TRAINED_READER): {
  readonly server: RunningServer;
  readonly browser: Browser;
} {
  const state = {} as { server: RunningServer; browser: Browser };
  beforeAll(async () => {
    state.server = await startServer({
      model: RECOGNITION_MODEL,
      ...(reader ? { reader } : {}),
      port: 0,
      intraOpThreads: 1,
      logger: pino({ level: 'silent' }),
    });
    state.browser = await launchChromium();
  });
  afterAll(async () => {
    await state.browser?.close();
    await state.server?.shutdown();
  });
  return state;
}

/** Loads the page at `url` in `page`, waits for its model line, and switches to `mode` once the reader is named. */
export async function openDrawingPage(page: Page, url: string, mode: PageMode = 'char'): Promise<Page> {
  await page.goto(`${url}/`);
  await waitFor(page, "/Model:/.test(document.getElementById('model-line').textContent)");
  if (mode !== 'char') {
    await page.locator(`input[name="mode"][value="${mode}"]`).check();
    await waitFor(page, "/reader /.test(document.getElementById('line-title').textContent)");
  }
  return page;
}
