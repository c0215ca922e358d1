import { LINE_HEIGHT } from '@hcr/model';
import { createCanvas, loadImage } from '@napi-rs/canvas';
import {
  BAD,
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
} from '../charts/canvas.js';
import { constraintTitle } from './constraints.js';
import type { LengthBucketScores } from './metrics.js';

/** Colours of the constraints, in the order they are drawn. */
const SERIES = [BLUE, ORANGE, GOOD, BAD, INK];

export interface LengthSeries {
  /** Constraint name, e.g. `none`, `digits`. */
  name: string;
  perLength: readonly LengthBucketScores[];
}

function bucketOrder(series: readonly LengthSeries[]): { label: string; lo: number; count: number }[] {
  const m = new Map<string, { label: string; lo: number; count: number }>();
  for (const s of series)
    for (const b of s.perLength)
      if (!m.has(b.label)) m.set(b.label, { label: b.label, lo: b.lo, count: b.count });
  return [...m.values()].sort((a, b) => a.lo - b.lo);
}

/** Buckets with fewer lines than this are drawn pale: their rates swing on one or two lines. */
export const FEW_LINES = 10;

/**
 * Exact-match rate (top) and CER (bottom) per truth-length bucket of one source, one bar per constraint,
 * the number of lines under each bucket in both charts (buckets with fewer than `FEW_LINES` lines drawn pale).
 * CER bars are capped at 100% (the value is printed). A value goes above its bar, or inside it when the bar is
 * too tall for it to fit under the plot's top border.
 */
export function renderLengthChart(source: string, series: readonly LengthSeries[]): Buffer {
  const buckets = bucketOrder(series);
  const groupW = Math.max(60, series.length * 22 + 16);
  const plotW = Math.max(420, buckets.length * groupW); // wide enough for the title
  const plotH = 170;
  const top: PlotArea = { x: 70, y: 60, w: plotW, h: plotH, xMin: 0, xMax: 1, yMin: 0, yMax: 1 };
  const bottom: PlotArea = { ...top, y: top.y + plotH + 70 };
  const few = buckets.some((b) => b.count < FEW_LINES);
  const { canvas, ctx } = newChart(
    top.x + plotW + 150,
    bottom.y + plotH + (few ? 80 : 64),
    `${source}: exact match and CER per truth length`,
  );
  const pctFmt = (v: number) => `${Math.round(v * 100)}%`;
  const ticks = [0, 0.25, 0.5, 0.75, 1];
  drawAxes(ctx, top, { xLabel: '', yLabel: 'exact match', xTicks: [], yTicks: ticks, yFormat: pctFmt });
  drawAxes(ctx, bottom, {
    xLabel: '',
    yLabel: 'CER',
    xTicks: [],
    yTicks: ticks,
    yFormat: pctFmt,
  });
  const barW = (groupW - 16) / Math.max(1, series.length);
  buckets.forEach((b, g) => {
    const gx = top.x + g * groupW + 8;
    const pale = b.count < FEW_LINES;
    series.forEach((s, k) => {
      const entry = s.perLength.find((e) => e.label === b.label);
      if (!entry) return;
      const colour = SERIES[k % SERIES.length]!;
      const x = gx + k * barW;
      const cx = x + (barW - 2) / 2;
      const yE = py(top, entry.exactRate);
      const yC = py(bottom, Math.min(1, entry.cer));
      ctx.save();
      if (pale) ctx.globalAlpha = 0.4;
      ctx.fillStyle = colour;
      ctx.fillRect(x, yE, barW - 2, top.y + top.h - yE);
      ctx.fillRect(x, yC, barW - 2, bottom.y + bottom.h - yC);
      ctx.restore();
      // on a pale bar the value is written in ink, as on white
      const behind = pale ? '#ffffff' : colour;
      drawBarValue(ctx, top, cx, yE, (entry.exactRate * 100).toFixed(1), behind);
      drawBarValue(ctx, bottom, cx, yC, (entry.cer * 100).toFixed(1), behind);
    });
    const cx = gx + (groupW - 16) / 2;
    for (const area of [top, bottom]) {
      ctx.fillStyle = INK;
      ctx.font = font(11);
      ctx.textAlign = 'center';
      ctx.textBaseline = 'top';
      ctx.fillText(b.label, cx, area.y + area.h + 6);
      ctx.font = font(9, pale);
      ctx.fillStyle = pale ? BAD : INK;
      ctx.fillText(`(${b.count})`, cx, area.y + area.h + 20);
    }
  });
  ctx.fillStyle = INK;
  ctx.font = font(12);
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  ctx.fillText(
    'characters in the truth (number of lines); values in %',
    bottom.x + bottom.w / 2,
    bottom.y + bottom.h + 38,
  );
  if (few)
    ctx.fillText(
      `pale bars, red counts: fewer than ${FEW_LINES} lines in the bucket`,
      bottom.x + bottom.w / 2,
      bottom.y + bottom.h + 56,
    );
  drawLegend(
    ctx,
    top.x + plotW + 16,
    top.y + 8,
    series.map((s, k) => [constraintTitle(s.name), SERIES[k % SERIES.length]!] as [string, string]),
  );
  return toPng(canvas);
}

