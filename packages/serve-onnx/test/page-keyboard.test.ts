import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { type Page, skipWithoutChromium } from '@hcr/test-browser';
import { describe, expect, it } from 'vitest';
import { drawIn, type Pt } from './support/pad.js';
import { openDrawingPage, usePageServer } from './support/page-server.js';
import { STROKES } from './support/synth.js';
import { waitFor } from './support/wait.js';

/** The drawing page used from the keyboard, and read by a screen reader: where the focus goes, what is found. */
/** A scanned line of printed digits (lineScan('7140')). */
const LINE_PHOTO = fileURLToPath(new URL('./support/line-7140.png', import.meta.url));

/** Strokes on the line pad, in the unit square of the pad's first letter cell. */
const write = (page: Page, lines: Pt[][]) =>
  drawIn(page, '#line-pad', lines, { x: 0.06, y: 0.25, w: 0.085, h: 0.5 });
const focused = (page: Page) => page.evaluate('document.activeElement.id || document.activeElement.tagName');

describe.skipIf(skipWithoutChromium())('drawing page from the keyboard in headless Chromium', () => {
  const served = usePageServer();
  const open = (mode: 'word' | 'lines' = 'word') =>
    served.browser
      .newPage({ viewport: { width: 800, height: 900 } })
      .then((page) => openDrawingPage(page, served.server.url, mode));

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

  it('word mode without a pen: Tab reaches an upload, a photo of a line is read and said, and read again when the characters allowed change', async () => {
    const page = await open('word');
    const photo = await readFile(LINE_PHOTO);
    const sent: { url: string; body: Buffer }[] = [];
    await page.route('**/v1/read**', (r) => {
      sent.push({ url: r.request().url(), body: r.request().postDataBuffer()! });
      return r.continue();
    });
    await page.locator('#line-clear').focus();
    await page.keyboard.press('Tab');
    await expect(focused(page)).resolves.toBe('line-upload');
    await expect(page.getByLabel('Upload a photo or a scan of handwriting to read').count()).resolves.toBe(1);
    // Its focus shows on the label drawn as a button.
    const outline = await page.$eval('#line-upload + label.upload', (el) => {
      const s = (
        globalThis as unknown as { getComputedStyle(e: unknown): Record<string, string> }
      ).getComputedStyle(el);
      return `${s.outlineStyle} ${s.outlineWidth}`;
    });
    expect(outline).toBe('solid 3px');
    await page.locator('#line-upload').setInputFiles(LINE_PHOTO);
    const settled =
      "!lineBusy && !lineDirty && !/…$/.test(document.getElementById('line-status').textContent)";
    await waitFor(page, settled);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.body.equals(photo)).toBe(true);
    const status = await page.locator('#line-status').textContent();
    expect(status).toMatch(/^(Read:|Unsure|No writing read)/);
    await expect(page.locator('#announce').textContent()).resolves.toBe(status);
    // No boxes over the empty canvas: the photo's are in its own pixels.
    await expect(page.locator('#line-boxes').getAttribute('data-boxes')).resolves.toBe('0');
    // The photo read is shown above its reading, decoded by the browser.
    await expect(page.locator('#line-photo').isVisible()).resolves.toBe(true);
    await expect
      .poll(() =>
        page.$eval('#line-photo', (img) => (img as unknown as { naturalWidth: number }).naturalWidth),
      )
      .toBeGreaterThan(0);
    await page.locator('#line-classes').selectOption('digits');
    // read again (the status says 'Reading the photo…' until the answer)
    await expect.poll(() => sent.length, { timeout: 20_000 }).toBe(2);
    await waitFor(page, settled);
    expect(sent).toHaveLength(2);
    expect(sent[1]!.url).toMatch(/classes=digits/);
    expect(sent[1]!.body.equals(photo)).toBe(true);
    // Writing on the canvas then reads the canvas again.
    await write(page, STROKES.L!);
    await waitFor(page, settled);
    expect(sent).toHaveLength(3);
    expect(sent[2]!.body.equals(photo)).toBe(false);
    await expect(page.locator('#line-photo').isVisible()).resolves.toBe(false); // the canvas is read now
    await page.close();
  });

  it("says each character read with its confidence (shown by the underline's strength alone), a weak one dashed", async () => {
    const page = await open('word');
    const characters = [
      { char: 'T', confidence: 0.93 },
      { char: ' ', confidence: 0.6 },
      { char: 'A', confidence: 0.3 },
    ];
    await page.route('**/v1/read**', (r) =>
      r.fulfill({
        contentType: 'application/json',
        body: JSON.stringify({
          model: 'm',
          text: 'T A',
          confidence: 0.7,
          characters,
          alternatives: [{ text: 'T A', confidence: 0.7 }],
          timing: { preprocessMs: 1, inferenceMs: 1, totalMs: 2 },
        }),
      }),
    );
    await write(page, STROKES.L!);
    await waitFor(page, "/^Read:/.test(document.getElementById('line-status').textContent)");
    // What a screen reader finds there: each character (a space by name) and its confidence.
    await expect(page.locator('#line-chars').ariaSnapshot()).resolves.toBe(
      '- paragraph: T 93.0%, space 60.0%, A 30.0%,',
    );
    // What is seen: the characters alone, a weak one (under a sure reading's 50%) with a dashed underline.
    const seen = await page.$$eval('#line-chars > span', (spans) =>
      spans.map((el) => {
        const s = (
          globalThis as unknown as { getComputedStyle(e: unknown): Record<string, string> }
        ).getComputedStyle(el);
        const glyph = (el as unknown as { firstChild: { textContent: string } }).firstChild.textContent;
        return `${glyph} ${s.borderBottomStyle}`;
      }),
    );
    expect(seen).toEqual(['T solid', '␣ solid', 'A dashed']);
    await page.close();
  });
});
