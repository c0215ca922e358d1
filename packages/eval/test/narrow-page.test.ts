import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LINE_HEIGHT } from '@hcr/model';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderIndexHtml } from '../src/html.js';
import { renderLinesHtml } from '../src/lines/html.js';
import type { LineExample } from '../src/lines/report.js';
import type { LineSet } from '../src/lines/sources.js';
import { handLinesReport } from './hand-lines-report.js';
import { report as handReport, MIXED } from './hand-report.js';
import { textPng } from './text-png.js';

/** Chromium as the project's browser tests find it (Debian's package); without one the test is skipped. */
const CHROMIUM = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find(
  (p): p is string => !!p && existsSync(p),
);

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'hcr-narrow-page-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe.skipIf(!CHROMIUM)('the reader report page on a 375-px phone screen', () => {
  it('shows each error example’s truth beside its images without scrolling sideways', async () => {
    const scan = join(root, 'name-0123.png');
    await writeFile(scan, textPng('DI BENEDETTO', 900, 120, '80px sans-serif', [20, 95]));
    const width = 400; // a wide reader input (the dev sets have them up to ~400 px)
    const set: LineSet = {
      name: 'names-x',
      kind: 'real',
      field: 'names',
      dir: root,
      lines: [
        {
          id: 'name-0123.png',
          truth: 'DIBENEDETTO',
          width,
          pixels: new Uint8Array(width * LINE_HEIGHT).fill(255),
          file: scan,
        },
      ],
      failed: [],
    };
    const example: LineExample = {
      id: 'name-0123.png',
      truth: 'DIBENEDETTO',
      width,
      reads: [
        { constraint: 'letters', text: 'DIDENEDETTO', confidence: 0.78, edits: 1 },
        { constraint: 'none', text: 'DIDENEDETTO', confidence: 0.7, edits: 1 },
      ],
    };
    const report = handLinesReport(root, example);
    const page = join(root, 'index.html');
    await writeFile(page, await renderLinesHtml(report, {}, [set]));
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      const tab = await browser.newPage({ viewport: { width: 375, height: 800 } });
      await tab.goto(pathToFileURL(page).href);
      // a string, run in the page (this package's TypeScript has no DOM types)
      const cells = (await tab.evaluate(`(() => {
        const row = document.querySelector('table.examples tr.example');
        const [image, truth, headline] = [...row.children].map((c) => c.getBoundingClientRect());
        return { image: image.right, truth: truth.right, headline: headline.left, page: document.documentElement.scrollWidth };
      })()`)) as { image: number; truth: number; headline: number; page: number };
      // before, the images (the original up to 360 px, the reader's input at its own width) filled the screen
      expect(cells.truth).toBeLessThanOrEqual(375);
      expect(cells.headline).toBeLessThan(375);
      expect(cells.page).toBe(375); // the page itself never scrolls sideways
    } finally {
      await browser.close();
    }
  }, 60_000);

  it('keeps each confusion pair of the character page on one line (1<->L, not "1<-" over ">L")', async () => {
    const r = handReport(MIXED);
    expect(r.overall.topConfusions.length).toBeGreaterThan(0);
    const page = join(root, 'character.html');
    await writeFile(page, renderIndexHtml(r, {}, []));
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      const tab = await browser.newPage({ viewport: { width: 375, height: 800 } });
      await tab.goto(pathToFileURL(page).href);
      // the lines each pair cell's text takes: one line box per line
      const lines =
        (await tab.evaluate(`[...document.querySelectorAll('#confusions tbody td:first-child')].map((td) => {
        const range = document.createRange();
        range.selectNodeContents(td);
        return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size;
      })`)) as number[];
      expect(lines.length).toBe(r.overall.topConfusions.length);
      expect(lines.every((n) => n === 1)).toBe(true);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
