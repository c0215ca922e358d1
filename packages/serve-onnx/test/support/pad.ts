import type { Page } from '@hcr/test-browser';
import { waitFor } from './wait.js';

/** The character pad of the drawing page: strokes drawn on it with the mouse, and the answer read back. */
export type Pt = [number, number];
/** Strokes as a person draws them, in the unit square of the canvas. */
export const SEVEN: Pt[][] = [
  [
    [0.28, 0.22],
    [0.5, 0.21],
    [0.72, 0.22],
    [0.6, 0.45],
    [0.5, 0.65],
    [0.43, 0.82],
  ],
];

/** Draws `strokes` on the page's #pad with the mouse. */
export async function draw(page: Page, strokes: Pt[][]) {
  const box = (await page.locator('#pad').boundingBox())!;
  const at = ([x, y]: Pt): Pt => [box.x + x * box.width, box.y + y * box.height];
  for (const stroke of strokes) {
    await page.mouse.move(...at(stroke[0]!));
    await page.mouse.down();
    for (const p of stroke.slice(1)) await page.mouse.move(...at(p), { steps: 6 });
    await page.mouse.up();
  }
}

/** Waits for the page's answer to settle (no request in flight) and returns the top-5 labels. */
export async function topLabels(page: Page): Promise<string[]> {
  // Page-side code as strings: this package's TypeScript has no DOM types.
  const settled = "/Best guess/.test(document.getElementById('status').textContent)";
  await waitFor(page, settled);
  await page.waitForTimeout(400);
  await waitFor(page, settled); // a stroke's last request may still have been on its way
  return page.$$eval('#predictions li', (lis) => lis.map((li) => li.getAttribute('data-label') ?? ''));
}
