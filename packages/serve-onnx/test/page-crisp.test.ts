import { type Page, skipWithoutChromium } from '@hcr/test-browser';
import sharp from 'sharp';
import { describe, it, vi } from 'vitest';
import { inkCentre } from './support/pad.js';
import { openDrawingPage, type PageMode, usePageServer } from './support/page-server.js';
import { STROKES } from './support/synth.js';
import { waitFor } from './support/wait.js';

/**
 * The drawing page on a screen of 2 or 3 device pixels per CSS pixel (a phone, a HiDPI laptop): the canvases are
 * drawn at that ratio (crisp, not 1x pixels blown up), the pen lands where the pointer is, and the image sent is
 * the very PNG a 1x screen sends for the same strokes, as the models were measured on.
 */
type Pt = [number, number];
type Mode = PageMode;
const PAD: Record<Mode, { selector: string; route: string; size: [number, number]; settled: RegExp }> = {
  char: { selector: '#pad', route: '/v1/predict', size: [280, 280], settled: /^(Best guess|Not one)/ },
  word: { selector: '#line-pad', route: '/v1/read', size: [720, 200], settled: /^(Read:|Unsure|No writing)/ },
  lines: {
    selector: '#line-pad',
    route: '/v1/read',
    size: [720, 420],
    settled: /^(Read:|Unsure|No writing)/,
  },
};
const statusOf = (mode: Mode) => (mode === 'char' ? 'status' : 'line-status');

/** Canvas pixels of `selector`: its backing store's size, its 1x size, and the weighted centre of its ink. */
function canvasInk(page: Page, selector: string) {
  return page.evaluate(`(() => {
    const c = document.querySelector(${JSON.stringify(selector)});
    const { data } = c.getContext('2d').getImageData(0, 0, c.width, c.height);
    let sum = 0, sx = 0, sy = 0;
    for (let y = 0; y < c.height; y++)
      for (let x = 0; x < c.width; x++) {
        const w = 255 - data[(y * c.width + x) * 4];
        if (w === 0) continue;
        sum += w; sx += w * (x + 0.5); sy += w * (y + 0.5);
      }
    const r = c.getBoundingClientRect();
    return { width: c.width, height: c.height, x: sx / sum, y: sy / sum, cssWidth: r.width - 4, cssHeight: r.height - 4 };
  })()`) as Promise<{
    width: number;
    height: number;
    x: number;
    y: number;
    cssWidth: number;
    cssHeight: number;
  }>;
}

// 120 s a test: run together, its tests took up to 40 s beside the rest of CI, and a three-drawing one reached the
// default 60 s with only the browser test files running.
vi.setConfig({ testTimeout: 120_000 });

