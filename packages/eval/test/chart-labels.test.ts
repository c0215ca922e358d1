import { LABEL_SPACE_36 } from '@hcr/core';
import { createCanvas, loadImage } from '@napi-rs/canvas';
import { describe, expect, it } from 'vitest';
import { renderClassF1 } from '../src/charts/class-f1.js';
import { FEW_LINES, renderLengthChart } from '../src/lines/charts.js';

/** The PNG's pixels (RGBA) and size. */
async function pixels(png: Buffer): Promise<{ data: Uint8ClampedArray; width: number; height: number }> {
  const img = await loadImage(png);
  const ctx = createCanvas(img.width, img.height).getContext('2d');
  ctx.drawImage(img, 0, 0);
  return { data: ctx.getImageData(0, 0, img.width, img.height).data, width: img.width, height: img.height };
}

/** Pixels in rows y0..y1 and columns x0..x1 that are not white. */
function inked(
  p: { data: Uint8ClampedArray; width: number },
  [x0, x1]: [number, number],
  [y0, y1]: [number, number],
): number {
  let n = 0;
  for (let y = y0; y <= y1; y++)
    for (let x = x0; x <= x1; x++) {
      const i = (y * p.width + x) * 4;
      if (p.data[i]! < 240 || p.data[i + 1]! < 240 || p.data[i + 2]! < 240) n++;
    }
  return n;
}

describe('chart value labels', () => {
  it('F1 per class: the values of tall bars stay inside the plot, under its top border', async () => {
    const perClass = LABEL_SPACE_36.classes.map((c, i) => ({
      class: c,
      precision: 1,
      recall: 1,
      f1: [1, 0.99, 0.93, 0.9, 0.86][i % 5]!,
      support: 10,
    }));
    const p = await pixels(renderClassF1(perClass));
    // the plot (class-f1.ts): x from 70, 24 px per class, top border at y 84; the legend ends above y 64
    expect(inked(p, [70, 70 + 36 * 24], [64, 82])).toBe(0);
  });

  it('exact match / CER per length: values under the top borders, n under every bucket of both charts', async () => {
    const bucket = (label: string, lo: number, count: number, exactRate: number, cer: number) => ({
      label,
      lo,
      hi: lo + 1,
      count,
      cer,
      exactRate,
      exactInterval: [0, 1] as [number, number],
      cerInterval: [cer, cer] as [number, number],
      fullMatchRate: exactRate,
      exact: Math.round(exactRate * count),
      fullMatch: Math.round(exactRate * count),
      edits: 0,
      truthChars: count,
    });
    const png = renderLengthChart('amounts', [
      { name: 'none', perLength: [bucket('1-2', 1, 1, 1, 1), bucket('3-4', 3, 169, 0.93, 0.9)] },
      { name: 'digits', perLength: [bucket('1-2', 1, 1, 1, 1.2), bucket('3-4', 3, 169, 0.97, 0.05)] },
    ]);
    const p = await pixels(png);
    // renderLengthChart: plots at x 70..490, exact match y 60..230, CER y 300..470
    expect(inked(p, [70, 490], [40, 58]), 'above the exact-match plot').toBe(0);
    expect(inked(p, [70, 490], [268, 298]), 'above the CER plot').toBe(0);
    // the line counts: under the CER chart (as before) and now under the exact-match chart too
    expect(inked(p, [70, 490], [230 + 21, 230 + 30]), 'n under the exact-match chart').toBeGreaterThan(0);
    expect(inked(p, [70, 490], [470 + 21, 470 + 30]), 'n under the CER chart').toBeGreaterThan(0);
    expect(FEW_LINES).toBe(10); // the 1-line bucket is drawn pale, with its count in red
  });
});
