import type { SKRSContext2D } from '@napi-rs/canvas';
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
const BEFORE = '#777777';

/** One reliability diagram: calibrated bins, and optionally the same images before calibration. */
export interface ReliabilityPanel {
  title: string;
  bins: readonly ReliabilityBin[];
  ece: number;
  /** The raw model's bins and ECE (drawn as a grey line), when a calibration was applied. */
  before?: { bins: readonly ReliabilityBin[]; ece: number };
}

const PLOT = 300;
const PANEL = PLOT + 110;

function drawPanel(ctx: SKRSContext2D, x: number, y: number, panel: ReliabilityPanel): void {
  const a: PlotArea = { x: x + 70, y: y + 40, w: PLOT, h: PLOT, xMin: 0, xMax: 1, yMin: 0, yMax: 1 };
  const h: PlotArea = { x: a.x, y: a.y + a.h + 50, w: PLOT, h: 70, xMin: 0, xMax: 1, yMin: 0, yMax: 1 };
  const ticks = [0, 0.2, 0.4, 0.6, 0.8, 1];
  ctx.fillStyle = INK;
  ctx.font = font(13, true);
  ctx.textAlign = 'left';
  ctx.textBaseline = 'alphabetic';
  ctx.fillText(panel.title, a.x, y + 14);
  ctx.font = font(12);
  ctx.fillText(
    `ECE ${(panel.ece * 100).toFixed(2)}%${panel.before ? ` (uncalibrated ${(panel.before.ece * 100).toFixed(2)}%)` : ''}`,
    a.x,
    y + 32,
  );
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
  for (const b of panel.bins) {
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
  if (panel.before) {
    // the raw model: accuracy against mean confidence of each non-empty bin
    const pts = panel.before.bins.filter((b) => b.count > 0);
    ctx.strokeStyle = BEFORE;
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    pts.forEach((b, i) => {
      if (i === 0) ctx.moveTo(px(a, b.confidence), py(a, b.accuracy));
      else ctx.lineTo(px(a, b.confidence), py(a, b.accuracy));
    });
    ctx.stroke();
    ctx.fillStyle = BEFORE;
    for (const b of pts) ctx.fillRect(px(a, b.confidence) - 2, py(a, b.accuracy) - 2, 4, 4);
    ctx.lineWidth = 1;
  }
  const maxCount = Math.max(1, ...panel.bins.map((b) => b.count));
  h.yMax = Math.log10(maxCount + 1);
  drawAxes(ctx, h, {
    xLabel: 'confidence',
    yLabel: 'images',
    xTicks: ticks,
    // log axis: ticks at 1, 10, 100... images, placed at log10(n + 1)
    yTicks: Array.from({ length: Math.floor(Math.log10(maxCount)) + 1 }, (_, p) => Math.log10(10 ** p + 1)),
    yFormat: (v) => String(Math.round(10 ** v - 1)),
  });
  for (const b of panel.bins) {
    if (b.count === 0) continue;
    const x0 = px(h, b.lo) + 1;
    ctx.fillStyle = '#777777';
    const yy = py(h, Math.log10(b.count + 1));
    ctx.fillRect(x0, yy, px(h, b.hi) - px(h, b.lo) - 2, py(h, 0) - yy);
  }
}

/**
 * Reliability diagrams side by side (one per test source): accuracy per confidence bin against the
 * diagonal of perfect calibration, the gap shaded, the uncalibrated model as a grey line, and below each
 * how many images fall in each bin (log scale: most sit in the top bin).
 */
export function renderReliabilityPanels(
  panels: readonly ReliabilityPanel[],
  { title = 'Reliability diagrams per test source' } = {},
): Buffer {
  const width = Math.max(1, panels.length) * PANEL + 20;
  const { canvas, ctx } = newChart(width, 100 + 40 + PLOT + 50 + 70 + 50, title);
  const legend: [string, string][] = [
    ['up to the lower of accuracy and mean confidence', BLUE],
    ['accuracy above confidence (underconfident)', UNDER],
    ['confidence above accuracy (overconfident)', OVER],
    ['mean confidence of the bin', BAD],
  ];
  if (panels.some((p) => p.before)) legend.push(['before calibration (accuracy at mean confidence)', BEFORE]);
  drawLegend(ctx, 12, 44, legend.slice(0, 3));
  drawLegend(ctx, 12 + 360, 44, legend.slice(3));
  panels.forEach((p, i) => {
    drawPanel(ctx, i * PANEL, 100, p);
  });
  return toPng(canvas);
}

/** One reliability diagram (the overall test split). */
export function renderReliability(
  bins: readonly ReliabilityBin[],
  ece: number,
  { title = 'Reliability diagram (test split)' } = {},
): Buffer {
  return renderReliabilityPanels([{ title: 'test split', bins, ece }], { title });
}
