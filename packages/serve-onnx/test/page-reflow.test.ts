import { type Page, skipWithoutChromium } from '@hcr/test-browser';
import { describe, expect, it } from 'vitest';
import { inkCentre } from './support/pad.js';
import { openDrawingPage, usePageServer } from './support/page-server.js';

/**
 * The drawing page in a window 320 CSS px wide: a 1280-px window zoomed to 400% (WCAG's reflow check), or a
 * small phone. Nothing may need scrolling sideways, every control keeps a usable width, and the character pad,
 * narrower than its 280 px, stays square and takes the pen where the pointer is.
 */
describe.skipIf(skipWithoutChromium())('drawing page at 400% zoom (320 CSS px) in headless Chromium', () => {
  const served = usePageServer();

  /** Page-side: the document's width, and each control sticking out of its section or squeezed to nothing. */
  const layout = (page: Page) =>
    page.evaluate(`(() => {
      const problems = [];
      const mode = document.querySelector('main:not([hidden])');
      for (const el of mode.querySelectorAll('canvas, input, select, button, label.upload, output')) {
        if (el.closest('[hidden]') || el.classList.contains('visually-hidden') || el.id === 'upload') continue;
        const r = el.getBoundingClientRect();
        const section = el.closest('section');
        const s = getComputedStyle(section);
        const inner = section.getBoundingClientRect().right - parseFloat(s.paddingRight);
        if (r.right > inner + 0.5) problems.push(el.id + ' sticks out by ' + Math.round(r.right - inner) + ' px');
        if (el.type === 'range' && r.width < 80) problems.push(el.id + ' is ' + Math.round(r.width) + ' px wide');
      }
      return { width: document.documentElement.scrollWidth, problems };
    })()`) as Promise<{ width: number; problems: string[] }>;

  it('needs no sideways scrolling in any mode, and keeps every control inside its section', async () => {
    // 400% of a 1280x1024 window: 320x256 CSS px, 4 device pixels each.
    const page = await served.browser.newPage({
      viewport: { width: 320, height: 256 },
      deviceScaleFactor: 4,
    });
    await openDrawingPage(page, served.server.url);
    for (const mode of ['char', 'word', 'lines']) {
      await page.locator(`input[name="mode"][value="${mode}"]`).check();
      const l = await layout(page);
      expect(l.problems, mode).toEqual([]);
      expect(l.width, mode).toBeLessThanOrEqual(320);
    }
    await page.close();
  });

  it('the character pad, narrower than 280 px, is square, and a dot lands where the pointer is (the image sent 280x280)', async () => {
    const page = await served.browser.newPage({
      viewport: { width: 320, height: 600 },
      deviceScaleFactor: 4,
    });
    const sent: Buffer[] = [];
    await page.route('**/v1/predict**', (r) => {
      sent.push(r.request().postDataBuffer()!);
      return r.continue();
    });
    await openDrawingPage(page, served.server.url);
    await page.locator('#pad').scrollIntoViewIfNeeded();
    const box = (await page.locator('#pad').boundingBox())!;
    expect(box.width).toBeLessThan(284);
    expect(Math.abs(box.width - box.height)).toBeLessThan(0.5);
    const content = { x: box.x + 2, y: box.y + 2, width: box.width - 4, height: box.height - 4 };
    const [fx, fy] = [0.25, 0.7];
    await page.mouse.move(content.x + fx * content.width, content.y + fy * content.height);
    await page.mouse.down();
    await page.mouse.up();
    await expect.poll(() => sent.length, { timeout: 20_000 }).toBeGreaterThan(0);
    const ink = await inkCentre(sent.at(-1)!);
    expect([ink.width, ink.height]).toEqual([280, 280]);
    expect(Math.abs(ink.x - fx * 280)).toBeLessThan(0.5);
    expect(Math.abs(ink.y - fy * 280)).toBeLessThan(0.5);
    await page.close();
  });
});
