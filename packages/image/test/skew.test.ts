import { describe, expect, it } from 'vitest';
import { preprocessLine } from '../src/index.js';
import { estimateSkew, rotateGrey, unrotateBox } from '../src/skew.js';
import { darkRect, gradientPage, toImage } from './helpers.js';

/** A line of block capitals, 24 px high, with uneven gaps: 10 letters from (x, y), 180 px long. */
function capitals(page: Float32Array, width: number, x: number, y: number): void {
  for (let k = 0; k < 10; k++) {
    const at = x + k * 18 + (k % 3) * 2;
    darkRect(page, width, at, y + (k % 2), 3, 24); // a stem
    darkRect(page, width, at, y + 11, 12, 3); // a bar
    if (k % 2)
      darkRect(page, width, at + 9, y, 3, 24); // a second stem (an H), else an F-like letter
    else darkRect(page, width, at, y, 12, 3);
  }
}

/** The page turned by `deg` (clockwise on screen), its middle `cw x ch` cut out: a photo of a tilted page. */
function turned(page: Float32Array, w: number, h: number, deg: number, cw = 240, ch = 90) {
  const r = rotateGrey(page, w, h, deg, 0);
  const x0 = (r.width - cw) >> 1;
  const y0 = (r.height - ch) >> 1;
  const cut = new Float32Array(cw * ch);
  for (let y = 0; y < ch; y++)
    cut.set(r.grey.subarray((y0 + y) * r.width + x0, (y0 + y) * r.width + x0 + cw), y * cw);
  return toImage(cut, cw, ch);
}

/** The line as ink 0..1 (what estimateSkew reads): dark pixels of an image on a light page. */
function inkOf(img: { width: number; height: number; data: ArrayLike<number> }): Float32Array {
  const ink = new Float32Array(img.width * img.height);
  for (let i = 0; i < ink.length; i++) ink[i] = img.data[i]! < 120 ? 1 : 0;
  return ink;
}

describe('a line written or photographed at an angle', () => {
  // A page larger than the photos cut from it, the line of capitals across its middle.
  const [W, H] = [360, 200];
  const page = gradientPage(W, H);
  capitals(page, W, 90, 88);

  it('measures the angle it leans, either way, to a quarter of a degree', () => {
    for (const deg of [-12, -6, -3, 0, 4, 9]) {
      const img = turned(page, W, H, deg);
      const { angle, gain } = estimateSkew(inkOf(img), img.width, img.height);
      expect(Math.abs(angle - deg)).toBeLessThanOrEqual(0.5);
      if (deg === 0) expect(gain).toBe(1);
      else expect(gain).toBeGreaterThan(1.2);
    }
  });

  it('is turned flat before reading: about the same 32-px line as the flat one, and the angle reported', () => {
    const flat = preprocessLine(turned(page, W, H, 0));
    expect(flat.skew).toBe(0);
    for (const deg of [-8, 5]) {
      const img = turned(page, W, H, deg);
      const line = preprocessLine(img);
      expect(Math.abs(line.skew - deg)).toBeLessThanOrEqual(0.5);
      // Read as it lies, the band takes in the slope: the letters shrink and the line is shorter.
      const asItLies = preprocessLine(img, { deskew: false });
      expect(asItLies.skew).toBe(0);
      expect(asItLies.width).toBeLessThan(flat.width * 0.7);
      // Turned flat it is the flat line again, within the blur of two turns (a pixel of band height).
      expect(Math.abs(line.width - flat.width)).toBeLessThanOrEqual(0.08 * flat.width);
      // The crop, mapped back, holds the writing of the turned image (its centre moved with the turn).
      const { crop } = line;
      expect(crop.x).toBeLessThanOrEqual(0.15 * img.width);
      expect(crop.x + crop.width).toBeGreaterThanOrEqual(0.85 * img.width);
    }
  });

  it('leaves a line that leans less than 2 degrees as it is, byte for byte', () => {
    const img = turned(page, W, H, 1);
    const on = preprocessLine(img);
    const off = preprocessLine(img, { deskew: false });
    expect(on.skew).toBe(0);
    expect(Buffer.from(on.pixels).equals(Buffer.from(off.pixels))).toBe(true);
  });

  it('turns the grey about its centre onto a canvas that holds it all, and maps boxes back', () => {
    const grey = new Float32Array(40 * 10).fill(200);
    grey[5 * 40 + 39] = 0; // a dark pixel at the right end of the middle row
    const r = rotateGrey(grey, 40, 10, 90, 255);
    expect([r.width, r.height]).toEqual([10, 40]);
    // turned a quarter clockwise, the right end goes to the bottom
    let darkest = 0;
    for (let i = 1; i < r.grey.length; i++) if (r.grey[i]! < r.grey[darkest]!) darkest = i;
    expect(Math.floor(darkest / r.width)).toBe(39);
    // the whole turned canvas maps back onto the whole source
    expect(unrotateBox({ x: 0, y: 0, width: r.width, height: r.height }, r, 40, 10, 90)).toEqual({
      x: 0,
      y: 0,
      width: 40,
      height: 10,
    });
  });
});
