import type { PerClassEntry } from '../evaluate.js';
import {
  BLUE,
  drawAxes,
  drawBarValue,
  drawLegend,
  font,
  GOOD,
  INK,
  newChart,
  ORANGE,
  type PlotArea,
  py,
  toPng,
} from './canvas.js';

/**
 * Per-class F1 as bars (digits, capitals and lowercase letters in their own colours), the value above each bar, or
 * inside it at its top when the bar is too tall for the value to fit under the plot's border.
 */
export function renderClassF1(
  perClass: readonly PerClassEntry[],
  { title = 'F1 per class (test split)' } = {},
): Buffer {
  const barW = 24;
  const a: PlotArea = { x: 70, y: 84, w: perClass.length * barW, h: 300, xMin: 0, xMax: 1, yMin: 0, yMax: 1 };
  const { canvas, ctx } = newChart(a.x + a.w + 30, a.y + a.h + 60, title);
  drawAxes(ctx, a, { xLabel: 'class', yLabel: 'F1', xTicks: [], yTicks: [0, 0.2, 0.4, 0.6, 0.8, 1] });
  perClass.forEach((c, i) => {
    const x = a.x + i * barW + 3;
    const y = py(a, c.f1);
    const colour = /[0-9]/.test(c.class) ? BLUE : /[a-z]/.test(c.class) ? GOOD : ORANGE;
    ctx.fillStyle = colour;
    ctx.fillRect(x, y, barW - 6, a.y + a.h - y);
    ctx.fillStyle = INK;
    ctx.font = font(12, true);
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    ctx.fillText(c.class, x + (barW - 6) / 2, a.y + a.h + 5);
    // inside the bar when the bar is too tall for the value above it
    drawBarValue(ctx, a, x + (barW - 6) / 2, y, c.support > 0 ? c.f1.toFixed(3) : 'n/a', colour);
  });
  const lower = perClass.some((c) => /[a-z]/.test(c.class));
  drawLegend(ctx, a.x + a.w - 180, 24, [
    ['digits', BLUE],
    [lower ? 'capitals' : 'letters', ORANGE],
    ...(lower ? [['lowercase', GOOD] as [string, string]] : []),
  ]);
  return toPng(canvas);
}