describe.skipIf(skipWithoutChromium())('drawing page on a HiDPI screen in headless Chromium', () => {
  // Each test in browser contexts of its own, waiting only for what the page shows or sends: they run together
  // (it.concurrent), most of their time the browser's round trips.
  const served = usePageServer();

  /** A fresh page at `deviceScaleFactor`, in `mode`, every body it sends to the pad's route kept in `sent`. */
  async function open(mode: Mode, deviceScaleFactor: number, width = 800) {
    const context = await served.browser.newContext({ viewport: { width, height: 900 }, deviceScaleFactor });
    const page = await context.newPage();
    const sent: Buffer[] = [];
    await page.route(`**${PAD[mode].route}**`, (r) => {
      sent.push(r.request().postDataBuffer()!);
      return r.continue();
    });
    await openDrawingPage(page, served.server.url, mode);
    return { page, sent };
  }

  /**
   * Strokes in the unit square of the pad's content box, the pointer on whole CSS pixels (the same events on
   * any screen), then waits for the answer to the finished drawing: the last body sent is the whole drawing.
   */
  async function drawOn(page: Page, mode: Mode, strokes: Pt[][]) {
    const box = (await page.locator(PAD[mode].selector).boundingBox())!;
    const at = ([x, y]: Pt): Pt => [
      Math.round(box.x + 2 + x * (box.width - 4)),
      Math.round(box.y + 2 + y * (box.height - 4)),
    ];
    for (const s of strokes) {
      await page.mouse.move(...at(s[0]!));
      await page.mouse.down();
      // two moves per segment: the page joins them with straight lines, so more draw the same at a CDP round trip each
      for (let i = 1; i < s.length; i++)
        for (let k = 1; k <= 2; k++) {
          const [a, b] = [s[i - 1]!, s[i]!];
          await page.mouse.move(...at([a[0] + ((b[0] - a[0]) * k) / 2, a[1] + ((b[1] - a[1]) * k) / 2]));
        }
      await page.mouse.up();
    }
    const settled = `${PAD[mode].settled}.test(document.getElementById('${statusOf(mode)}').textContent)`;
    await waitFor(page, settled);
  }

  const glyphs = (mode: Mode): Pt[][] =>
    mode === 'char'
      ? STROKES['7']!.map((s) => s.map(([x, y]): Pt => [0.2 + 0.6 * x, 0.15 + 0.7 * y]))
      : ['T', 'A', 'X'].flatMap((ch, i) =>
          STROKES[ch]!.map((s) => s.map(([x, y]): Pt => [0.06 + (i * 1.25 + x) * 0.085, 0.25 + 0.5 * y])),
        );

  for (const mode of ['char', 'word', 'lines'] as const)
    it.concurrent(`${mode}: the canvas is drawn at 2 and 3 device pixels per CSS pixel, the image sent is the 1x one`, async ({
      expect,
    }) => {
      const [w, h] = PAD[mode].size;
      const one = await open(mode, 1);
      await drawOn(one.page, mode, glyphs(mode));
      const sentAt1 = one.sent.at(-1)!;
      const meta = await sharp(sentAt1).metadata();
      expect([meta.width, meta.height]).toEqual([w, h]);
      for (const ratio of [2, 3]) {
        const hi = await open(mode, ratio);
        await drawOn(hi.page, mode, glyphs(mode));
        // The backing store has the screen's pixels; the canvas takes the same room on the page.
        const ink = await canvasInk(hi.page, PAD[mode].selector);
        expect([ink.width, ink.height], `${mode} at ${ratio}x`).toEqual([w * ratio, h * ratio]);
        const inkAt1 = await canvasInk(one.page, PAD[mode].selector);
        expect(ink.cssWidth).toBeCloseTo(inkAt1.cssWidth, 1);
        expect(ink.cssHeight).toBeCloseTo(inkAt1.cssHeight, 1);
        // The strokes lie where they lie at 1x: the same centre, in the canvas's share of its size.
        expect(Math.abs(ink.x / ink.width - inkAt1.x / inkAt1.width), `${mode} at ${ratio}x`).toBeLessThan(
          0.002,
        );
        expect(Math.abs(ink.y / ink.height - inkAt1.y / inkAt1.height), `${mode} at ${ratio}x`).toBeLessThan(
          0.002,
        );
        // What the server gets: byte for byte the PNG of the 1x screen.
        expect(hi.sent.at(-1)!.equals(sentAt1), `${mode} at ${ratio}x: the PNG sent`).toBe(true);
        await hi.page.context().close();
      }
      await one.page.context().close();
    });

  it.concurrent('a dot lands where the pointer is at 2x, in the canvas and in the image sent', async ({
    expect,
  }) => {
    for (const mode of ['char', 'word'] as const) {
      const { page, sent } = await open(mode, 2);
      const box = (await page.locator(PAD[mode].selector).boundingBox())!;
      const content = { x: box.x + 2, y: box.y + 2, width: box.width - 4, height: box.height - 4 };
      const [fx, fy] = [0.2, 0.3];
      await page.mouse.move(content.x + fx * content.width, content.y + fy * content.height);
      await page.mouse.down();
      await page.mouse.up();
      const dot = await canvasInk(page, PAD[mode].selector);
      expect(Math.abs(dot.x - fx * dot.width), mode).toBeLessThan(0.7);
      expect(Math.abs(dot.y - fy * dot.height), mode).toBeLessThan(0.7);
      // The image sent: its ink centred on the same point, in its 1x pixels.
      await expect.poll(() => sent.length, { timeout: 20_000 }).toBeGreaterThan(0);
      const ink = await inkCentre(sent.at(-1)!);
      expect(Math.abs(ink.x - fx * ink.width), mode).toBeLessThan(0.35);
      expect(Math.abs(ink.y - fy * ink.height), mode).toBeLessThan(0.35);
      await page.context().close();
    }
  });

  it.concurrent('follows the pixel ratio when it changes (another screen, zoom): the drawing stays, crisp, the image sent the same', async ({
    expect,
  }) => {
    for (const mode of ['char', 'word'] as const) {
      const { page, sent } = await open(mode, 1);
      await drawOn(page, mode, glyphs(mode));
      const before = await canvasInk(page, PAD[mode].selector);
      const sentBefore = sent.at(-1)!;
      const cdp = await page.context().newCDPSession(page);
      // The page zoomed to 200%: twice the device pixels per CSS pixel, half as many CSS pixels across.
      await cdp.send('Emulation.setDeviceMetricsOverride', {
        width: 400,
        height: 450,
        deviceScaleFactor: 2,
        mobile: false,
      });
      await waitFor(
        page,
        `document.querySelector('${PAD[mode].selector}').width === ${2 * PAD[mode].size[0]}`,
      );
      const after = await canvasInk(page, PAD[mode].selector);
      expect(after.height).toBe(2 * PAD[mode].size[1]);
      // Drawn again from its strokes, where it was.
      expect(Math.abs(after.x / after.width - before.x / before.width), mode).toBeLessThan(0.002);
      expect(Math.abs(after.y / after.height - before.y / before.height), mode).toBeLessThan(0.002);
      if (mode === 'word') {
        // The reader's box over the writing follows too.
        await expect(page.locator('#line-boxes').getAttribute('data-boxes')).resolves.toBe('1');
        const boxes = await page.evaluate(`(() => {
          const c = document.getElementById('line-boxes');
          const { data } = c.getContext('2d').getImageData(0, 0, c.width, c.height);
          let n = 0;
          for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++;
          return { width: c.width, n };
        })()`);
        expect(boxes).toMatchObject({ width: 1440 });
        expect((boxes as { n: number }).n).toBeGreaterThan(0);
      }
      // One more tap: the image sent is still 1x, the old drawing in it unchanged.
      const n = sent.length;
      await page.locator(PAD[mode].selector).scrollIntoViewIfNeeded();
      const box = (await page.locator(PAD[mode].selector).boundingBox())!;
      await page.mouse.click(Math.round(box.x + 0.9 * box.width), Math.round(box.y + 0.9 * box.height));
      await expect.poll(() => sent.length, { timeout: 20_000 }).toBeGreaterThan(n);
      const meta = await sharp(sent.at(-1)!).metadata();
      expect([meta.width, meta.height]).toEqual(PAD[mode].size);
      const old = await sharp(sentBefore).greyscale().raw().toBuffer();
      const now = await sharp(sent.at(-1)!).greyscale().raw().toBuffer();
      // Only the tap's corner differs.
      const w = PAD[mode].size[0];
      let outside = 0;
      for (let i = 0; i < old.length; i++)
        if (old[i] !== now[i] && (i % w < 0.75 * w || i / w < 0.75 * PAD[mode].size[1])) outside++;
      expect(outside, mode).toBe(0);
      await page.context().close();
    }
  });
});
