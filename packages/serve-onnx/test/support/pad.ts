import type { Page } from '@hcr/test-browser';
import sharp from 'sharp';
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

/** A share of an element: strokes are given in its unit square. */
export type Frame = { x: number; y: number; w: number; h: number };
const WHOLE: Frame = { x: 0, y: 0, w: 1, h: 1 };

/** Draws `strokes` on the page's #pad with the mouse. */
export function draw(page: Page, strokes: Pt[][]) {
  return drawIn(page, '#pad', strokes);
}

/**
 * Draws `strokes` (in the unit square of `frame`, a share of the element) on `selector` with the mouse, `steps`
 * moves per segment: the page joins the points with straight lines, so more moves draw the same, each a CDP round
 * trip (8 made the browser tests a minute longer in CI).
 */
export async function drawIn(page: Page, selector: string, strokes: Pt[][], frame = WHOLE, steps = 2) {
  const box = (await page.locator(selector).boundingBox())!;
  const at = ([x, y]: Pt): Pt => [
    box.x + (frame.x + x * frame.w) * box.width,
    box.y + (frame.y + y * frame.h) * box.height,
  ];
  for (const stroke of strokes) {
    await page.mouse.move(...at(stroke[0]!));
    await page.mouse.down();
    for (const p of stroke.slice(1)) await page.mouse.move(...at(p), { steps });
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

/** The weighted centre of the ink (dark on light) of an encoded image, in its pixels, and its size. */
export async function inkCentre(
  image: Buffer,
): Promise<{ x: number; y: number; width: number; height: number }> {
  const { data, info } = await sharp(image).greyscale().raw().toBuffer({ resolveWithObject: true });
  let [sum, sx, sy] = [0, 0, 0];
  for (let y = 0; y < info.height; y++)
    for (let x = 0; x < info.width; x++) {
      const v = 255 - data[y * info.width + x]!;
      sum += v;
      sx += v * (x + 0.5);
      sy += v * (y + 0.5);
    }
  return { x: sx / sum, y: sy / sum, width: info.width, height: info.height };
}
