import { fileURLToPath } from 'node:url';
import { type Browser, launchChromium, type Page, skipWithoutChromium } from '@hcr/test-browser';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../src/index.js';
import { RECOGNITION_MODEL } from './support/models.js';
import { STROKES } from './support/synth.js';
import { waitFor } from './support/wait.js';

/** The drawing page used from the keyboard, and read by a screen reader: where the focus goes, what is said. */
const TRAINED_READER = fileURLToPath(new URL('./fixtures/hcr-reader.onnx', import.meta.url));
type Pt = [number, number];

/** Strokes on the line pad, in the unit square of `frame` (a share of the pad). */
async function write(page: Page, lines: Pt[][], frame = { x: 0.06, y: 0.25, w: 0.085, h: 0.5 }) {
  const box = (await page.locator('#line-pad').boundingBox())!;
  const at = ([x, y]: Pt): Pt => [
    box.x + (frame.x + x * frame.w) * box.width,
    box.y + (frame.y + y * frame.h) * box.height,
  ];
  for (const s of lines) {
    await page.mouse.move(...at(s[0]!));
    await page.mouse.down();
    for (const p of s.slice(1)) await page.mouse.move(...at(p), { steps: 8 });
    await page.mouse.up();
  }
}
const focused = (page: Page) => page.evaluate('document.activeElement.id || document.activeElement.tagName');

describe.skipIf(skipWithoutChromium())('drawing page from the keyboard in headless Chromium', () => {
  let server: RunningServer;
  let browser: Browser;

  async function open(mode: 'word' | 'lines' = 'word'): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 800, height: 900 } });
    await page.goto(`${server.url}/`);
    await waitFor(page, "/Model:/.test(document.getElementById('model-line').textContent)");
    await page.locator(`input[name="mode"][value="${mode}"]`).check();
    await waitFor(page, "/reader /.test(document.getElementById('line-title').textContent)");
    return page;
  }

  beforeAll(async () => {
    server = await startServer({
      model: RECOGNITION_MODEL,
      reader: TRAINED_READER,
      port: 0,
      intraOpThreads: 1,
      logger: pino({ level: 'silent' }),
    });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.shutdown();
  });

  it('Undo stroke pressed until nothing is left hands the focus to the writing pad, not to the page', async () => {
    const page = await open('word');
    await write(page, STROKES.T!);
    await page.locator('#line-undo').focus();
    await page.keyboard.press('Enter');
    // One stroke left: the button is still on, and keeps the focus.
    await expect(page.locator('#line-undo').isDisabled()).resolves.toBe(false);
    await expect(focused(page)).resolves.toBe('line-undo');
    await page.keyboard.press('Enter');
    // Nothing left to take back: the button goes off, the focus moves to the pad (it was lost to <body>).
    await expect(page.locator('#line-undo').isDisabled()).resolves.toBe(true);
    await expect(focused(page)).resolves.toBe('line-pad');
    // and Tab goes on from there
    await page.keyboard.press('Tab');
    await expect(focused(page)).resolves.toBe('line-classes');
    await page.close();
  });
});
