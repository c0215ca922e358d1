import type { Rng } from '@hcr/core';
import { createCanvas, Image } from '@napi-rs/canvas';
import type { LineConfig, LineKind } from './config.js';
import type { InkLayout } from './ink.js';

/**
 * What a real form or cheque adds around handwriting, at scan resolution: paper or a textured (cheque)
 * background, uneven lighting, comb boxes, a field box, ruled lines, a printed field label, printed text of a
 * neighbouring field cut by the crop, then small rotation, blur, noise and JPEG artefacts. The result is a
 * grey scan, dark ink on light, as a camera or scanner would give it.
 */
export interface Scan {
  width: number;
  height: number;
  /** Grey, row-major, 0 black .. 255 white. */
  data: Uint8Array;
  /** Bounding box of the handwriting (before rotation), scan pixels: [x0, y0, x1, y1). */
  writing: [number, number, number, number];
}

const LABELS: Record<LineKind, readonly string[]> = {
  name: ['NOM :', 'PRENOM :', 'NOM', 'PRENOM', 'Name:', 'SURNAME', 'FIRST NAME', 'Nom :', 'Prénom :', 'NAME'],
  word: ['Profession :', 'CITY', 'VILLE :', 'Signature', 'OBJET'],
  number: ['No', 'N°', 'TEL :', 'QTY', 'Ref.', 'Montant'],
  date: ['DATE', 'Date :', 'Le', 'DATE DE NAISSANCE', 'Fecha'],
  amount: ['$', '$', 'MONTANT', 'EUR', 'Amount', 'TOTAL', '€'],
  code: ['CODE POSTAL', 'REF :', 'Code', 'POSTCODE', 'IBAN'],
  mixed: ['ADRESSE :', 'Address', 'RUE', 'Objet :'],
};
const NEIGHBOURS = [
  'DATE DE NAISSANCE',
  'CODE RNE / SAI',
  'ADRESSE',
  'SIGNATURE',
  'NOM DE NAISSANCE',
  'PAYEZ CONTRE CE CHEQUE',
  'Pay to the order of',
];
const FONTS = ['DejaVu Sans', 'DejaVu Serif', 'DejaVu Sans Mono'];

const u = (rng: Rng, a: number, b: number) => a + (b - a) * rng.next();

/** Printed text rendered with a real font (canvas fillText), as coverage 0..1. */
function printedText(
  text: string,
  sizePx: number,
  rng: Rng,
): { w: number; h: number; ascent: number; a: Float32Array } {
  const font = `${rng.next() < 0.6 ? 'bold ' : ''}${Math.max(6, Math.round(sizePx))}px ${FONTS[rng.int(FONTS.length)]}`;
  const probe = createCanvas(4, 4).getContext('2d');
  probe.font = font;
  const m = probe.measureText(text);
  const ascent = Math.ceil(m.actualBoundingBoxAscent) + 1;
  const h = ascent + Math.ceil(m.actualBoundingBoxDescent) + 2;
  const w = Math.max(1, Math.ceil(m.width) + 2);
  const canvas = createCanvas(w, h);
  const ctx = canvas.getContext('2d');
  ctx.font = font;
  ctx.fillStyle = '#000';
  ctx.fillText(text, 1, ascent);
  const rgba = ctx.getImageData(0, 0, w, h).data;
  const a = new Float32Array(w * h);
  for (let i = 0; i < a.length; i++) a[i] = rgba[i * 4 + 3]! / 255;
  return { w, h, ascent, a };
}

/** Darkens `grey` by a coverage map placed at (x, y) with the given ink value (alpha blend). */
function blend(
  grey: Float32Array,
  W: number,
  H: number,
  a: Float32Array,
  w: number,
  h: number,
  x: number,
  y: number,
  value: number,
): void {
  for (let j = 0; j < h; j++) {
    const gy = y + j;
    if (gy < 0 || gy >= H) continue;
    for (let i = 0; i < w; i++) {
      const gx = x + i;
      if (gx < 0 || gx >= W) continue;
      const al = a[j * w + i]!;
      if (al > 0) grey[gy * W + gx] = grey[gy * W + gx]! * (1 - al) + value * al;
    }
  }
}

