import { rowNormalise } from '../metrics.js';
import { blues, font, INK, newChart, toPng } from './canvas.js';

const CELL = 24;
const LEFT = 70;
const TOP = 84;

/**
 * The k x k confusion matrix as a heatmap with every class labelled on both axes.
 * `normalised`: each row divided by its support (recall on the diagonal); cells show percent.
 * Counts use a log colour scale, else the diagonal would wash out every off-diagonal error.
 */
export function renderConfusionMatrix(
  matrix: number[][],
  classNames: readonly string[],
  { normalised = false, title }: { normalised?: boolean; title?: string } = {},
): Buffer {
  const k = classNames.length;
  const size = k * CELL;
  const { canvas, ctx } = newChart(
    LEFT + size + 20,
    TOP + size + 40,
    title ??
      (normalised ? 'Confusion matrix, row-normalised (% of each true class)' : 'Confusion matrix (counts)'),
  );
  const values = normalised ? rowNormalise(matrix) : matrix;
  const maxLog = Math.log1p(Math.max(1, ...matrix.flat()));
  const colour = (v: number) => (normalised ? blues(Math.sqrt(v)) : blues(Math.log1p(v) / maxLog));
  const dark = (v: number) => (normalised ? Math.sqrt(v) > 0.55 : Math.log1p(v) / maxLog > 0.55);

  for (let r = 0; r < k; r++)
    for (let c = 0; c < k; c++) {
      const v = values[r]![c]!;
      const x = LEFT + c * CELL;
      const y = TOP + r * CELL;
      ctx.fillStyle = colour(v);
      ctx.fillRect(x, y, CELL, CELL);
      const text = normalised ? (v >= 0.005 ? String(Math.round(v * 100)) : '') : v > 0 ? compact(v) : '';
      if (text) {
        ctx.fillStyle = dark(v) ? '#ffffff' : INK;
        ctx.font = font(text.length > 3 ? 8 : 9);
        ctx.textAlign = 'center';
        ctx.textBaseline = 'middle';
        ctx.fillText(text, x + CELL / 2, y + CELL / 2 + 0.5);
      }
    }
  // cell borders and digit/letter divider
  ctx.strokeStyle = 'rgba(0,0,0,0.08)';
  for (let i = 0; i <= k; i++) {
    ctx.beginPath();
    ctx.moveTo(LEFT, TOP + i * CELL + 0.5);
    ctx.lineTo(LEFT + size, TOP + i * CELL + 0.5);
    ctx.moveTo(LEFT + i * CELL + 0.5, TOP);
    ctx.lineTo(LEFT + i * CELL + 0.5, TOP + size);
    ctx.stroke();
  }
  // dividers: digits | capitals | lowercase (case-sensitive spaces)
  for (const split of [classNames.indexOf('A'), classNames.indexOf('a')]) {
    if (split <= 0) continue;
    ctx.strokeStyle = INK;
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    ctx.moveTo(LEFT + split * CELL, TOP);
    ctx.lineTo(LEFT + split * CELL, TOP + size);
    ctx.moveTo(LEFT, TOP + split * CELL);
    ctx.lineTo(LEFT + size, TOP + split * CELL);
    ctx.stroke();
    ctx.lineWidth = 1;
  }
  ctx.strokeStyle = INK;
  ctx.strokeRect(LEFT + 0.5, TOP + 0.5, size, size);

  ctx.fillStyle = INK;
  ctx.font = font(13, true);
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  classNames.forEach((name, i) => {
    ctx.fillText(name, LEFT + i * CELL + CELL / 2, TOP - 12);
    ctx.fillText(name, LEFT - 14, TOP + i * CELL + CELL / 2);
  });
  ctx.font = font(12);
  ctx.fillText('predicted class', LEFT + size / 2, TOP - 32);
  ctx.save();
  ctx.translate(LEFT - 40, TOP + size / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.fillText('true class', 0, 0);
  ctx.restore();
  ctx.textAlign = 'left';
  ctx.font = font(11);
  ctx.fillText(
    normalised ? 'cells: % of the row (blank < 0.5%)' : 'cells: image counts (colour: log scale)',
    LEFT,
    TOP + size + 18,
  );
  return toPng(canvas);
}

/** 1234 -> '1.2k' so four-digit counts fit a cell. */
function compact(v: number): string {
  return v >= 1000 ? `${(v / 1000).toFixed(v >= 10_000 ? 0 : 1)}k` : String(v);
}
