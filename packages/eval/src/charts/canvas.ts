import { type Canvas, createCanvas, GlobalFonts, type SKRSContext2D } from '@napi-rs/canvas';

const FONT_DIR = '/usr/share/fonts/truetype/dejavu';
let fontsReady = false;

/** Text in every picture uses DejaVu Sans; register it explicitly when the system did not. */
function ensureFonts(): void {
  if (fontsReady) return;
  if (!GlobalFonts.has('DejaVu Sans')) {
    GlobalFonts.registerFromPath(`${FONT_DIR}/DejaVuSans.ttf`, 'DejaVu Sans');
    GlobalFonts.registerFromPath(`${FONT_DIR}/DejaVuSans-Bold.ttf`, 'DejaVu Sans');
  }
  fontsReady = true;
}

export function font(px: number, bold = false): string {
  return `${bold ? 'bold ' : ''}${px}px DejaVu Sans`;
}

export const INK = '#222222';
export const GRID = '#dddddd';
export const GOOD = '#1a9641';
export const BAD = '#d7191c';
export const BLUE = '#2c7bb6';
export const ORANGE = '#f07f18';

/** A white canvas with a title line; every chart starts here. */
export function newChart(
  width: number,
  height: number,
  title?: string,
): { canvas: Canvas; ctx: SKRSContext2D } {
  ensureFonts();
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#ffffff';
  ctx.fillRect(0, 0, width, height);
  if (title) {
    ctx.fillStyle = INK;
    ctx.font = font(16, true);
    ctx.textBaseline = 'alphabetic';
    ctx.textAlign = 'left';
    ctx.fillText(title, 12, 24);
  }
  return { canvas, ctx };
}

export function toPng(canvas: Canvas): Buffer {
  return canvas.toBuffer('image/png');
}

/**
 * Draws one stored 28x28 image (white ink on black) as dark ink on white paper, scaled up without
 * smoothing so strokes stay as the model saw them.
 */
export function drawImage(
  ctx: SKRSContext2D,
  pixels: Uint8Array,
  index: number,
  shape: [number, number, number],
  x: number,
  y: number,
  size: number,
): void {
  const [h, w] = shape;
  const tile = createCanvas(w, h);
  const tctx = tile.getContext('2d');
  const image = tctx.createImageData(w, h);
  const base = index * h * w * shape[2];
  for (let p = 0; p < w * h; p++) {
    const v = 255 - pixels[base + p * shape[2]]!;
    image.data[p * 4] = v;
    image.data[p * 4 + 1] = v;
    image.data[p * 4 + 2] = v;
    image.data[p * 4 + 3] = 255;
  }
  tctx.putImageData(image, 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(tile, x, y, size, size);
}

/** Sequential colour scale for t in [0, 1]: white -> light blue -> deep blue (Blues-like). */
export function blues(t: number): string {
  const stops: [number, number, number][] = [
    [247, 251, 255],
    [198, 219, 239],
    [107, 174, 214],
    [33, 113, 181],
    [8, 48, 107],
  ];
  const x = Math.min(1, Math.max(0, t)) * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(x));
  const f = x - i;
  const [a, b] = [stops[i]!, stops[i + 1]!];
  const c = a.map((v, j) => Math.round(v + (b[j]! - v) * f));
  return `rgb(${c[0]},${c[1]},${c[2]})`;
}

/** Round tick values covering [lo, hi]. */
export function niceTicks(lo: number, hi: number, approx = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / approx;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step)
    ticks.push(Number(v.toFixed(10)));
  return ticks;
}

export interface PlotArea {
  x: number;
  y: number;
  w: number;
  h: number;
  xMin: number;
  xMax: number;
  yMin: number;
  yMax: number;
}

export const px = (a: PlotArea, v: number) => a.x + ((v - a.xMin) / (a.xMax - a.xMin || 1)) * a.w;
export const py = (a: PlotArea, v: number) => a.y + a.h - ((v - a.yMin) / (a.yMax - a.yMin || 1)) * a.h;