function hline(
  grey: Float32Array,
  W: number,
  H: number,
  y: number,
  x0: number,
  x1: number,
  t: number,
  value: number,
  dotted: boolean,
): void {
  for (let k = 0; k < t; k++) {
    const yy = Math.round(y) + k;
    if (yy < 0 || yy >= H) continue;
    for (let x = Math.max(0, Math.round(x0)); x < Math.min(W, Math.round(x1)); x++)
      if (!dotted || x % 4 < 2) grey[yy * W + x] = Math.min(grey[yy * W + x]!, value);
  }
}

function vline(
  grey: Float32Array,
  W: number,
  H: number,
  x: number,
  y0: number,
  y1: number,
  t: number,
  value: number,
): void {
  for (let k = 0; k < t; k++) {
    const xx = Math.round(x) + k;
    if (xx < 0 || xx >= W) continue;
    for (let y = Math.max(0, Math.round(y0)); y < Math.min(H, Math.round(y1)); y++)
      grey[y * W + xx] = Math.min(grey[y * W + xx]!, value);
  }
}

/** Paper, or a cheque-like texture: a few interfering sinusoids (guilloche) plus fine grain. */
function background(W: number, H: number, textured: boolean, rng: Rng): Float32Array {
  const g = new Float32Array(W * H);
  const paper = textured ? u(rng, 150, 225) : u(rng, 215, 252);
  if (!textured) {
    g.fill(paper);
    return g;
  }
  const waves = Array.from({ length: 2 + rng.int(3) }, () => {
    const angle = rng.next() * Math.PI;
    const period = u(rng, 2.5, 9);
    return {
      fx: (Math.cos(angle) * 2 * Math.PI) / period,
      fy: (Math.sin(angle) * 2 * Math.PI) / period,
      ph: rng.next() * 6.28,
      amp: u(rng, 4, 18),
    };
  });
  // sin(a + b) = sin a cos b + cos a sin b: per-column and per-row tables, no sin() per pixel
  g.fill(paper);
  for (const w of waves) {
    const sx = Float32Array.from({ length: W }, (_, x) => Math.sin(w.fx * x + w.ph) * w.amp);
    const cx = Float32Array.from({ length: W }, (_, x) => Math.cos(w.fx * x + w.ph) * w.amp);
    for (let y = 0; y < H; y++) {
      const cy = Math.cos(w.fy * y);
      const sy = Math.sin(w.fy * y);
      const row = y * W;
      for (let x = 0; x < W; x++) g[row + x] += sx[x]! * cy + cx[x]! * sy;
    }
  }
  return g;
}

/** Rotation about the centre by bilinear resampling; the uncovered corners get the background level. */
function rotate(grey: Float32Array, W: number, H: number, angle: number, fill: number): Float32Array {
  const out = new Float32Array(W * H);
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  const cx = W / 2;
  const cy = H / 2;
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const dx = x + 0.5 - cx;
      const dy = y + 0.5 - cy;
      const sx = c * dx + s * dy + cx - 0.5;
      const sy = -s * dx + c * dy + cy - 0.5;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      if (x0 < 0 || y0 < 0 || x0 + 1 >= W || y0 + 1 >= H) {
        out[y * W + x] = fill;
        continue;
      }
      const fx = sx - x0;
      const fy = sy - y0;
      const i = y0 * W + x0;
      out[y * W + x] =
        (grey[i]! * (1 - fx) + grey[i + 1]! * fx) * (1 - fy) +
        (grey[i + W]! * (1 - fx) + grey[i + W + 1]! * fx) * fy;
    }
  return out;
}

