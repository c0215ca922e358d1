import { type Browser, launchChromium, type Page, skipWithoutChromium } from '@hcr/test-browser';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../src/index.js';
import { RECOGNITION_MODEL } from './support/models.js';
import { draw, SEVEN, topLabels } from './support/pad.js';
import { waitFor } from './support/wait.js';

const TOKEN = '5e1c0a9d3b7f42e68a0c1d2e3f4a5b6c';

describe.skipIf(skipWithoutChromium())('the drawing page of a server that needs an API token', () => {
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  /** What the page asks, and what the person answers next (null: Cancel). */
  const asked: string[] = [];
  const answers: (string | null)[] = [];
  beforeAll(async () => {
    server = await startServer({
      model: RECOGNITION_MODEL,
      reader: undefined,
      port: 0,
      apiToken: TOKEN,
      logger: pino({ level: 'silent' }),
    });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 800, height: 640 } });
    page.on('dialog', async (d) => {
      asked.push(d.message());
      const answer = answers.shift();
      if (answer === null || answer === undefined) await d.dismiss();
      else await d.accept(answer);
    });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.shutdown();
  });

  const modelLine = () => page.locator('#model-line').textContent();

  it('asks for the token, and when cancelled says so instead of asking again', async () => {
    answers.push(null);
    await page.goto(`${server.url}/`);
    await waitFor(page, "document.getElementById('model-line').dataset.error === 'TOKEN_REQUIRED'");
    expect(asked).toEqual([expect.stringContaining('This server needs an API token')]);
    expect(await modelLine()).toBe('This server needs an API token: reload the page to enter it.');
    await page.waitForTimeout(500);
    expect(asked).toHaveLength(1);
  });

  it('once cancelled, drawing asks nothing more (each move asked again) and says how to give the token', async () => {
    asked.length = 0;
    await draw(page, SEVEN);
    await waitFor(page, "document.getElementById('status').dataset.error === 'TOKEN_REQUIRED'");
    // the request of the stroke's last move, if any, has answered too
    await waitFor(page, "!/…$/.test(document.getElementById('status').textContent)");
    expect(asked).toEqual([]);
    await expect(page.locator('#status').textContent()).resolves.toBe(
      'This server needs an API token: reload the page to enter it.',
    );
  });

  it('after a reload, takes a wrong token, says it was refused, then takes the right one and loads the model', async () => {
    asked.length = 0;
    answers.push('not-the-right-token-at-all', TOKEN);
    await page.reload();
    await waitFor(page, "/Model:/.test(document.getElementById('model-line').textContent)");
    expect(asked).toEqual([
      expect.stringContaining('This server needs an API token'),
      expect.stringContaining('The server refused this API token'),
    ]);
  });

  it('reads a drawing with the kept token, asking nothing more', async () => {
    asked.length = 0;
    await draw(page, SEVEN);
    expect((await topLabels(page))[0]).toBe('7');
    expect(asked).toEqual([]);
  });

  it('asks again when the server refuses the kept token mid-session, then reads the drawing', async () => {
    asked.length = 0;
    await page.evaluate("sessionStorage.setItem('hcr-api-token', 'a-token-that-was-revoked')");
    answers.push(TOKEN);
    await page.getByRole('button', { name: 'Clear' }).click();
    await draw(page, SEVEN);
    expect((await topLabels(page))[0]).toBe('7');
    expect(asked).toEqual([expect.stringContaining('The server refused this API token')]);
  });
});
