import { describe, expect, it } from 'vitest';
import { preprocessLine } from '../src/index.js';
import { darkRect, gradientPage, toImage } from './helpers.js';

const W = 260;
const H = 50;

/** An outlined block letter (a box with 2-px strokes), like a bold printed capital. */
function boxLetter(page: Float32Array, x: number, y: number, w: number, h: number): void {
  darkRect(page, W, x, y, w, 2);
  darkRect(page, W, x, y + h - 2, w, 2);
  darkRect(page, W, x, y, 2, h);
  darkRect(page, W, x + w - 2, y, 2, h);
}

/**
 * A field: three letters at x 10.. (`wobble` 0 = print: tops and bottoms on one line), a colon, then after
 * a `gap` of pixels four handwritten-looking letters whose tops wander.
 */
function field(wobble: number, gap: number, colon = true) {
  const page = gradientPage(W, H);
  for (let i = 0; i < 3; i++) boxLetter(page, 10 + i * 9, 20 + ((i * wobble) % 5), 7, 10);
  if (colon) {
    darkRect(page, W, 39, 22, 2, 2);
    darkRect(page, W, 39, 27, 2, 2);
  }
  const start = 35 + gap; // the label ends at x 34
  const tops = [14, 17, 13, 16];
  for (let i = 0; i < 4; i++) boxLetter(page, start + i * 22, tops[i], 12, 20 + (i % 2) * 3);
  return { img: toImage(page, W, H), start };
}

describe('printed label removal', () => {
  it('drops a printed label and its colon left of the writing', () => {
    const { img, start } = field(0, 30);
    const line = preprocessLine(img);
    expect(line.labelRemoved).toBe(true);
    expect(line.crop.x).toBeGreaterThanOrEqual(start - 1);
    // The same field with removal off keeps it.
    const kept = preprocessLine(img, { removeLabels: false });
    expect(kept.labelRemoved).toBe(false);
    expect(kept.crop.x).toBeLessThanOrEqual(11);
  });

  it('drops a label beside a whole mark taller than it (a form cut with a margin), as the generator does not', () => {
    // Forms print a reference number sideways left of "NOM :". Cut at the image's edge it is a fragment and is not
    // counted; cut with a margin it is whole, and the median of its edges and the label's (two components: bold
    // print merges "NOM" into one blob) runs between them.
    const page = gradientPage(W, H);
    darkRect(page, W, 3, 10, 4, 30);
    boxLetter(page, 12, 20, 18, 10);
    darkRect(page, W, 33, 22, 2, 2);
    darkRect(page, W, 33, 27, 2, 2);
    const start = 90; // a gap of 1.5 times the mark's height: the median letter of two is the taller
    const tops = [14, 17, 13, 16];
    for (let i = 0; i < 4; i++) boxLetter(page, start + i * 22, tops[i]!, 12, 20 + (i % 2) * 3);
    const img = toImage(page, W, H);
    const line = preprocessLine(img);
    expect(line.labelRemoved).toBe(true);
    expect(line.crop.x).toBeGreaterThanOrEqual(start - 1);
    // Without edgesInside (the line generator's setting) only the median's line is tried, and the label stays.
    expect(preprocessLine(img, { edgesInside: false }).labelRemoved).toBe(false);
  });

  /**
   * A scan's field: "XXXXX :" in bold print (filled letters 20 px high), then 1-px handwriting. `hang`: pixels the
   * colon's lower dot hangs below the print's baseline; `written`: the left edge of each handwritten letter;
   * `dots`: 3x3 marks of the writing (a broken stroke).
   */
  function scanField(hang: number, written: number[], dots: [number, number][] = []) {
    const page = gradientPage(W, H);
    for (let i = 0; i < 5; i++) darkRect(page, W, 6 + i * 12, 12, 10, 20, 200);
    darkRect(page, W, 67, 18, 3, 3, 200);
    darkRect(page, W, 67, 29 + hang, 3, 3, 200);
    const tops = [9, 12, 8, 11];
    for (const [i, x] of written.entries()) boxLetter(page, x, tops[i % 4]!, 12, 20);
    for (const [x, y] of dots) darkRect(page, W, x, y, 3, 3, 120);
    return toImage(page, W, H);
  }

  it('on a scan, drops a bold label beside faint writing and a colon whose dot hangs below the baseline', () => {
    // Three thin letters hold under a fifth of the row's ink; the colon's lower dot ends 2 px under the print.
    const img = scanField(2, [110, 134, 158]);
    const line = preprocessLine(img);
    expect(line.labelRemoved).toBe(true);
    expect(line.crop.x).toBeGreaterThanOrEqual(109);
    // The line generator (edgesInside off) keeps to the strict rules: its synthetic labels are drawn to them.
    expect(preprocessLine(img, { edgesInside: false }).labelRemoved).toBe(false);
  });

  it('on a scan, never takes the first handwritten letters for part of the label', () => {
    // A wider gap after the first written letter than after the colon, and a broken stroke there that looks like a
    // colon: the label still ends at its own colon.
    const line = preprocessLine(
      scanField(
        0,
        [110, 190, 214, 238],
        [
          [160, 14],
          [160, 22],
        ],
      ),
    );
    expect(line.labelRemoved).toBe(true);
    expect(line.crop.x).toBeGreaterThanOrEqual(109);
    expect(line.crop.x).toBeLessThan(190);
  });

  it('keeps handwriting whose letters wander, however far the gap', () => {
    const line = preprocessLine(field(3, 30).img);
    expect(line.labelRemoved).toBe(false);
    expect(line.crop.x).toBeLessThanOrEqual(11);
  });

  it('keeps neat handwriting without a colon: glyphs on one line are not print by themselves', () => {
    const line = preprocessLine(field(0, 30, false).img);
    expect(line.labelRemoved).toBe(false);
    expect(line.crop.x).toBeLessThanOrEqual(11);
  });

  it('keeps aligned letters followed by a gap of about a letter height (an amount after its separator)', () => {
    const line = preprocessLine(field(0, 11, false).img);
    expect(line.labelRemoved).toBe(false);
    expect(line.crop.x).toBeLessThanOrEqual(11);
  });
});

describe('field rows', () => {
  it('prefers the row with a label beside its writing over a heavier unlabelled line', () => {
    const Hh = 70;
    const page = new Float32Array(W * Hh);
    for (let y = 0; y < Hh; y++) for (let x = 0; x < W; x++) page[y * W + x] = 230;
    const box = (x: number, y: number, w: number, h: number, t: number) => {
      for (let yy = y; yy < y + h; yy++)
        for (let xx = x; xx < x + w; xx++)
          if (yy < y + t || yy >= y + h - t || xx < x + t || xx >= x + w - t) page[yy * W + xx] = 40;
    };
    // Top: a line of bolder writing, wandering tops, no label, more ink than the field below.
    for (let i = 0; i < 7; i++) box(10 + i * 24, 2 + ((i * 5) % 7), 16, 20, 2);
    // Bottom: "XXX :" in print, then thinner writing.
    for (let i = 0; i < 3; i++) box(10 + i * 9, 45, 7, 10, 2);
    box(39, 47, 2, 2, 2);
    box(39, 52, 2, 2, 2);
    const tops = [41, 44, 40, 43];
    for (let i = 0; i < 4; i++) box(70 + i * 22, tops[i], 12, 20, 1);
    const line = preprocessLine(toImage(page, W, Hh));
    expect(line.labelRemoved).toBe(true);
    expect(line.crop.y).toBeGreaterThanOrEqual(39);
    expect(line.crop.x).toBeGreaterThanOrEqual(69);
  });
});