function boxBlur3(grey: Float32Array, W: number, H: number): Float32Array {
  const tmp = new Float32Array(W * H);
  const out = new Float32Array(W * H);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const i = y * W + x;
      tmp[i] = (grey[x > 0 ? i - 1 : i]! + grey[i]! * 2 + grey[x < W - 1 ? i + 1 : i]!) / 4;
    }
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const i = y * W + x;
      out[i] = (tmp[y > 0 ? i - W : i]! + tmp[i]! * 2 + tmp[y < H - 1 ? i + W : i]!) / 4;
    }
  return out;
}

/** JPEG encode/decode round trip through @napi-rs/canvas: the blocking and ringing of real phone scans. */
function jpegRoundTrip(grey: Uint8Array, W: number, H: number, quality: number): Uint8Array {
  const canvas = createCanvas(W, H);
  const ctx = canvas.getContext('2d');
  const img = ctx.createImageData(W, H);
  for (let i = 0; i < W * H; i++) {
    const v = grey[i]!;
    img.data[i * 4] = v;
    img.data[i * 4 + 1] = v;
    img.data[i * 4 + 2] = v;
    img.data[i * 4 + 3] = 255;
  }
  ctx.putImageData(img, 0, 0);
  const decoded = new Image();
  decoded.src = canvas.encodeSync('jpeg', quality);
  ctx.drawImage(decoded, 0, 0);
  const rgba = ctx.getImageData(0, 0, W, H).data;
  const out = new Uint8Array(W * H);
  for (let i = 0; i < out.length; i++) out[i] = rgba[i * 4]!;
  return out;
}

export interface ScanStyle {
  textured: boolean;
  /** Ink grey level (0 black) and opacity. */
  inkValue: number;
  inkOpacity: number;
}

