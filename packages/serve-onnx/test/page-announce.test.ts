import { type Page, skipWithoutChromium } from '@hcr/test-browser';
import { describe, expect, it } from 'vitest';
import { drawIn } from './support/pad.js';
import { openDrawingPage, type PageMode, usePageServer } from './support/page-server.js';
import { STROKES } from './support/synth.js';
import { waitFor } from './support/wait.js';

/**
 * What a screen reader hears of the drawing page: each answer once, each problem once and at once (assertive),
 * nothing of what is under way ("Recognising…"), watched as the live regions change (a MutationObserver on the
 * page: each batch of changes to a live region that leaves it with text is one announcement).
 */
type Said = { id: string; live: string; text: string };

/** Starts recording what the page's live regions say (page-side code as a string: no DOM types here). */
const LISTEN = `(() => {
  window.__said = [];
  const liveOf = (el) => {
    const live = el.getAttribute('aria-live');
    if (live) return live;
    const role = el.getAttribute('role');
    return role === 'alert' ? 'assertive' : role === 'status' || role === 'log' ? 'polite' : null;
  };
  new MutationObserver((records) => {
    const touched = new Set();
    for (const r of records)
      for (let n = r.target.nodeType === 1 ? r.target : r.target.parentElement; n; n = n.parentElement) {
        const live = liveOf(n);
        if (live && live !== 'off') {
          touched.add(n);
          break;
        }
      }
    for (const el of touched) {
      // a region in a hidden part of the page says nothing
      if (el.closest('[hidden]')) continue;
      const text = el.textContent.trim();
      if (text) window.__said.push({ id: el.id, live: liveOf(el), text });
    }
  }).observe(document.body, {
    subtree: true,
    childList: true,
    characterData: true,
    attributes: true,
    attributeFilter: ['role', 'aria-live'],
  });
})()`;
const said = (page: Page) => page.evaluate('window.__said') as Promise<Said[]>;
const listen = (page: Page) => page.evaluate(LISTEN);

/** The character pad has answered its drawing and asks nothing more. */
const charSettled = (page: Page) =>
  waitFor(
    page,
    "inFlight === null && !dirty && !drawing && document.getElementById('status').textContent !== 'Recognising…'",
  );
/** The writing pad has answered and asks nothing more. */
const lineSettled = (page: Page) =>
  waitFor(page, "!lineBusy && !lineDirty && !/…$/.test(document.getElementById('line-status').textContent)");

