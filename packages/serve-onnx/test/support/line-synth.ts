/**
 * Synthetic scans of handwritten lines for the reader tests: the characters of test/support/synth.ts side
 * by side (with a little jitter), dark ink on light paper with optional noise, encoded as PNG/JPEG/WebP.
 */
import { createRng } from '@hcr/core';
import sharp from 'sharp';
import { renderStrokes, STROKES } from './synth.js';

export interface LineScanOptions {
  /** Character box height in pixels. */
  size?: number;
  paper?: number;
  ink?: number;
  noise?: number;
  format?: 'png' | 'jpeg' | 'webp';
  seed?: number;
}

/** Renders `text` (characters of STROKES, spaces) as an encoded image of one written line. */
export async function lineScan(text: string, o: LineScanOptions = {}): Promise<Buffer> {
  const box = o.size ?? 48;
  const rng = createRng(o.seed ?? 1);
  const step = Math.round(box * 0.8);
  const w = Math.round(box * 0.6 + step * text.length);
  const h = Math.round(box * 1.6);
  const ink = new Float32Array(w * h);
  [...text].forEach((ch, i) => {
    if (ch === ' ') return;
    const strokes = STROKES[ch];
    if (!strokes) throw new Error(`no strokes for '${ch}'`);
    const cov = renderStrokes(strokes, w, h, {
      box: box * 0.7,
      ox: box * 0.3 + i * step + (rng.next() - 0.5) * box * 0.08,
      oy: (h - box * 0.7) / 2 + (rng.next() - 0.5) * box * 0.08,
      width: Math.max(1.5, box * 0.07),
    });
    for (let k = 0; k < ink.length; k++) ink[k] = Math.max(ink[k]!, cov[k]!);
  });
  const paper = o.paper ?? 235;
  const level = o.ink ?? 30;
  const grey = Buffer.alloc(w * h);
  for (let k = 0; k < grey.length; k++)
    grey[k] = Math.max(0, Math.min(255, paper + ink[k]! * (level - paper) + (o.noise ?? 0) * rng.normal()));
  const img = sharp(grey, { raw: { width: w, height: h, channels: 1 } });
  if (o.format === 'jpeg') return img.jpeg({ quality: 80 }).toBuffer();
  if (o.format === 'webp') return img.webp({ quality: 80 }).toBuffer();
  return img.png().toBuffer();
}

/** A uniform image (a blank form field), w x h of one grey level. */
export function uniform(w: number, h: number, level = 240): Promise<Buffer> {
  return sharp(Buffer.alloc(w * h, level), { raw: { width: w, height: h, channels: 1 } })
    .png()
    .toBuffer();
}

/**
 * Several written lines one under another (a note), each rendered as `lineScan` renders it, `gap` px of paper
 * between them, as one PNG; `rows` are each line's rows [top, bottom) on the page.
 */
export async function pageScan(
  texts: string[],
  o: LineScanOptions & { gap?: number } = {},
): Promise<{ png: Buffer; rows: [number, number][] }> {
  const lines = await Promise.all(
    texts.map(async (t, i) =>
      sharp(await lineScan(t, { ...o, format: 'png', seed: (o.seed ?? 1) + i }))
        .extractChannel(0)
        .raw()
        .toBuffer({ resolveWithObject: true }),
    ),
  );
  const gap = o.gap ?? 12;
  const w = Math.max(...lines.map((l) => l.info.width));
  const h = lines.reduce((s, l) => s + l.info.height + gap, gap);
  const page = Buffer.alloc(w * h, o.paper ?? 235);
  const rows: [number, number][] = [];
  let top = gap;
  for (const { data, info } of lines) {
    for (let y = 0; y < info.height; y++)
      data.copy(page, (top + y) * w, y * info.width, (y + 1) * info.width);
    rows.push([top, top + info.height]);
    top += info.height + gap;
  }
  return {
    png: await sharp(page, { raw: { width: w, height: h, channels: 1 } })
      .png()
      .toBuffer(),
    rows,
  };
}

/**
 * Two columns of lines side by side (each rendered as `pageScan` renders a note), `gutter` px of paper between
 * them, the right one lowered by `drop` px (default: half a line, so its lines fall between the left's), as one
 * PNG; `boxes` are each line's box on the page, the left column's first.
 */
export async function columnsScan(
  left: string[],
  right: string[],
  o: LineScanOptions & { gutter?: number; drop?: number } = {},
): Promise<{ png: Buffer; boxes: { x: number; y: number; width: number; height: number }[] }> {
  const [a, b] = await Promise.all(
    [left, right].map(async (texts, i) => {
      const { png, rows } = await pageScan(texts, { ...o, seed: (o.seed ?? 1) + 10 * i });
      const { data, info } = await sharp(png).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
      return { data, width: info.width, height: info.height, rows };
    }),
  );
  const gutter = o.gutter ?? 120;
  const drop = o.drop ?? Math.round((a.rows[1]![0] - a.rows[0]![0]) / 2);
  const width = a!.width + gutter + b!.width;
  const height = Math.max(a!.height, b!.height + drop);
  const page = Buffer.alloc(width * height, o.paper ?? 235);
  const paste = (s: typeof a, x: number, y: number) => {
    for (let r = 0; r < s.height; r++) s.data.copy(page, (y + r) * width + x, r * s.width, (r + 1) * s.width);
  };
  paste(a!, 0, 0);
  paste(b!, a!.width + gutter, drop);
  const boxes = [
    ...a!.rows.map(([y0, y1]) => ({ x: 0, y: y0, width: a!.width, height: y1 - y0 })),
    ...b!.rows.map(([y0, y1]) => ({ x: a!.width + gutter, y: y0 + drop, width: b!.width, height: y1 - y0 })),
  ];
  return {
    png: await sharp(page, { raw: { width, height, channels: 1 } })
      .png()
      .toBuffer(),
    boxes,
  };
}