/** Places the ink on a scan with the config's clutter; returns the grey scan. */
export function renderScan(
  layout: InkLayout,
  kind: LineKind,
  style: ScanStyle,
  clutter: LineConfig['clutter'],
  rng: Rng,
): Scan {
  const { capH, baseline } = layout;
  const p = (x: number) => rng.next() < x;
  const U = (a: number, b: number) => u(rng, a, b);
  // crop margins around the writing: names sit small in tall crops, amounts fill theirs
  const tall = kind === 'name' ? U(0.5, 1.4) : U(0.15, 0.8);
  const top = Math.round(capH * tall);
  const bottom = Math.round(capH * (kind === 'name' ? U(0.4, 1.2) : U(0.1, 0.6)));
  const label = p(clutter.printedLabel) ? LABELS[kind][rng.int(LABELS[kind].length)]! : undefined;
  const labelSize = capH * U(0.5, 0.95);
  const printed = label ? printedText(label, labelSize, rng) : undefined;
  const labelGap = printed ? Math.round(capH * U(0.3, 2)) : 0;
  const left = (printed ? printed.w + labelGap : 0) + Math.round(capH * U(0.1, 1.2));
  const right = Math.round(capH * U(0.1, 1.5));
  const inkTop = baseline - capH * 1.1;
  const inkBottom = baseline + capH * 0.4;
  const oy = Math.round(top - inkTop);
  const ox = left - layout.left;
  const W = Math.max(8, Math.round(left + (layout.right - layout.left) + right));
  const H = Math.max(8, Math.round(top + (inkBottom - inkTop) + bottom));
  const grey = background(W, H, style.textured, rng);
  const lineGrey = U(40, 170);
  const lineT = rng.next() < 0.7 ? 1 : 2;
  const B = baseline + oy;

  if (layout.cells.length > 0) {
    // comb: the cells are part of the layout, so boxes are drawn whenever the writing was laid out in cells
    const y0 = B - capH * U(1.15, 1.45);
    const y1 = B + capH * U(0.15, 0.4);
    hline(grey, W, H, y0, layout.cells[0]![0] + ox, layout.cells.at(-1)![1] + ox, lineT, lineGrey, false);
    hline(grey, W, H, y1, layout.cells[0]![0] + ox, layout.cells.at(-1)![1] + ox, lineT, lineGrey, false);
    const tick = rng.next() < 0.4; // some forms have only short ticks between cells
    for (const [a] of [...layout.cells, [layout.cells.at(-1)![1], 0] as [number, number]])
      vline(grey, W, H, a + ox, tick ? y1 - capH * 0.35 : y0, y1 + lineT, lineT, lineGrey);
  } else if (p(clutter.fieldBox)) {
    const x0 = Math.max(0, left - capH * U(0.1, 0.6));
    const x1 = Math.min(W - 1, W - right + capH * U(0.1, 0.6));
    const y0 = Math.max(0, B - capH * U(1.1, 1.6));
    const y1 = Math.min(H - lineT, B + capH * U(0.2, 0.6));
    hline(grey, W, H, y0, x0, x1, lineT, lineGrey, false);
    hline(grey, W, H, y1, x0, x1 + lineT, lineT, lineGrey, false);
    vline(grey, W, H, x0, y0, y1, lineT, lineGrey);
    vline(grey, W, H, x1, y0, y1, lineT, lineGrey);
  }
  if (p(clutter.ruledLine)) hline(grey, W, H, B + capH * U(-0.05, 0.3), 0, W, lineT, lineGrey, p(0.3));
  if (printed) {
    const above = p(0.2); // e.g. "PRENOM" printed above-left of the box
    const py = above
      ? Math.round(B - capH * U(1.2, 1.8) - printed.h)
      : Math.round(B - printed.ascent + U(-0.2, 0.2) * capH);
    blend(grey, W, H, printed.a, printed.w, printed.h, Math.round(U(0, 0.3) * capH), py, U(0, 60));
  }
  if (p(clutter.neighbourText)) {
    const t = printedText(NEIGHBOURS[rng.int(NEIGHBOURS.length)]!, capH * U(0.5, 0.9), rng);
    const atTop = p(0.5);
    const y = atTop ? -Math.round(t.h * U(0.3, 0.7)) : H - Math.round(t.h * U(0.3, 0.6));
    blend(grey, W, H, t.a, t.w, t.h, Math.round(rng.next() * W * 0.6), y, U(0, 60));
  }
  // the handwriting itself
  const box: [number, number, number, number] = [W, H, 0, 0];
  for (let y = 0; y < layout.height; y++) {
    const gy = y + oy;
    if (gy < 0 || gy >= H) continue;
    for (let x = 0; x < layout.width; x++) {
      const a = layout.ink[y * layout.width + x]!;
      if (a <= 0) continue;
      const gx = x + ox;
      if (gx < 0 || gx >= W) continue;
      const al = a * style.inkOpacity;
      grey[gy * W + gx] = grey[gy * W + gx]! * (1 - al) + style.inkValue * al;
      if (a >= 0.3) {
        if (gx < box[0]) box[0] = gx;
        if (gy < box[1]) box[1] = gy;
        if (gx >= box[2]) box[2] = gx + 1;
        if (gy >= box[3]) box[3] = gy + 1;
      }
    }
  }
  // uneven lighting: a tilted plane of gain
  const gx = U(-0.25, 0.25);
  const gy = U(-0.2, 0.2);
  const g0 = U(0.85, 1.05);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++)
      grey[y * W + x] = grey[y * W + x]! * (g0 + gx * (x / W - 0.5) + gy * (y / H - 0.5));
  let img = grey;
  if (p(clutter.rotation)) img = rotate(img, W, H, U(-2, 2) * (Math.PI / 180), img[0]!);
  if (p(clutter.blur)) {
    img = boxBlur3(img, W, H);
    if (p(0.3)) img = boxBlur3(img, W, H);
  }
  const sigma = U(0, 7);
  const out = new Uint8Array(W * H);
  for (let i = 0; i < out.length; i++) {
    const n = (rng.next() - 0.5) * 3.46 * sigma; // uniform with standard deviation sigma
    const v = Math.round(img[i]! + n);
    out[i] = v < 0 ? 0 : Math.min(v, 255);
  }
  return {
    width: W,
    height: H,
    data: p(clutter.jpeg) ? jpegRoundTrip(out, W, H, Math.round(U(25, 90))) : out,
    writing: box,
  };
}