/** A 32-px line as the reader saw it (ink bright) drawn dark on white, scaled by `scale`: a PNG. */
export function linePng(pixels: Uint8Array, width: number, height: number, scale = 1): Buffer {
  const tile = createCanvas(width, height);
  const tctx = tile.getContext('2d');
  const image = tctx.createImageData(width, height);
  for (let p = 0; p < width * height; p++) {
    const v = 255 - pixels[p]!;
    image.data[p * 4] = v;
    image.data[p * 4 + 1] = v;
    image.data[p * 4 + 2] = v;
    image.data[p * 4 + 3] = 255;
  }
  tctx.putImageData(image, 0, 0);
  if (scale === 1) return tile.toBuffer('image/png');
  const out = createCanvas(Math.round(width * scale), Math.round(height * scale));
  const ctx = out.getContext('2d');
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(tile, 0, 0, out.width, out.height);
  return out.toBuffer('image/png');
}

/** One read shown in the sample picture: the original file (real sets) or the reader's input. */
export interface ReadSample {
  /** Encoded original image (JPEG/PNG), or null to draw `pixels`. */
  original: Buffer | null;
  pixels: Uint8Array;
  width: number;
  truth: string;
  read: string;
  confidence: number;
  right: boolean;
}

const CELL_W = 360;
const CELL_H = 96;
const IMG_H = 48;

/**
 * A grid of reads (2 columns): each field as scanned (or the reader's input for synthetic lines), what hcr
 * read with its confidence (green right, red wrong) and the truth.
 */
export async function renderReadSamples(title: string, samples: readonly ReadSample[]): Promise<Buffer> {
  const cols = 2;
  const rows = Math.max(1, Math.ceil(samples.length / cols));
  const { canvas, ctx } = newChart(cols * CELL_W + 20, 40 + rows * CELL_H, title);
  for (const [k, s] of samples.entries()) {
    const x = 10 + (k % cols) * CELL_W;
    const y = 38 + Math.floor(k / cols) * CELL_H;
    let img: Parameters<typeof ctx.drawImage>[0];
    let w: number;
    let h: number;
    if (s.original) {
      const image = await loadImage(s.original);
      img = image;
      w = image.width;
      h = image.height;
    } else {
      const tile = await loadImage(linePng(s.pixels, s.width, LINE_HEIGHT));
      img = tile;
      w = tile.width;
      h = tile.height;
    }
    const scale = Math.min(IMG_H / h, (CELL_W - 16) / w);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(img, x, y, Math.round(w * scale), Math.round(h * scale));
    ctx.strokeStyle = s.right ? GOOD : BAD;
    ctx.lineWidth = 2;
    ctx.strokeRect(x - 1, y - 1, Math.round(w * scale) + 2, Math.round(h * scale) + 2);
    ctx.textAlign = 'left';
    ctx.textBaseline = 'top';
    ctx.font = font(13, true);
    ctx.fillStyle = s.right ? GOOD : BAD;
    ctx.fillText(`read: ${s.read || '(nothing)'}  (${s.confidence.toFixed(2)})`, x, y + IMG_H + 6);
    ctx.font = font(11);
    ctx.fillStyle = INK;
    ctx.fillText(`truth: ${s.truth}`, x, y + IMG_H + 24);
  }
  return toPng(canvas);
}