describe.skipIf(skipWithoutChromium())(
  'what a screen reader hears of the drawing page, in headless Chromium',
  () => {
    const served = usePageServer();
    async function open(mode: PageMode = 'char'): Promise<Page> {
      const page = await served.browser.newPage({ viewport: { width: 800, height: 900 } });
      await openDrawingPage(page, served.server.url, mode);
      await listen(page);
      return page;
    }

    it('character mode: a drawing is answered once, politely, with what the status line shows; nothing while the pen moves', async () => {
      const page = await open('char');
      // The pad asks while the pen moves: answers come back before it lifts.
      await drawIn(page, '#pad', STROKES['7']!, { x: 0.2, y: 0.15, w: 0.6, h: 0.7 });
      await charSettled(page);
      const status = await page.locator('#status').textContent();
      expect(status).toMatch(/^Best guess: /);
      expect(await said(page)).toEqual([{ id: expect.any(String), live: 'polite', text: status }]);
      // A second stroke is a second reading: said once more.
      await drawIn(page, '#pad', [
        [
          [0.35, 0.5],
          [0.65, 0.5],
        ],
      ]);
      await charSettled(page);
      const again = await said(page);
      expect(again).toHaveLength(2);
      expect(again[1]).toMatchObject({ live: 'polite', text: await page.locator('#status').textContent() });
      // Escape clears the pad, and says so once.
      await page.locator('#pad').focus();
      await page.keyboard.press('Escape');
      expect((await said(page)).slice(2)).toEqual([
        { id: expect.any(String), live: 'polite', text: 'Nothing drawn yet.' },
      ]);
      await page.close();
    });

    it('character mode: a problem is said once, at once (assertive), and nothing politely', async () => {
      const page = await open('char');
      await page.route('**/v1/predict**', (r) =>
        r.fulfill({
          status: 500,
          contentType: 'application/json',
          body: JSON.stringify({
            error: { code: 'INTERNAL', message: 'Something broke.', hint: 'Look at the log.' },
          }),
        }),
      );
      await drawIn(page, '#pad', STROKES['7']!, { x: 0.2, y: 0.15, w: 0.6, h: 0.7 });
      await charSettled(page);
      await expect(page.locator('#status').getAttribute('data-error')).resolves.toBe('INTERNAL');
      expect(await said(page)).toEqual([
        { id: expect.any(String), live: 'assertive', text: 'Something broke. Look at the log.' },
      ]);
      await page.close();
    });

    it('word mode: a reading is said once, with what was left out in the same words, and the text not again', async () => {
      const page = await open('word');
      await drawIn(page, '#line-pad', STROKES.L!, { x: 0.06, y: 0.25, w: 0.085, h: 0.5 });
      await lineSettled(page);
      const status = await page.locator('#line-status').textContent();
      expect(status).toMatch(/^(Read:|Unsure|No writing read)/);
      expect(await said(page)).toEqual([{ id: expect.any(String), live: 'polite', text: status }]);
      // A reading of the lower line with writing left above it: one announcement, the reading and what was left out.
      const height = 200;
      await page.route('**/v1/read**', (r) =>
        r.fulfill({
          contentType: 'application/json',
          body: JSON.stringify({
            model: 'm',
            text: '1740',
            confidence: 0.9,
            characters: [...'1740'].map((char) => ({ char, confidence: 0.9 })),
            alternatives: [{ text: '1740', confidence: 0.9 }],
            box: { x: 0, y: Math.round(0.55 * height), width: 720, height: Math.round(0.4 * height) },
            timing: { preprocessMs: 1, inferenceMs: 1, totalMs: 2 },
          }),
        }),
      );
      await page.locator('#line-clear').click();
      await drawIn(page, '#line-pad', STROKES.L!, { x: 0.06, y: 0.02, w: 0.085, h: 0.25 });
      await lineSettled(page);
      const leftOut = await page.locator('#line-status').textContent();
      expect(leftOut).toMatch(/^Read: "1740".*Only the boxed line was read/);
      expect((await said(page)).slice(1)).toEqual([
        { id: expect.any(String), live: 'polite', text: 'Nothing written yet.' },
        { id: expect.any(String), live: 'polite', text: leftOut },
      ]);
      await page.close();
    });

    it('word mode: an invalid pattern is said once, at once, and its fix once, politely', async () => {
      const page = await open('word');
      await page.locator('#pattern').fill('[0-9');
      await waitFor(page, "document.getElementById('line-status').dataset.error === 'PATTERN_INVALID'");
      await lineSettled(page);
      const problem = await page.locator('#line-status').textContent();
      expect(await said(page)).toEqual([{ id: expect.any(String), live: 'assertive', text: problem }]);
      await page.locator('#pattern').fill('[0-9]{4}');
      await waitFor(page, "document.getElementById('line-status').textContent === 'Nothing written yet.'");
      await lineSettled(page);
      expect((await said(page)).slice(1)).toEqual([
        { id: expect.any(String), live: 'polite', text: 'Nothing written yet.' },
      ]);
      await page.close();
    });

    it('word mode: a server that cannot be reached is said once, also when a stroke was written while it was asked', async () => {
      const page = await open('word');
      const held: { abort(code: string): Promise<void> }[] = [];
      await page.route('**/v1/read**', (r) => {
        held.push(r);
      });
      await drawIn(page, '#line-pad', STROKES.L!, { x: 0.06, y: 0.25, w: 0.085, h: 0.5 });
      await expect.poll(() => held.length, { timeout: 20_000 }).toBe(1);
      // A second stroke while the first read is out: that read's answer is stale, and the next stroke asks again.
      await drawIn(page, '#line-pad', STROKES['1']!, { x: 0.2, y: 0.25, w: 0.085, h: 0.5 });
      await held[0]!.abort('connectionrefused');
      await waitFor(
        page,
        "!lineBusy && document.getElementById('line-status').dataset.error === 'UNREACHABLE'",
      );
      expect(await said(page)).toEqual([
        {
          id: expect.any(String),
          live: 'assertive',
          text: 'The server cannot be reached (is hcr serve running?).',
        },
      ]);
      expect(held).toHaveLength(1);
      await page.close();
    });

    it('lines mode: two lines read are said once', async () => {
      const page = await open('lines');
      await drawIn(page, '#line-pad', STROKES.L!, { x: 0.06, y: 0.1, w: 0.06, h: 0.25 });
      await lineSettled(page);
      await drawIn(page, '#line-pad', STROKES['7']!, { x: 0.06, y: 0.6, w: 0.06, h: 0.25 });
      await lineSettled(page);
      const status = await page.locator('#line-status').textContent();
      const all = await said(page);
      // one announcement a reading, the last the reading on show
      expect(all.every((s) => s.live === 'polite')).toBe(true);
      expect(all.length).toBeLessThanOrEqual(2);
      expect(all.at(-1)?.text).toBe(status);
      await page.close();
    });
  },
);
