import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, launchChromium, type Page, skipWithoutChromium } from '@hcr/test-browser';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../src/index.js';
import { holdAnswers } from './support/held-answers.js';
import { HANDWRITING_DIR, RECOGNITION_MODEL } from './support/models.js';
import { draw, type Pt, SEVEN, topLabels } from './support/pad.js';
import { PHOTOS } from './support/paths.js';
import { waitFor } from './support/wait.js';

const SHOTS = resolve(fileURLToPath(new URL('../../../artifacts/screenshots/', import.meta.url)));
const A: Pt[][] = [
  [
    [0.25, 0.82],
    [0.38, 0.5],
    [0.5, 0.18],
    [0.62, 0.5],
    [0.75, 0.82],
  ],
  [
    [0.34, 0.58],
    [0.66, 0.58],
  ],
];

// Runs wherever Chromium is installed; in CI it must be (.ci/run installs Debian's chromium).
describe.skipIf(skipWithoutChromium())('drawing page in headless Chromium', () => {
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  /** Every failed response and console error of the page's loading (a favicon.ico 404 was one). */
  const loadProblems: string[] = [];
  beforeAll(async () => {
    server = await startServer({ model: RECOGNITION_MODEL, port: 0, logger: pino({ level: 'silent' }) });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 800, height: 640 } });
    page.on('response', (r) => {
      if (r.status() >= 400) loadProblems.push(`${r.status()} ${r.url()}`);
    });
    page.on('console', (m) => {
      if (m.type() === 'error') loadProblems.push(m.text());
    });
    await page.goto(`${server.url}/`);
    await mkdir(SHOTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.shutdown();
  });

  it('has accessible controls and loads nothing from other hosts', async () => {
    await expect(page.getByLabel(/Drawing area/).count()).resolves.toBe(1);
    await expect(page.getByLabel(/Stroke width/).count()).resolves.toBe(1);
    await expect(page.getByRole('button', { name: 'Clear' }).count()).resolves.toBe(1);
    await expect(page.getByLabel('Upload a photo of one handwritten character').count()).resolves.toBe(1);
    await waitFor(page, "/Model:/.test(document.getElementById('model-line').textContent)");
    await page.waitForTimeout(200);
    expect(loadProblems).toEqual([]);
  });

  it('shows keyboard focus on the Upload button', async () => {
    await page.locator('#clear').focus();
    await page.keyboard.press('Tab');
    await expect(page.evaluate('document.activeElement.id')).resolves.toBe('upload');
    const outline = await page.$eval('label.upload', (el) => {
      const s = (
        globalThis as unknown as { getComputedStyle(e: unknown): Record<string, string> }
      ).getComputedStyle(el);
      return `${s.outlineStyle} ${s.outlineWidth}`;
    });
    expect(outline).toBe('solid 3px');
    await page.screenshot({ path: join(SHOTS, 'serve-page-upload-focus.png') });
    await page.locator('#clear').focus();
    await page.keyboard.press('Tab');
    await page.keyboard.press('Shift+Tab');
  });

  it('drops an answer that arrives after Clear', async () => {
    const answers = await holdAnswers(page, '**/v1/predict**');
    try {
      const sent = page.waitForRequest('**/v1/predict**');
      await draw(page, SEVEN);
      await sent;
      await page.getByRole('button', { name: 'Clear' }).click();
      answers.release();
      await page.waitForTimeout(800);
      await expect(page.locator('#predictions li').count()).resolves.toBe(0);
      await expect(page.locator('#status').textContent()).resolves.toBe('Nothing drawn yet.');
    } finally {
      await answers.restore();
    }
  });

  it('shows 7 on top with five bars after drawing a 7', async () => {
    await draw(page, SEVEN);
    const labels = await topLabels(page);
    expect(labels).toHaveLength(5);
    expect(labels[0]).toBe('7');
    // The bars are drawn: the best one is the widest and visibly wide.
    const widths = await page.$$eval('#predictions .fill', (els) =>
      els.map((e) => e.getBoundingClientRect().width),
    );
    const track = await page.$eval('#predictions .bar', (e) => e.getBoundingClientRect().width);
    expect(widths[0]).toBe(Math.max(...widths));
    expect(widths[0]! / track).toBeGreaterThan(0.3);
    await page.screenshot({ path: join(SHOTS, 'serve-page-7.png') });
  });

  it('clears, then shows A on top after drawing an A with a thicker stroke', async () => {
    await page.getByRole('button', { name: 'Clear' }).click();
    await expect(page.locator('#predictions li').count()).resolves.toBe(0);
    await page.locator('#stroke').fill('26');
    await draw(page, A);
    const labels = await topLabels(page);
    expect(labels[0]).toBe('A');
    await page.screenshot({ path: join(SHOTS, 'serve-page-A.png') });
  });

  it("sends two characters side by side to the word mode, in the page's words", async () => {
    await page.getByRole('button', { name: 'Clear' }).click();
    const half = (strokes: Pt[][], dx: number): Pt[][] =>
      strokes.map((s) => s.map(([x, y]): Pt => [dx + x * 0.45, 0.2 + y * 0.6]));
    await draw(page, [...half(SEVEN, 0), ...half(A, 0.52)]);
    await topLabels(page);
    await expect(page.locator('#status').textContent()).resolves.toMatch(
      /Not one character: .*Choose “A word or a number” above to read them\.$/,
    );
    await page.screenshot({ path: join(SHOTS, 'serve-page-two-characters.png') });
    // No answer, so no bar is the answer's green; a 7 alone is answered, its bar green.
    await expect(page.locator('#predictions.answered').count()).resolves.toBe(0);
    await page.getByRole('button', { name: 'Clear' }).click();
    await page.locator('#stroke').fill('26');
    await draw(page, SEVEN);
    await topLabels(page);
    await expect(page.locator('#predictions.answered').count()).resolves.toBe(1);
  });

  it('restricts the answer to digits when asked', async () => {
    await page.locator('#classes').selectOption('digits');
    await page.waitForTimeout(300);
    const labels = await topLabels(page);
    expect(labels.every((l) => /[0-9]/.test(l))).toBe(true);
    await page.locator('#classes').selectOption('all');
  });

  it.skipIf(!PHOTOS)('reads an uploaded photo of handwriting', async () => {
    await page.getByRole('button', { name: 'Clear' }).click();
    await page.locator('#upload').setInputFiles(join(HANDWRITING_DIR, '3-0.jpg'));
    const labels = await topLabels(page);
    expect(labels[0]).toBe('3');
    await expect(page.locator('#photo').isVisible()).resolves.toBe(true);
    await page.screenshot({ path: join(SHOTS, 'serve-page-upload.png') });
  });

  it('reads the uploaded photo again when the characters allowed change', async () => {
    // The pad is empty: the photo is what the answer is for.
    const resent = page.waitForRequest(
      (r) => r.url().includes('/v1/predict') && r.url().includes('classes=letters'),
      { timeout: 5000 },
    );
    await page.locator('#classes').selectOption('letters');
    await resent;
    await waitFor(
      page,
      "[...document.querySelectorAll('#predictions li')].map((li) => li.dataset.label).join('').match(/^[A-Z]{5}$/)",
    );
    await expect(page.locator('#status').textContent()).resolves.toMatch(/^Best guess: [A-Z]/);
    await expect(page.locator('#photo').isVisible()).resolves.toBe(true);
    await page.locator('#classes').selectOption('digits');
    await waitFor(
      page,
      "[...document.querySelectorAll('#predictions li')].map((li) => li.dataset.label).join('').match(/^[0-9]{5}$/)",
    );
    expect((await topLabels(page))[0]).toBe('3');
    await page.screenshot({ path: join(SHOTS, 'serve-page-upload-digits.png') });
  });

  it("says an uploaded file that is no image is none, in the page's words (not the API's JSON forms)", async () => {
    await page.getByRole('button', { name: 'Clear' }).click();
    await page
      .locator('#upload')
      .setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('a shopping list') });
    await waitFor(page, "document.getElementById('status').dataset.error === 'UNSUPPORTED_MEDIA_TYPE'");
    const said = await page.locator('#status').textContent();
    expect(said).toMatch(/^notes\.txt \(text\/plain\) is not a file the server reads: upload a photo/);
    expect(said).not.toMatch(/JSON/);
  });
});
