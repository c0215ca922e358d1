/**
 * Synthetic "phone photos" of characters for tests: strokes rendered with antialiasing, then paper tone,
 * uneven light, paper grain, pencil texture, blur, noise, JPEG compression, alpha channels.
 * Everything is seeded, so a failing case can be reproduced and looked at.
 */
import { createRng } from '@hcr/core';
import sharp from 'sharp';

type Pt = [number, number];
/** Character shapes as polylines in a unit box (x right, y down), drawn the way people write them. */
export const STROKES: Record<string, Pt[][]> = {
  '7': [
    [
      [0.15, 0.1],
      [0.85, 0.1],
      [0.45, 0.95],
    ],
  ],
  A: [
    [
      [0.12, 0.95],
      [0.5, 0.05],
      [0.88, 0.95],
    ],
    [
      [0.28, 0.6],
      [0.72, 0.6],
    ],
  ],
  L: [
    [
      [0.25, 0.05],
      [0.25, 0.95],
      [0.8, 0.95],
    ],
  ],
  T: [
    [
      [0.1, 0.08],
      [0.9, 0.08],
    ],
    [
      [0.5, 0.08],
      [0.5, 0.95],
    ],
  ],
  X: [
    [
      [0.15, 0.05],
      [0.85, 0.95],
    ],
    [
      [0.85, 0.05],
      [0.15, 0.95],
    ],
  ],
  '1': [
    [
      [0.3, 0.25],
      [0.55, 0.05],
      [0.55, 0.95],
    ],
  ],
  '0': [ellipse(0.5, 0.5, 0.32, 0.45)],
  '4': [
    [
      [0.65, 0.95],
      [0.65, 0.05],
      [0.12, 0.65],
      [0.88, 0.65],
    ],
  ],
};

function ellipse(cx: number, cy: number, rx: number, ry: number): Pt[] {
  return Array.from({ length: 33 }, (_, i) => {
    const a = (i / 32) * 2 * Math.PI;
    return [cx + rx * Math.sin(a), cy - ry * Math.cos(a)] as Pt;
  });
}

function segDist(px: number, py: number, a: Pt, b: Pt): number {
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  const t = Math.max(0, Math.min(1, ((px - a[0]) * dx + (py - a[1]) * dy) / (dx * dx + dy * dy || 1)));
  return Math.hypot(px - a[0] - t * dx, py - a[1] - t * dy);
}

/** Ink coverage 0..1 of strokes drawn in a box of `box` px placed at (ox, oy) of a w x h image. */
export function renderStrokes(
  strokes: Pt[][],
  w: number,
  h: number,
  opts: { box: number; ox: number; oy: number; width: number },
): Float32Array {
  const cov = new Float32Array(w * h);
  const scaled = strokes.map((s) =>
    s.map(([x, y]) => [opts.ox + x * opts.box, opts.oy + y * opts.box] as Pt),
  );
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      let d = Infinity;
      for (const s of scaled)
        for (let i = 1; i < s.length; i++) d = Math.min(d, segDist(x + 0.5, y + 0.5, s[i - 1]!, s[i]!));
      cov[y * w + x] = Math.max(0, Math.min(1, opts.width / 2 + 0.5 - d));
    }
  return cov;
}

export interface PhotoOptions {
  size?: number;
  /** Character box as a fraction of the image side. */
  fill?: number;
  /** Stroke width as a fraction of the character box. */
  stroke?: number;
  paper?: number;
  ink?: number;
  /** Light falloff across the image (0..255 levels). */
  gradient?: number;
  /** Paper grain / sensor noise sigma (levels). */
  noise?: number;
  /** Pencil: ink strength varies along the stroke. */
  pencil?: boolean;
  /** Ruled paper: horizontal lines this far apart (fraction of the image), clear of the character. */
  ruled?: number;
  /** Number of random dark specks (dust, paper fibres). */
  specks?: number;
  blur?: number;
  format?: 'png' | 'jpeg' | 'webp';
  quality?: number;
  /** Light ink on a dark board. */
  inverted?: boolean;
  /** Strokes on a transparent background (RGBA PNG). */
  cutout?: boolean;
  seed?: number;
}

