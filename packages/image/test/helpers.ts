import type { GreyImage } from '../src/index.js';

/** A light background with a left-to-right lighting gradient (dark-on-light scan). */
export function gradientPage(width: number, height: number): Float32Array {
  const page = new Float32Array(width * height);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) page[y * width + x] = 235 - (70 * x) / width;
  return page;
}

/** Darkens a filled rectangle by `depth` grey levels. */
export function darkRect(
  page: Float32Array,
  width: number,
  x0: number,
  y0: number,
  w: number,
  h: number,
  depth = 150,
): void {
  for (let y = y0; y < y0 + h; y++)
    for (let x = x0; x < x0 + w; x++) page[y * width + x] = Math.max(0, page[y * width + x] - depth);
}

/**
 * Three block letters drawn with 3-px strokes, 24 px high, starting at (x, y): an H (with its bar), an I and
 * a T (with its bar), then a hyphen. Returns the columns each stroke occupies, for the checks.
 */
export function drawLetters(page: Float32Array, width: number, x: number, y: number): void {
  // H
  darkRect(page, width, x, y, 3, 24);
  darkRect(page, width, x + 13, y, 3, 24);
  darkRect(page, width, x, y + 11, 16, 3);
  // I
  darkRect(page, width, x + 26, y, 3, 24);
  // T
  darkRect(page, width, x + 36, y, 17, 3);
  darkRect(page, width, x + 43, y, 3, 24);
  // hyphen
  darkRect(page, width, x + 60, y + 11, 10, 3);
}

export function toImage(page: Float32Array, width: number, height: number): GreyImage {
  const data = new Uint8Array(page.length);
  for (let i = 0; i < page.length; i++) data[i] = Math.max(0, Math.min(255, Math.round(page[i])));
  return { width, height, data };
}

export function invert(img: GreyImage): GreyImage {
  return { ...img, data: (img.data as Uint8Array).map((v) => 255 - v) };
}

/** Sum of ink per output column and row. */
export function profiles(
  pixels: Uint8Array,
  width: number,
  height: number,
): { cols: number[]; rows: number[] } {
  const cols = new Array(width).fill(0);
  const rows = new Array(height).fill(0);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      cols[x] += pixels[y * width + x];
      rows[y] += pixels[y * width + x];
    }
  }
  return { cols, rows };
}
