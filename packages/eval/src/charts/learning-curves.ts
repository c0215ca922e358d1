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

/**
 * What the two series of the learning curves are, from the run's training configuration: the train loss and
 * accuracy are the mean over an epoch's training batches while the weights still move, on augmented images, with
 * label smoothing, the logit-adjusted loss and dropout when the run used them; validation is measured after the
 * epoch on clean images with plain cross-entropy and no dropout. So the train loss sits above the validation loss
 * by construction (a smoothed target cannot be met exactly, augmented images are harder), not because the model
 * generalises better than it fits.
 */
export function learningCurveSeries(config: Record<string, unknown> = {}): {
  /** Legend of the train series. */
  train: string;
  /** Legend of the validation series. */
  validation: string;
  /** The training settings that make the train loss differ from the validation loss, and why each does. */
  settings: { what: string; why: string }[];
} {
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : 0);
  const augment = config.augment as { enabled?: unknown } | undefined;
  const settings: { what: string; why: string }[] = [];
  if (augment && augment.enabled !== false)
    settings.push({ what: 'augmented images', why: 'augmented images are harder to read than clean ones' });
  if (num(config.labelSmoothing) > 0)
    settings.push({
      what: `label smoothing ${num(config.labelSmoothing)}`,
      why: 'label smoothing keeps the lowest reachable loss above 0',
    });
  if (num(config.logitAdjust) > 0)
    settings.push({
      what: 'logit-adjusted loss',
      why: 'the logit adjustment adds the log class prior to the logits the loss sees (predictions use the raw logits)',
    });
  if (num(config.caseTwinShare) > 0)
    settings.push({
      what: 'soft case-twin targets',
      why: 'soft case-twin targets, like label smoothing, cannot be met exactly',
    });
  if (num(config.dropout) > 0)
    settings.push({
      what: `dropout ${num(config.dropout)}`,
      why: 'dropout switches units off while training only',
    });
  const known = Object.keys(config).length > 0;
  const how = known
    ? settings.length
      ? settings.map((x) => x.what).join(', ')
      : 'clean images, plain loss'
    : 'settings not recorded';
  return {
    train: `train (${how}; mean over the epoch)`,
    validation: 'validation (clean images, plain cross-entropy, no dropout; after the epoch)',
    settings,
  };
}

/**
 * Loss and accuracy per epoch (train and validation) from the run's metrics.jsonl, side by side, with a legend
 * under both plots saying what each series is (`learningCurveSeries` of the run's training configuration).
 */
export function renderLearningCurves(
  rows: readonly TrainingMetricsRow[],
  {
    title = 'Learning curves (from the training run metrics.jsonl)',
    trainingConfig = {} as Record<string, unknown>,
  } = {},
): Buffer {
  const labels = learningCurveSeries(trainingConfig);
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
  const { canvas, ctx } = newChart(910, 410, title);
  const epochTicks =
    xMax - xMin <= 12 ? Array.from({ length: xMax - xMin + 1 }, (_, i) => xMin + i) : undefined;
  drawAxes(ctx, left, { xLabel: 'epoch', yLabel: 'loss', xTicks: epochTicks });
  drawAxes(ctx, right, { xLabel: 'epoch', yLabel: 'accuracy', xTicks: epochTicks });
  drawLines(ctx, left, [
    { label: labels.train, colour: BLUE, points: loss[0]! },
    { label: labels.validation, colour: ORANGE, points: loss[1]! },
  ]);
  drawLines(ctx, right, [
    { label: labels.train, colour: BLUE, points: acc[0]! },
    { label: labels.validation, colour: ORANGE, points: acc[1]! },
  ]);
  // under both plots (below the epoch labels), for both: the labels are too long for a corner of one plot
  drawLegend(ctx, left.x, left.y + left.h + 58, [
    [labels.train, BLUE],
    [labels.validation, ORANGE],
  ]);
  if (rows.length === 0) {
    ctx.fillStyle = INK;
    ctx.font = font(13);
    ctx.fillText('this run has no metrics.jsonl', left.x + 20, left.y + 40);
  }
  return toPng(canvas);
}
