import type { ImageSet } from '../runtimes/predictor.js';
import { BAD, drawImage, font, GOOD, INK, newChart, toPng } from './canvas.js';

/** One image with what the model said about it. */
export interface ShownSample {
  /** Row in the ImageSet. */
  index: number;
  label: number;
  predicted: number;
  confidence: number;
}

const IMG = 56;
const TILE_W = 92;
const TILE_H = IMG + 34;

function drawTile(
  ctx: ReturnType<typeof newChart>['ctx'],
  images: ImageSet,
  s: ShownSample,
  classNames: readonly string[],
  x: number,
  y: number,
): void {
  const ok = s.label === s.predicted;
  const colour = ok ? GOOD : BAD;
  ctx.fillStyle = colour;
  ctx.fillRect(x + (TILE_W - IMG) / 2 - 3, y - 3, IMG + 6, IMG + 6);
  drawImage(ctx, images.pixels, s.index, images.imageShape, x + (TILE_W - IMG) / 2, y, IMG);
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  ctx.font = font(11, true);
  ctx.fillStyle = colour;
  ctx.fillText(`${classNames[s.predicted]} ${(s.confidence * 100).toFixed(1)}%`, x + TILE_W / 2, y + IMG + 6);
  ctx.font = font(10);
  ctx.fillStyle = INK;
  ctx.fillText(`true ${classNames[s.label]}`, x + TILE_W / 2, y + IMG + 20);
}

/** A grid of test images, each framed green (right) or red (wrong) with prediction, confidence and truth. */
export function renderPredictionGrid(
  images: ImageSet,
  samples: readonly ShownSample[],
  classNames: readonly string[],
  { columns = 10, title = 'Random test predictions' }: { columns?: number; title?: string } = {},
): Buffer {
  const rows = Math.ceil(samples.length / columns);
  const { canvas, ctx } = newChart(columns * TILE_W + 20, 44 + rows * (TILE_H + 8) + 8, title);
  samples.forEach((s, i) => {
    drawTile(
      ctx,
      images,
      s,
      classNames,
      10 + (i % columns) * TILE_W,
      44 + Math.floor(i / columns) * (TILE_H + 8),
    );
  });
  return toPng(canvas);
}

export interface MistakeGroup {
  /** e.g. `true O -> predicted 0 (412 errors)`. */
  title: string;
  samples: ShownSample[];
}

/** One row per confusion pair: its most confident mistakes. */
export function renderMistakeGallery(
  images: ImageSet,
  groups: readonly MistakeGroup[],
  classNames: readonly string[],
  {
    perRow = 10,
    title = 'Worst mistakes of the most frequent confusions',
  }: { perRow?: number; title?: string } = {},
): Buffer {
  const rowH = TILE_H + 30;
  const { canvas, ctx } = newChart(perRow * TILE_W + 20, 44 + Math.max(1, groups.length) * rowH + 8, title);
  if (groups.length === 0) {
    ctx.font = font(13);
    ctx.fillStyle = INK;
    ctx.fillText('No mistakes.', 12, 60);
  }
  groups.forEach((g, r) => {
    const y = 44 + r * rowH;
    ctx.font = font(12, true);
    ctx.fillStyle = INK;
    ctx.textAlign = 'left';
    ctx.textBaseline = 'top';
    ctx.fillText(g.title, 12, y);
    g.samples.slice(0, perRow).forEach((s, i) => {
      drawTile(ctx, images, s, classNames, 10 + i * TILE_W, y + 22);
    });
  });
  return toPng(canvas);
}
