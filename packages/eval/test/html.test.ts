import { mkdtemp, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Browser, launchChromium } from '@hcr/test-browser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pct } from '../src/html.js';
import { type EvalResult, evaluateRun } from '../src/report.js';
import { documentWidth, ensureFixture, FIXTURE_RUN } from './fixtures.js';

let browser: Browser;
let result: EvalResult;
let out: string;

beforeAll(async () => {
  browser = await launchChromium(); // fails first, naming the install command, when Chromium is missing
  const fx = await ensureFixture();
  out = await mkdtemp(join(tmpdir(), 'hcr-eval-html-'));
  result = await evaluateRun({
    run: FIXTURE_RUN,
    modelsDir: fx.modelsDir,
    dataDir: fx.dataDir,
    outDir: out,
    engine: 'wasm',
  });
});

afterAll(async () => {
  await browser?.close();
});

describe('index.html in headless Chromium', () => {
  it('renders the headline numbers, every picture and the sortable per-class table, offline', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const external: string[] = [];
    page.on('request', (req) => {
      if (!req.url().startsWith('file:') && !req.url().startsWith('data:')) external.push(req.url());
    });
    // the stable pointer: artifacts/reports/latest/index.html
    await page.goto(pathToFileURL(join(out, 'latest', 'index.html')).href, { waitUntil: 'load' });
    const r = result.report;

    expect(await page.textContent('#model-id')).toBe(FIXTURE_RUN);
    expect(await page.textContent('#acc-overall')).toBe(pct(r.overall.accuracy));
    expect(await page.textContent('#acc-mnist')).toBe(pct(r.sources.mnist!.ownClassAccuracy));
    expect(await page.textContent('#acc-letters')).toBe(
      pct(r.sources['emnist-letters-repack']!.ownClassAccuracy),
    );
    expect(await page.textContent('#acc-extra')).toBe(pct(r.sources['emnist-digits-repack']!.accuracy));

    const images = await page.$$eval('img', (els) =>
      els.map((e) => ({
        file: e.getAttribute('data-file'),
        w: (e as unknown as { naturalWidth: number }).naturalWidth,
      })),
    );
    expect(images.map((i) => i.file).sort()).toEqual(Object.values(r.pictures).sort());
    for (const img of images) expect(img.w, `${img.file} decoded`).toBeGreaterThan(300);

    expect(await page.$$eval('#per-class tbody tr', (rows) => rows.length)).toBe(36);
    // sort by F1 (4th column) with a click, then from the keyboard: descending, so the first row has the highest F1
    const f1Head = '#per-class th:nth-child(4)';
    await page.click(`${f1Head} button`);
    expect(await page.getAttribute(f1Head, 'aria-sort')).toBe('ascending');
    expect(await page.getAttribute('#per-class th:nth-child(1)', 'aria-sort')).toBeNull();
    await page.focus(`${f1Head} button`);
    await page.keyboard.press('Enter');
    expect(await page.getAttribute(f1Head, 'aria-sort')).toBe('descending');
    const f1s = await page.$$eval('#per-class tbody tr td:nth-child(4)', (tds) =>
      tds.map((t) => Number(t.textContent)),
    );
    expect(f1s).toEqual([...f1s].sort((a, b) => b - a));
    expect(external).toEqual([]);

    const shot = join(out, 'index-screenshot.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect((await stat(shot)).size).toBeGreaterThan(50_000);
    console.log(`screenshot: ${shot}`);
    await page.close();
  });

  it('fits a 375-px phone screen: wide tables scroll in their box, the page does not scroll sideways', async () => {
    const page = await browser.newPage({ viewport: { width: 375, height: 800 } });
    await page.goto(pathToFileURL(join(out, 'latest', 'index.html')).href, { waitUntil: 'load' });
    expect(await documentWidth(page)).toBeLessThanOrEqual(375);
    // the per-source table is wider than the screen, and scrolls inside its box
    type Box = { scrollWidth: number; clientWidth: number; parentElement: Box };
    const box = await page.$eval('#sources', (t) => {
      const table = t as unknown as Box;
      const style = (globalThis as unknown as { getComputedStyle(e: unknown): { overflowX: string } })
        .getComputedStyle;
      return {
        table: table.scrollWidth,
        box: table.parentElement.clientWidth,
        overflow: style(table.parentElement).overflowX,
      };
    });
    expect(box.table).toBeGreaterThan(box.box);
    expect(box.overflow).toBe('auto');
    await page.close();
  });
});
