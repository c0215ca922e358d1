import { createCanvas } from '@napi-rs/canvas';

/**
 * `text` in dark print on white, as a PNG of `width` x `height`, written from `at` (its baseline) in `font`: a
 * stand-in for a scanned line of writing that prepareLineImage reads without complaint.
 */
export function textPng(
  text: string,
  width: number,
  height: number,
  font: string,
  at: readonly [number, number],
): Buffer {
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, width, height);
  ctx.fillStyle = '#111';
  ctx.font = font;
  ctx.fillText(text, at[0], at[1]);
  return canvas.toBuffer('image/png');
}
