import { createRng, type Rng } from '@hcr/core';
import { createCanvas } from '@napi-rs/canvas';

/**
 * Images that are not one handwritten character, for measuring how often a recogniser answers anyway:
 * noise, blank paper (texture, uneven light), handwritten words and multi-character crops made from real
 * character images (our test glyphs), and printed text. Deterministic for a seed. Images are grey,
 * dark ink on light paper, row by row (the caller encodes them, e.g. as PNG or JPEG).
 */
export const NEGATIVE_KINDS = ['noise', 'blank-paper', 'word', 'multi-character', 'printed-text'] as const;
export type NegativeKind = (typeof NEGATIVE_KINDS)[number];

export interface NegativeImage {
  kind: NegativeKind;
  /** What is on it, e.g. `word HELLO` or `gaussian noise sd 40`. */
  description: string;
  width: number;
  height: number;
  /** Grey levels 0..255, row by row. */
  grey: Uint8Array;
}

/** Character images to build handwritten negatives from: canonical 28x28, ink bright on black. */
export interface GlyphSource {
  pixels: Uint8Array;
  labels: Uint8Array;
  count: number;
  classNames: readonly string[];
}

const WORDS = [
  'HELLO',
  'TAX',
  'NAME',
  'DATE',
  'PARIS',
  'TOTAL',
  'JEAN',
  'MARIE',
  'BANK',
  'CODE',
  'FORM',
  'ROAD',
];
const PRINTED = [
  'Name:',
  'PRENOM',
  'Total',
  'Date',
  'No.',
  '12/05',
  'EUR',
  'Signature',
  'ABC',
  '2024',
  'Ref 7',
];

function paper(w: number, h: number, rng: Rng): Float32Array {
  const base = 150 + rng.int(95);
  const gx = (rng.next() - 0.5) * 80;
  const gy = (rng.next() - 0.5) * 80;
  const grain = 2 + rng.next() * 8;
  // low-frequency blotches: a coarse random grid, bilinearly interpolated
  const g = 6;
  const coarse = Float32Array.from({ length: (g + 1) * (g + 1) }, () => (rng.next() - 0.5) * 30);
  const out = new Float32Array(w * h);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const fx = (x / w) * g;
      const fy = (y / h) * g;
      const ix = Math.min(g - 1, Math.floor(fx));
      const iy = Math.min(g - 1, Math.floor(fy));
      const tx = fx - ix;
      const ty = fy - iy;
      const c = (i: number, j: number) => coarse[j * (g + 1) + i]!;
      const blot =
        (1 - ty) * ((1 - tx) * c(ix, iy) + tx * c(ix + 1, iy)) +
        ty * ((1 - tx) * c(ix, iy + 1) + tx * c(ix + 1, iy + 1));
      out[y * w + x] = base + gx * (x / w - 0.5) + gy * (y / h - 0.5) + blot + grain * rng.normal();
    }
  return out;
}

function toBytes(v: Float32Array): Uint8Array {
  return Uint8Array.from(v, (x) => (x < 0 ? 0 : x > 255 ? 255 : Math.round(x)));
}

function glyphIndex(src: GlyphSource, ch: string, rng: Rng): number {
  const c = src.classNames.indexOf(ch);
  for (let tries = 0; tries < 20000; tries++) {
    const i = rng.int(src.count);
    if (c < 0 || src.labels[i] === c) return i;
  }
  return rng.int(src.count);
}

/** Handwritten glyphs side by side on paper, each scaled to `size` px with jitter. */
function handwritten(text: string, src: GlyphSource, rng: Rng): { w: number; h: number; grey: Uint8Array } {
  const size = 40 + rng.int(60);
  const gap = Math.round(size * (0.05 + rng.next() * 0.3));
  const w = text.length * size + (text.length - 1) * gap + 2 * size * 0.3;
  const h = Math.round(size * 1.6);
  const W = Math.round(w);
  const out = paper(W, h, rng);
  const ink = 20 + rng.int(70);
  let x0 = Math.round(size * 0.3);
  for (const ch of text) {
    const g = glyphIndex(src, ch, rng);
    const s = size * (0.85 + rng.next() * 0.3);
    const y0 = Math.round((h - s) / 2 + (rng.next() - 0.5) * size * 0.15);
    for (let y = 0; y < s; y++)
      for (let x = 0; x < s; x++) {
        const gx = Math.min(27, Math.floor((x / s) * 28));
        const gy = Math.min(27, Math.floor((y / s) * 28));
        const a = src.pixels[g * 784 + gy * 28 + gx]! / 255;
        const X = x0 + x;
        const Y = y0 + y;
        if (X >= 0 && Y >= 0 && X < W && Y < h && a > 0) {
          const i = Y * W + X;
          out[i] = out[i]! * (1 - a) + ink * a;
        }
      }
    x0 += Math.round(s) + gap;
  }
  return { w: W, h, grey: toBytes(out) };
}

