import type { ReliabilityBin } from '../metrics.js';
import {
  BAD,
  BLUE,
  drawAxes,
  drawLegend,
  font,
  INK,
  newChart,
  type PlotArea,
  px,
  py,
  toPng,
} from './canvas.js';

const UNDER = '#9ecae1';
const OVER = '#f4a582';

/**
 * Reliability diagram: accuracy per confidence bin against the diagonal of perfect calibration, the gap
 * shaded, and below it how many images fall in each bin (log scale: most sit in the top bin).
 */
export function renderReliability(
  bins: readonly ReliabilityBin[],
  ece: number,
  { title = 'Reliability diagram (test split)' } = {},
): Buffer {
  const a: PlotArea = { x: 70, y: 112, w: 420, h: 320, xMin: 0, xMax: 1, yMin: 0, yMax: 1 };
  const h: PlotArea = { x: 70, y: a.y + a.h + 50, w: 420, h: 90, xMin: 0, xMax: 1, yMin: 0, yMax: 1 };
  const { canvas, ctx } = newChart(a.x + a.w + 30, h.y + h.h + 50, title);
  const ticks = [0, 0.2, 0.4, 0.6, 0.8, 1];
  drawAxes(ctx, a, {
    xLabel: 'confidence (top-1 probability)',
    yLabel: 'accuracy',
    xTicks: ticks,
    yTicks: ticks,
  });
  ctx.strokeStyle = '#999999';
  ctx.setLineDash([5, 4]);
  ctx.beginPath();
  ctx.moveTo(px(a, 0), py(a, 0));
  ctx.lineTo(px(a, 1), py(a, 1));
  ctx.stroke();
  ctx.setLineDash([]);
  for (const b of bins) {
    if (b.count === 0) continue;
    const x0 = px(a, b.lo) + 1;
    const w = px(a, b.hi) - px(a, b.lo) - 2;
    const low = Math.min(b.accuracy, b.confidence);
    const high = Math.max(b.accuracy, b.confidence);
    ctx.fillStyle = BLUE;
    ctx.fillRect(x0, py(a, low), w, py(a, 0) - py(a, low));
    // the gap: accuracy above confidence (underconfident) or confidence above accuracy (overconfident)
    ctx.fillStyle = b.accuracy > b.confidence ? UNDER : OVER;
    ctx.fillRect(x0, py(a, high), w, py(a, low) - py(a, high));
    ctx.fillStyle = BAD;
    ctx.fillRect(x0, py(a, b.confidence) - 1, w, 2);
  }
  drawLegend(ctx, a.x, 40, [
    ['up to the lower of accuracy and mean confidence', BLUE],
    ['accuracy above confidence (underconfident)', UNDER],
    ['confidence above accuracy (overconfident)', OVER],
    ['mean confidence of the bin', BAD],
  ]);
  ctx.fillStyle = INK;
  ctx.font = font(13, true);
  ctx.textAlign = 'left';
  ctx.fillText(`ECE ${(ece * 100).toFixed(2)}%`, a.x + a.w - 90, 24);

  const maxCount = Math.max(1, ...bins.map((b) => b.count));
  const logMax = Math.log10(maxCount + 1);
  h.yMax = logMax;
  drawAxes(ctx, h, {
    xLabel: 'confidence',
    yLabel: 'images',
    xTicks: ticks,
    // log axis: ticks at 1, 10, 100... images, placed at log10(n + 1)
    yTicks: Array.from({ length: Math.floor(Math.log10(maxCount)) + 1 }, (_, p) => Math.log10(10 ** p + 1)),
    yFormat: (v) => String(Math.round(10 ** v - 1)),
  });
  for (const b of bins) {
    if (b.count === 0) continue;
    const x0 = px(h, b.lo) + 1;
    ctx.fillStyle = '#777777';
    const y = py(h, Math.log10(b.count + 1));
    ctx.fillRect(x0, y, px(h, b.hi) - px(h, b.lo) - 2, py(h, 0) - y);
  }
  return toPng(canvas);
}