/** Renders a character as an encoded image with the given photo defects. */
export async function photo(char: string, o: PhotoOptions = {}): Promise<Buffer> {
  const strokes = STROKES[char];
  if (!strokes) throw new Error(`no strokes for ${char}`);
  const size = o.size ?? 200;
  const rng = createRng(o.seed ?? 1);
  const box = size * (o.fill ?? 0.7);
  const cov = renderStrokes(strokes, size, size, {
    box,
    ox: (size - box) / 2 + (rng.next() - 0.5) * size * 0.1,
    oy: (size - box) / 2 + (rng.next() - 0.5) * size * 0.1,
    width: Math.max(1, box * (o.stroke ?? 0.1)),
  });
  const paper = o.paper ?? 235;
  const inkLevel = o.ink ?? 40;
  const rgba = Buffer.alloc(size * size * 4);
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      const i = y * size + x;
      let c = cov[i]!;
      if (o.pencil) c *= 0.55 + 0.45 * rng.next();
      const light = -(o.gradient ?? 0) * ((x + 0.6 * y) / (1.6 * size));
      const lineAt = o.ruled
        ? Math.abs(((y / size) % o.ruled) - o.ruled / 2) * size
        : Number.POSITIVE_INFINITY;
      const rule =
        o.ruled && (y < (size - box) / 2 - 0.06 * size || y > (size + box) / 2 + 0.06 * size)
          ? Math.min(1, Math.max(0, 2 - lineAt))
          : 0;
      let v = paper + light + Math.max(c, 0.85 * rule) * (inkLevel - paper) + (o.noise ?? 0) * rng.normal();
      if (o.inverted) v = 255 - v;
      v = Math.max(0, Math.min(255, v));
      rgba[i * 4] = v;
      rgba[i * 4 + 1] = Math.max(0, Math.min(255, v * 0.97 + 4)); // a slight colour cast
      rgba[i * 4 + 2] = Math.max(0, Math.min(255, v * 0.92));
      rgba[i * 4 + 3] = o.cutout ? Math.round(c * 255) : 255;
    }
  for (let s = 0; s < (o.specks ?? 0); s++) {
    const sx = rng.int(size);
    const sy = rng.int(size);
    const r = 1 + rng.int(2);
    for (let dy = -r; dy <= r; dy++)
      for (let dx = -r; dx <= r; dx++) {
        const x = sx + dx;
        const y = sy + dy;
        if (x < 0 || y < 0 || x >= size || y >= size || dx * dx + dy * dy > r * r) continue;
        const j = (y * size + x) * 4;
        const v = o.inverted ? 230 : 50;
        rgba[j] = rgba[j + 1] = rgba[j + 2] = v;
        if (o.cutout) rgba[j + 3] = 255;
      }
  }
  let img = sharp(rgba, { raw: { width: size, height: size, channels: 4 } });
  if (o.blur) img = img.blur(o.blur);
  if (!o.cutout) img = img.removeAlpha();
  const format = o.format ?? 'png';
  if (format === 'jpeg') return img.jpeg({ quality: o.quality ?? 70 }).toBuffer();
  if (format === 'webp') return img.webp({ quality: o.quality ?? 70 }).toBuffer();
  return img.png().toBuffer();
}

/** Canonical rendering of the same strokes: white on black, no defects (the reference). */
export function clean(char: string, o: Pick<PhotoOptions, 'stroke' | 'seed'> = {}): Promise<Buffer> {
  return photo(char, { size: 200, paper: 0, ink: 255, stroke: o.stroke ?? 0.12, seed: o.seed });
}

/** Pearson correlation of two 28x28 images (1 = same shape). */
export function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]!;
    mb += b[i]!;
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i]! - ma) * (b[i]! - mb);
    saa += (a[i]! - ma) ** 2;
    sbb += (b[i]! - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb || 1);
}
