import type { TrainingMetricsRow } from '../model-files.js';
import {
  BLUE,
  drawAxes,
  drawLegend,
  font,
  INK,
  newChart,
  ORANGE,
  type PlotArea,
  px,
  py,
  toPng,
} from './canvas.js';

type Series = { label: string; colour: string; points: [number, number][] };

function drawLines(ctx: ReturnType<typeof newChart>['ctx'], a: PlotArea, series: Series[]): void {
  for (const s of series) {
    ctx.strokeStyle = s.colour;
    ctx.fillStyle = s.colour;
    ctx.lineWidth = 2;
    ctx.beginPath();
    s.points.forEach(([x, y], i) => {
      if (i === 0) ctx.moveTo(px(a, x), py(a, y));
      else ctx.lineTo(px(a, x), py(a, y));
    });
    ctx.stroke();
    for (const [x, y] of s.points) {
      ctx.beginPath();
      ctx.arc(px(a, x), py(a, y), 3, 0, Math.PI * 2);
      ctx.fill();
    }
  }
  ctx.lineWidth = 1;
}

function series(rows: readonly TrainingMetricsRow[], key: keyof TrainingMetricsRow): [number, number][] {
  return rows.flatMap((r) =>
    typeof r[key] === 'number' && Number.isFinite(r[key]) ? [[r.epoch, r[key] as number]] : [],
  );
}

/** Loss and accuracy per epoch (train and validation) from the run's metrics.jsonl, side by side. */
export function renderLearningCurves(
  rows: readonly TrainingMetricsRow[],
  { title = 'Learning curves (from the training run metrics.jsonl)' } = {},
): Buffer {
  const epochs = rows.map((r) => r.epoch);
  const xMin = Math.min(...epochs, 0);
  const xMax = Math.max(...epochs, 1);
  const loss = [series(rows, 'train_loss'), series(rows, 'val_loss')];
  const acc = [series(rows, 'train_acc'), series(rows, 'val_acc')];
  const lossMax = Math.max(0.1, ...loss.flat().map((p) => p[1])) * 1.05;
  const accMin = Math.min(1, ...acc.flat().map((p) => p[1]));
  const left: PlotArea = { x: 70, y: 50, w: 360, h: 260, xMin, xMax, yMin: 0, yMax: lossMax };
  const right: PlotArea = {
    x: 520,
    y: 50,
    w: 360,
    h: 260,
    xMin,
    xMax,
    yMin: Math.max(0, Math.floor(accMin * 20) / 20),
    yMax: 1,
  };
  const { canvas, ctx } = newChart(910, 370, title);
  const epochTicks =
    xMax - xMin <= 12 ? Array.from({ length: xMax - xMin + 1 }, (_, i) => xMin + i) : undefined;
  drawAxes(ctx, left, { xLabel: 'epoch', yLabel: 'loss', xTicks: epochTicks });
  drawAxes(ctx, right, { xLabel: 'epoch', yLabel: 'accuracy', xTicks: epochTicks });
  drawLines(ctx, left, [
    { label: 'train', colour: BLUE, points: loss[0]! },
    { label: 'val', colour: ORANGE, points: loss[1]! },
  ]);
  drawLines(ctx, right, [
    { label: 'train', colour: BLUE, points: acc[0]! },
    { label: 'val', colour: ORANGE, points: acc[1]! },
  ]);
  drawLegend(ctx, left.x + left.w - 80, left.y + 14, [
    ['train', BLUE],
    ['validation', ORANGE],
  ]);
  if (rows.length === 0) {
    ctx.fillStyle = INK;
    ctx.font = font(13);
    ctx.fillText('this run has no metrics.jsonl', left.x + 20, left.y + 40);
  }
  return toPng(canvas);
}