/** Axes with grid lines, tick labels and axis titles. */
export function drawAxes(
  ctx: SKRSContext2D,
  a: PlotArea,
  {
    xLabel,
    yLabel,
    xTicks,
    yTicks,
    yFormat = (v: number) => String(v),
    xFormat = (v: number) => String(v),
  }: {
    xLabel: string;
    yLabel: string;
    xTicks?: number[];
    yTicks?: number[];
    yFormat?: (v: number) => string;
    xFormat?: (v: number) => string;
  },
): void {
  ctx.strokeStyle = GRID;
  ctx.lineWidth = 1;
  ctx.fillStyle = INK;
  ctx.font = font(11);
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (const t of yTicks ?? niceTicks(a.yMin, a.yMax)) {
    const y = Math.round(py(a, t)) + 0.5;
    ctx.beginPath();
    ctx.moveTo(a.x, y);
    ctx.lineTo(a.x + a.w, y);
    ctx.stroke();
    ctx.fillText(yFormat(t), a.x - 6, y);
  }
  ctx.textAlign = 'center';
  ctx.textBaseline = 'top';
  for (const t of xTicks ?? niceTicks(a.xMin, a.xMax)) {
    const x = Math.round(px(a, t)) + 0.5;
    ctx.beginPath();
    ctx.moveTo(x, a.y + a.h);
    ctx.lineTo(x, a.y + a.h + 4);
    ctx.stroke();
    ctx.fillText(xFormat(t), x, a.y + a.h + 6);
  }
  ctx.strokeStyle = INK;
  ctx.strokeRect(a.x + 0.5, a.y + 0.5, a.w, a.h);
  ctx.font = font(12);
  ctx.fillText(xLabel, a.x + a.w / 2, a.y + a.h + 24);
  ctx.save();
  ctx.translate(a.x - 46, a.y + a.h / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.textBaseline = 'middle';
  ctx.fillText(yLabel, 0, 0);
  ctx.restore();
}

/** A colour-keyed legend, one entry per line, top-left at (x, y). */
export function drawLegend(ctx: SKRSContext2D, x: number, y: number, entries: [string, string][]): void {
  ctx.font = font(11);
  ctx.textAlign = 'left';
  ctx.textBaseline = 'middle';
  entries.forEach(([label, colour], i) => {
    ctx.fillStyle = colour;
    ctx.fillRect(x, y + i * 16 - 5, 18, 10);
    ctx.fillStyle = INK;
    ctx.fillText(label, x + 24, y + i * 16);
  });
}

/** Relative luminance of a `#rrggbb` colour (WCAG). */
function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const c = Number.parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}

/** White or INK, whichever reads better on `fill` (a `#rrggbb` colour). */
export function textOn(fill: string): string {
  const l = luminance(fill);
  return 1.05 / (l + 0.05) >= (l + 0.05) / (luminance(INK) + 0.05) ? '#ffffff' : INK;
}

/**
 * A bar's value written upwards, centred on `cx`: above the bar (`barTop`, the bar's top edge in pixels) when it
 * fits under the plot's top border, else inside the bar at its top, in white or ink to suit `fill`, so a tall bar's
 * value never crosses the border or the title above it.
 */
export function drawBarValue(
  ctx: SKRSContext2D,
  a: PlotArea,
  cx: number,
  barTop: number,
  text: string,
  fill: string,
  size = 9,
): void {
  ctx.save();
  ctx.font = font(size);
  const width = ctx.measureText(text).width;
  const fitsAbove = barTop - 4 - width >= a.y + 2;
  const fitsInside = a.y + a.h - barTop >= width + 8;
  const inside = !fitsAbove && fitsInside;
  ctx.fillStyle = inside ? textOn(fill) : INK;
  ctx.textBaseline = 'middle';
  ctx.translate(cx, inside ? barTop + 4 : barTop - 4);
  ctx.rotate(-Math.PI / 2);
  // rotated a quarter turn: 'left' runs upwards from the anchor, 'right' downwards
  ctx.textAlign = inside ? 'right' : 'left';
  ctx.fillText(text, 0, 0);
  ctx.restore();
}