function noise(rng: Rng): NegativeImage {
  const w = 60 + rng.int(200);
  const h = 60 + rng.int(200);
  const kind = rng.int(3);
  const mean = 60 + rng.int(140);
  const sd = 15 + rng.int(60);
  let v: Float32Array = Float32Array.from({ length: w * h }, () => mean + sd * rng.normal());
  let description = `gaussian noise mean ${mean} sd ${sd}`;
  if (kind === 1) {
    // salt and pepper on paper
    v = paper(w, h, rng);
    const share = 0.02 + rng.next() * 0.2;
    for (let i = 0; i < v.length; i++) if (rng.next() < share) v[i] = rng.next() < 0.5 ? 0 : 255;
    description = `salt and pepper ${(share * 100).toFixed(0)}% on paper`;
  } else if (kind === 2) {
    // blurred noise: blobs of every size
    const r = 1 + rng.int(4);
    const b = new Float32Array(v.length);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) {
        let s = 0;
        let n = 0;
        for (let dy = -r; dy <= r; dy++)
          for (let dx = -r; dx <= r; dx++) {
            const yy = y + dy;
            const xx = x + dx;
            if (yy < 0 || xx < 0 || yy >= h || xx >= w) continue;
            s += v[yy * w + xx]!;
            n++;
          }
        b[y * w + x] = mean + (s / n - mean) * (1 + r);
      }
    v = b;
    description = `smoothed noise radius ${r}`;
  }
  return { kind: 'noise', description, width: w, height: h, grey: toBytes(v) };
}

function blankPaper(rng: Rng): NegativeImage {
  const w = 60 + rng.int(300);
  const h = 60 + rng.int(300);
  const v = paper(w, h, rng);
  // sometimes a shadow across a corner, or faint ruled lines
  const extra = rng.int(3);
  if (extra === 1) {
    const depth = 20 + rng.int(50);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        if (x + y < (w + h) * 0.3) v[y * w + x] -= depth * (1 - (x + y) / ((w + h) * 0.3));
  } else if (extra === 2) {
    const step = 20 + rng.int(30);
    for (let y = step; y < h; y += step) for (let x = 0; x < w; x++) v[y * w + x] -= 25;
  }
  return {
    kind: 'blank-paper',
    description: `paper${extra === 1 ? ' with a shadow' : extra === 2 ? ' with ruled lines' : ''}`,
    width: w,
    height: h,
    grey: toBytes(v),
  };
}

function printed(rng: Rng): NegativeImage {
  const text = PRINTED[rng.int(PRINTED.length)]!;
  const size = 20 + rng.int(40);
  const w = Math.round(size * (text.length * 0.75 + 1));
  const h = Math.round(size * 1.8);
  const canvas = createCanvas(w, h);
  const ctx = canvas.getContext('2d');
  const bg = paper(w, h, rng);
  const img = ctx.createImageData(w, h);
  for (let i = 0; i < w * h; i++) {
    const g = Math.max(0, Math.min(255, bg[i]!));
    img.data.set([g, g, g, 255], i * 4);
  }
  ctx.putImageData(img, 0, 0);
  const ink = 10 + rng.int(60);
  ctx.fillStyle = `rgb(${ink},${ink},${ink})`;
  ctx.font = `${rng.next() < 0.5 ? 'bold ' : ''}${size}px ${rng.next() < 0.5 ? 'DejaVu Sans' : 'DejaVu Serif'}`;
  ctx.textBaseline = 'middle';
  ctx.fillText(text, size * 0.4, h / 2);
  const rgba = ctx.getImageData(0, 0, w, h).data;
  const grey = new Uint8Array(w * h);
  for (let i = 0; i < w * h; i++) grey[i] = rgba[i * 4]!;
  return { kind: 'printed-text', description: `printed '${text}' ${size}px`, width: w, height: h, grey };
}

/**
 * `perKind` images of every kind (NEGATIVE_KINDS order), the same for the same seed and glyphs. Words
 * and multi-character crops need `glyphs` (e.g. the test split of the prepared shards).
 */
export function generateNegatives(seed: number, perKind: number, glyphs: GlyphSource): NegativeImage[] {
  const out: NegativeImage[] = [];
  const rng = createRng(seed);
  const alnum = glyphs.classNames.filter((c) => /^[0-9A-Za-z]$/.test(c));
  for (const kind of NEGATIVE_KINDS)
    for (let i = 0; i < perKind; i++) {
      if (kind === 'noise') out.push(noise(rng));
      else if (kind === 'blank-paper') out.push(blankPaper(rng));
      else if (kind === 'printed-text') out.push(printed(rng));
      else {
        const text =
          kind === 'word'
            ? WORDS[rng.int(WORDS.length)]!
            : Array.from({ length: 2 + rng.int(3) }, () => alnum[rng.int(alnum.length)]!).join('');
        const { w, h, grey } = handwritten(text, glyphs, rng);
        out.push({
          kind,
          description: `${kind === 'word' ? 'word' : 'characters'} ${text}`,
          width: w,
          height: h,
          grey,
        });
      }
    }
  return out;
}
