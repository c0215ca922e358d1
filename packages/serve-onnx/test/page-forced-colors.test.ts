import { type Browser, launchChromium, skipWithoutChromium } from '@hcr/test-browser';
import pino from 'pino';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../src/index.js';
import { RECOGNITION_MODEL } from './support/models.js';
import { draw, SEVEN } from './support/pad.js';
import { waitFor } from './support/wait.js';

/**
 * The drawing page in forced colours (Windows' contrast themes): the browser paints every background in the
 * theme's own colour, and the top 5's bars were gone with it (the percentages left alone).
 */
describe.skipIf(skipWithoutChromium())('drawing page in forced colours in headless Chromium', () => {
  let server: RunningServer;
  let browser: Browser;
  beforeAll(async () => {
    server = await startServer({ model: RECOGNITION_MODEL, port: 0, logger: pino({ level: 'silent' }) });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.shutdown();
  });

  it("shows the top 5's bars, filled as far as each guess's confidence", async () => {
    const context = await browser.newContext({
      viewport: { width: 800, height: 700 },
      forcedColors: 'active',
      colorScheme: 'dark',
    });
    const page = await context.newPage();
    const topK = [
      { label: '7', confidence: 0.6 },
      { label: '1', confidence: 0.3 },
    ];
    await page.route('**/v1/predict**', (r) =>
      r.fulfill({
        contentType: 'application/json',
        body: JSON.stringify({
          predictions: [{ label: '7', confidence: 0.6, answer: '7', topK }],
          timing: { totalMs: 1 },
        }),
      }),
    );
    await page.goto(`${server.url}/`);
    await draw(page, SEVEN);
    await waitFor(page, "/^Best guess: 7/.test(document.getElementById('status').textContent)");
    for (const [i, { confidence }] of topK.entries()) {
      const bar = page.locator('#predictions .bar').nth(i);
      const { data, info } = await sharp(await bar.screenshot())
        .raw()
        .toBuffer({ resolveWithObject: true });
      const y = Math.floor(info.height / 2);
      const px = (x: number) => [...data.subarray((y * info.width + x) * 3, (y * info.width + x) * 3 + 3)];
      // Inside the fill against past its end: another colour.
      const filled = px(Math.floor(info.width * confidence * 0.5));
      const empty = px(Math.floor(info.width * (confidence + (1 - confidence) / 2)));
      expect(filled, `bar ${i + 1}`).not.toEqual(empty);
    }
    await context.close();
  });
});
