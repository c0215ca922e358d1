import { describe, expect, it } from 'vitest';
import { preprocessLine } from '../src/index.js';
import { darkRect, gradientPage, toImage } from './helpers.js';

/** Blocks `h` px high, `w` wide every `step` px: the stubs a cut leaves of a neighbouring line. */
function stubs(
  page: Float32Array,
  width: number,
  y: number,
  h: number,
  from: number,
  to: number,
  w = 14,
  step = 24,
) {
  for (let x = from; x + w <= to; x += step) darkRect(page, width, x, y, w, h);
}

/**
 * Handwritten H, I, T and L from (x, y): 24 px letters whose tops and bottoms wobble by a few pixels, as a
 * hand's do (letters aligned to the pixel would be print). They span x .. x + 71 and y - 2 .. y + 26.
 */
function writing(page: Float32Array, width: number, x: number, y: number): void {
  darkRect(page, width, x, y, 3, 24);
  darkRect(page, width, x + 13, y + 1, 3, 24);
  darkRect(page, width, x, y + 11, 16, 3);
  darkRect(page, width, x + 26, y + 3, 3, 24);
  darkRect(page, width, x + 36, y - 2, 17, 3);
  darkRect(page, width, x + 43, y - 2, 3, 24);
  darkRect(page, width, x + 60, y + 1, 3, 24);
  darkRect(page, width, x + 60, y + 22, 12, 3);
}

/** The crop is the writing drawn at (x, y). */
function expectWriting(crop: { x: number; y: number; width: number; height: number }, x: number, y: number) {
  expect(crop.x).toBeGreaterThanOrEqual(x - 1);
  expect(crop.y).toBeGreaterThanOrEqual(y - 3);
  expect(crop.x + crop.width).toBeLessThanOrEqual(x + 73);
  expect(crop.y + crop.height).toBeLessThanOrEqual(y + 28);
}

describe('the writing of a field cut out of a form and laid on more paper', () => {
  it('is not outweighed by the stubs of the neighbouring line that the cut left', () => {
    // The piece's top edge is the straight row y = 10, inside the image: the stubs end on it, with paper above.
    const [W, H] = [240, 80];
    const page = gradientPage(W, H);
    stubs(page, W, 10, 7, 8, 232);
    writing(page, W, 60, 30);
    expectWriting(preprocessLine(toImage(page, W, H)).crop, 60, 30);
  });

  it('is not chained to the other rows by a box side that stops short of the image edges', () => {
    // The rule remover takes only lines crossing 95% of the image; this side spans the piece, not the image.
    const [W, H] = [240, 90];
    const page = gradientPage(W, H);
    darkRect(page, W, 20, 10, 2, 70, 120);
    for (let x = 40; x < 200; x += 20) darkRect(page, W, x, 12, 10, 9); // a row of small writing above
    writing(page, W, 60, 38);
    expectWriting(preprocessLine(toImage(page, W, H)).crop, 60, 38);
  });

  it('keeps whole letters that share a neat baseline (they are not a cut)', () => {
    // Four letters of different heights end on the same row, the lowest ink; the heavy stubs at the image's
    // own top edge must not win.
    const [W, H] = [240, 50];
    const page = gradientPage(W, H);
    stubs(page, W, 0, 12, 8, 232, 16, 23);
    for (const [i, tall] of [24, 21, 25, 22].entries()) {
      darkRect(page, W, 40 + 20 * i, 46 - tall, 2, tall);
      darkRect(page, W, 40 + 20 * i + 9, 46 - tall, 2, tall);
      darkRect(page, W, 40 + 20 * i, 46 - tall, 11, 2);
    }
    const { crop } = preprocessLine(toImage(page, W, H));
    expect(crop.y).toBeGreaterThanOrEqual(20);
    expect(crop.x).toBeGreaterThanOrEqual(40);
    expect(crop.x + crop.width).toBeLessThanOrEqual(112);
  });

  it('keeps a thin 1 as tall as the line: only an upright much taller than the letters is a box side', () => {
    const [W, H] = [160, 60];
    const page = gradientPage(W, H);
    darkRect(page, W, 30, 15, 3, 24); // the 1
    for (const x of [50, 80, 110]) {
      darkRect(page, W, x, 15, 14, 3);
      darkRect(page, W, x, 36, 14, 3);
      darkRect(page, W, x, 15, 3, 24);
      darkRect(page, W, x + 11, 15, 3, 24);
    }
    const { crop } = preprocessLine(toImage(page, W, H));
    expect(crop.x).toBeLessThanOrEqual(30);
    expect(crop.x + crop.width).toBeGreaterThanOrEqual(124);
  });

  it("keeps a word's thin, tall l's on a clean page (one row of writing: no box side can cross it)", () => {
    // "allow" in a thin pen: the l's are twice the x-height and 13 times taller than wide.
    const [W, H] = [200, 80];
    const page = gradientPage(W, H);
    const ring = (x: number) => {
      darkRect(page, W, x, 40, 14, 2);
      darkRect(page, W, x, 58, 14, 2);
      darkRect(page, W, x, 40, 2, 20);
      darkRect(page, W, x + 12, 40, 2, 20);
    };
    ring(30); // a
    darkRect(page, W, 52, 20, 3, 40); // l
    darkRect(page, W, 64, 20, 3, 40); // l
    ring(76); // o
    ring(100); // w, near enough
    const { crop } = preprocessLine(toImage(page, W, H));
    expect(crop.y).toBeLessThanOrEqual(21);
  });
});
