import type { Rng } from '@hcr/core';
import { GLYPH_SIDE, type GlyphBank, type GlyphPools, symbolOf } from './glyphs.js';
import { drawAccent, drawContinental, drawMark, drawPenGlyph, type PenContext } from './pen.js';
import { SKELETONS, skeletonAspect, type Variant } from './skeletons.js';

/**
 * Handwriting layout: real glyphs placed along a baseline with per-character scale, baseline and slant
 * jitter, spacing from wide gaps to overlapping, a per-line pen weight, and marks (- ' . , /) drawn as pen
 * strokes of the glyphs' own stroke width. Output: an ink map (0..1) at scan resolution.
 */
export interface HandStyle {
  /** Height of a capital or digit, scan pixels. */
  capH: number;
  /** Shear (tan of the slant angle); per character it varies around this. */
  slant: number;
  /** Gap between characters as a fraction of capH (negative: overlap); ignored with `cellW`. */
  gap: number;
  gapJitter: number;
  /** Comb boxes: every character centred in a cell this wide (scan px). */
  cellW?: number;
  /**
   * Cells without boxes: the writer kept to a form's (erased or cropped) boxes, so a narrow I or 1 sits alone
   * in a wide gap, as on the real name forms; no boxes are drawn.
   */
  unboxed?: boolean;
  /** Pen weight: ink threshold on the scaled glyph (higher = thinner strokes). */
  tone: number;
  /** Thicken strokes by a 3x3 max filter. */
  dilate: boolean;
  /** Thin strokes by a soft 4-neighbour erosion (the fine pens of paper forms; glyphs' strokes are heavy). */
  erode: boolean;
  /**
   * Odds that a 1 gets a flag at its top and a 7 a bar through its middle, as most writers outside North
   * America draw them (real cheques do; MNIST's American writers mostly do not).
   */
  continental: number;
  /** Odds that an E carries an accent stroke (French names: É, È, Ê); the label stays E. */
  accents: number;
  /**
   * Odds that an M or I is drawn with the pen instead of an EMNIST glyph, in the shapes of European block
   * capitals that EMNIST's writers rarely used: an M whose middle V stops halfway (read as H otherwise) and
   * an I with bars at top and bottom (read as T otherwise).
   */
  penCapitals: number;
  /** Odds that a 1 is one slanted pen stroke, a '/', as many cheque writers make it. */
  slashOnes: number;
  /**
   * The whole line written in single pen strokes (SKELETONS: capitals and digits as a form's block capitals or a
   * mouse draws them), this pen width as a share of capH; upright: every stem exactly vertical. Lower-case
   * characters and marks keep their usual source.
   */
  strokes?: { pen: number; upright: boolean };
  sizeJitter: number;
  /**
   * Width of the glyphs relative to EMNIST's (a writer's hand is narrow or wide as a whole). The real form
   * writers' capitals are narrower than EMNIST's: squeezed to 3/4, a narrow M reads as H and a U as V.
   */
  aspect: number;
  /**
   * Elastic warp of each glyph: the largest displacement, in glyph pixels (of 28), of a smooth random field
   * that bends its strokes. MNIST's and EMNIST's writers are not the writers of real forms and cheques; a
   * bent copy of a glyph is another hand's version of it.
   */
  warp: number;
  baselineJitter: number;
  /** Baseline slope across the line (px per px). */
  slope: number;
}

export interface InkLayout {
  width: number;
  height: number;
  ink: Float32Array;
  /** Baseline row and the capital height, for placing rules, boxes and labels. */
  baseline: number;
  capH: number;
  /** Left and right edge of the writing. */
  left: number;
  right: number;
  /** Comb cells [x0, x1) when the style has cellW. */
  cells: [number, number][];
  /** Estimated stroke width (px), also used for the marks. */
  penWidth: number;
  /** Glyph id per character of the text, -1 for spaces and marks (drawn, not sampled). */
  glyphIds: number[];
}

const ASCENDERS = 'bdfhklt';
const DESCENDERS = 'gpqy';

/** Vertical extent of a character, as fractions of capH above the baseline: [top, bottom]. */
function extent(ch: string): [number, number] {
  if (ch >= 'a' && ch <= 'z') {
    if (ch === 'j') return [0.8, -0.35];
    if (ch === 'i') return [0.8, 0];
    if (ASCENDERS.includes(ch)) return [1, 0];
    if (DESCENDERS.includes(ch)) return [0.6, -0.35];
    return [0.6, 0];
  }
  return [1, 0];
}

interface Placed {
  ch: string;
  glyph: number;
  x: number;
  w: number;
  top: number;
  h: number;
  shear: number;
  /** Source ink box in the 28x28 glyph. */
  box: [number, number, number, number];
  /** Drawn with the pen (drawPenGlyph) instead of from the glyph. */
  pen?: boolean;
  /** The pen strokes to draw, for a line written in strokes. */
  skeleton?: Variant;
  /** Elastic warp: amplitude (glyph px), then frequency and phase of each of four sine terms. */
  warp?: number[];
}

/** Scales the two sine terms (amplitudes 1 and 0.5) so that the largest displacement is the amplitude. */
const WARP_SCALE = 1 / 1.5;

/** A smooth displacement field for one glyph: two sine terms per axis, about one cycle across the glyph. */
function pickWarp(amplitude: number, rng: Rng): number[] | undefined {
  const a = amplitude * rng.next();
  if (a < 0.05) return undefined;
  const w = [a];
  for (let k = 0; k < 4; k++)
    w.push((0.4 + 0.8 * rng.next()) * ((2 * Math.PI) / GLYPH_SIDE), 2 * Math.PI * rng.next());
  return w;
}

/** Ink bounding box of a glyph (pixels >= 40). */
function glyphBox(bank: GlyphBank, id: number): [number, number, number, number] {
  const base = id * GLYPH_SIDE * GLYPH_SIDE;
  let x0 = GLYPH_SIDE;
  let y0 = GLYPH_SIDE;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < GLYPH_SIDE; y++)
    for (let x = 0; x < GLYPH_SIDE; x++)
      if (bank.images[base + y * GLYPH_SIDE + x]! >= 40) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        if (y > y1) y1 = y;
      }
  return x1 < 0 ? [0, 0, GLYPH_SIDE, GLYPH_SIDE] : [x0, y0, x1 + 1, y1 + 1];
}

/** Width of a mark or space slot, fraction of capH. */
const MARK_WIDTH: Record<string, number> = { ' ': 0.65, '-': 0.55, '.': 0.3, ',': 0.3, "'": 0.25, '/': 0.55 };

export function layoutInk(
  text: string,
  style: HandStyle,
  bank: GlyphBank,
  pools: GlyphPools,
  rng: Rng,
): InkLayout {
  const { capH } = style;
  const margin = Math.ceil(capH * 0.6) + 4;
  const baseline = margin + capH;
  const placed: Placed[] = [];
  const marks: { ch: string; x: number; w: number; dy: number }[] = [];
  const cells: [number, number][] = [];
  const glyphIds: number[] = [];
  let x = margin;
  for (const ch of text) {
    const sym = symbolOf(ch);
    const jitterH = 1 + style.sizeJitter * (rng.next() * 2 - 1);
    const dy = style.baselineJitter * capH * (rng.next() * 2 - 1) + style.slope * (x - margin);
    let w: number;
    let item: { x: number };
    if (sym >= 0) {
      const pool = pools[sym]!;
      if (pool.length === 0) throw new RangeError(`no glyphs for '${ch}' in this split`);
      const glyph = pool[rng.int(pool.length)]!;
      const box = glyphBox(bank, glyph);
      const [t, b] = extent(ch);
      const h = Math.max(3, (t - b) * capH * jitterH);
      const scale = h / (box[3] - box[1]);
      w = Math.max(1.5, (box[2] - box[0]) * scale * style.aspect * (0.9 + 0.2 * rng.next()));
      const shear = style.slant + 0.08 * (rng.next() * 2 - 1);
      const g: Placed = { ch, glyph, x, w, top: baseline - t * capH * jitterH + dy, h, shear, box };
      g.warp = pickWarp(style.warp, rng);
      const skeletons = style.strokes ? SKELETONS[ch] : undefined;
      if (skeletons) {
        g.pen = true;
        g.skeleton = skeletons[rng.int(skeletons.length)];
        g.w = w = h * style.aspect * skeletonAspect(ch) * (0.85 + 0.3 * rng.next());
        if (style.strokes!.upright) g.shear = 0;
      } else if ((ch === 'M' || ch === 'I') && rng.next() < style.penCapitals) {
        g.pen = true;
        g.w = w = h * style.aspect * (ch === 'M' ? 0.8 + 0.35 * rng.next() : 0.35 + 0.25 * rng.next());
      } else if (ch === '1' && rng.next() < style.slashOnes) {
        g.pen = true;
        g.w = w = h * (0.25 + 0.3 * rng.next());
      }
      placed.push(g);
      item = g;
      glyphIds.push(glyph);
    } else {
      w = (MARK_WIDTH[ch] ?? 0.5) * capH * (0.8 + 0.4 * rng.next());
      const m = { ch, x, w, dy };
      marks.push(m);
      item = m;
      glyphIds.push(-1);
    }
    if (style.cellW) {
      // centre the character in its comb cell, jittered a little
      const cell = style.cellW;
      const offset = Math.max(0, (cell - w) / 2 + (rng.next() - 0.5) * cell * 0.15);
      item.x = x + offset;
      if (!style.unboxed) cells.push([x, x + cell]);
      x += cell;
    } else {
      x += w + capH * (style.gap + style.gapJitter * (rng.next() * 2 - 1));
      x = Math.max(x, (placed.at(-1)?.x ?? 0) + 1, (marks.at(-1)?.x ?? 0) + 1);
    }
  }
  const right = Math.max(
    x,
    ...placed.map((p) => p.x + p.w + Math.abs(p.shear) * p.h),
    ...marks.map((m) => m.x + m.w),
  );
  const width = Math.ceil(right + margin);
  const height = Math.ceil(baseline + capH * 0.45 + margin + Math.abs(style.slope) * width);
  const ink = new Float32Array(width * height);
  for (const p of placed) if (!p.pen) drawGlyph(ink, width, height, bank, p, style.tone);
  if (style.dilate) dilate(ink, width, height);
  let penWidth = style.strokes
    ? Math.max(1, style.strokes.pen * capH)
    : estimatePenWidth(ink, width, height, capH);
  // erode only strokes wide enough to keep a core: thin ones would break apart
  if (!style.strokes && style.erode && !style.dilate && penWidth >= 2.6) {
    erode(ink, width, height);
    penWidth = estimatePenWidth(ink, width, height, capH);
  }
  const pen: PenContext = { ink, width, height, pen: penWidth, rng };
  for (const m of marks) drawMark(pen, m, baseline, capH);
  for (const p of placed) if (p.pen) drawPenGlyph(pen, p);
  for (const p of placed)
    if (p.skeleton) continue;
    else if ((p.ch === '1' || p.ch === '7') && rng.next() < style.continental) drawContinental(pen, p);
    else if ((p.ch === 'E' || p.ch === 'e') && rng.next() < style.accents) drawAccent(pen, p);
  return {
    width,
    height,
    ink,
    baseline,
    capH,
    left: margin,
    right: Math.ceil(right),
    cells,
    penWidth,
    glyphIds,
  };
}

/** A pen tone keeps at least this share of a glyph's ink (as drawn at tone 0); fainter glyphs get less tone. */
const MIN_INK_KEPT = 0.5;

/**
 * Inverse-mapped bilinear sampling of the glyph's ink box into its place, sheared, through the pen tone.
 * A thin pen's threshold would leave a thin-stroked glyph only its darkest crossings (a 4 drawn as '=', a 2
 * as a dot) while its label stayed, teaching the reader to drop or invent characters: such a glyph is drawn
 * with the tone lowered until it keeps MIN_INK_KEPT of its ink.
 */
function drawGlyph(
  ink: Float32Array,
  width: number,
  height: number,
  bank: GlyphBank,
  p: Placed,
  lineTone: number,
): void {
  // the glyph is sampled once; each candidate tone only re-thresholds the samples
  const samples = sampleGlyph(width, height, bank, p);
  const full = inkThrough(samples, 0);
  let tone = lineTone;
  for (let k = 0; k < 6 && tone > 0.02; k++) {
    if (inkThrough(samples, tone) >= full * MIN_INK_KEPT) break;
    tone *= 0.7;
  }
  inkThrough(samples, tone, ink);
}

/** A glyph sampled into place: output pixel index and bilinear grey level (0..255) per sample. */
interface GlyphSamples {
  count: number;
  at: Int32Array;
  level: Float64Array;
}

/**
 * The ink mass the samples leave through the pen `tone` (grey levels below it vanish, the rest stretched to
 * 0..1); with `ink`, also draws them there (max with what is there).
 */
function inkThrough(samples: GlyphSamples, tone: number, ink?: Float32Array): number {
  const gain = 1 / Math.max(0.05, 1 - tone);
  let mass = 0;
  for (let k = 0; k < samples.count; k++) {
    const level = (samples.level[k]! / 255 - tone) * gain;
    if (level <= 0) continue;
    const val = Math.min(level, 1);
    mass += val;
    const i = samples.at[k]!;
    if (ink && val > ink[i]!) ink[i] = val;
  }
  return mass;
}

/** Inverse-maps every output pixel near the glyph's place into its ink box (sheared, warped): its samples. */
function sampleGlyph(width: number, height: number, bank: GlyphBank, p: Placed): GlyphSamples {
  const base = p.glyph * GLYPH_SIDE * GLYPH_SIDE;
  const img = bank.images;
  const [bx0, by0, bx1, by1] = p.box;
  const sx = (bx1 - bx0) / p.w;
  const sy = (by1 - by0) / p.h;
  const bottom = p.top + p.h;
  const shearMax = Math.abs(p.shear) * p.h;
  const [a, f1, p1, f2, p2, f3, p3, f4, p4] = p.warp ?? [0, 0, 0, 0, 0, 0, 0, 0, 0];
  const warp = a! > 0;
  // the warp moves ink by up to a glyph px (a * 1.5 * WARP_SCALE): draw that much further out
  const padX = warp ? Math.ceil(a! / sx) + 1 : 1;
  const padY = warp ? Math.ceil(a! / sy) + 1 : 1;
  const xStart = Math.max(0, Math.floor(p.x - shearMax - padX));
  const xEnd = Math.min(width, Math.ceil(p.x + p.w + shearMax + padX));
  const yStart = Math.max(0, Math.floor(p.top - padY));
  const yEnd = Math.min(height, Math.ceil(bottom + padY));
  const room = Math.max(0, xEnd - xStart) * Math.max(0, yEnd - yStart);
  const samples: GlyphSamples = { count: 0, at: new Int32Array(room), level: new Float64Array(room) };
  for (let y = yStart; y < yEnd; y++) {
    const vRow = by0 + (y + 0.5 - p.top) * sy - 0.5;
    if (!warp && (vRow < -1 || vRow > GLYPH_SIDE)) continue;
    const shift = p.shear * (bottom - (y + 0.5));
    for (let x = xStart; x < xEnd; x++) {
      let u = bx0 + (x + 0.5 - p.x - shift) * sx - 0.5;
      let v = vRow;
      if (warp) {
        const du = a! * WARP_SCALE * (Math.sin(f1! * vRow + p1!) + 0.5 * Math.sin(f2! * u + p2!));
        v += a! * WARP_SCALE * (Math.sin(f3! * u + p3!) + 0.5 * Math.sin(f4! * vRow + p4!));
        u += du;
      }
      if (u < -1 || u > GLYPH_SIDE || v < -1 || v > GLYPH_SIDE) continue;
      const v0 = Math.floor(v);
      const fv = v - v0;
      const u0 = Math.floor(u);
      const fu = u - u0;
      const s =
        (px(img, base, u0, v0) * (1 - fu) + px(img, base, u0 + 1, v0) * fu) * (1 - fv) +
        (px(img, base, u0, v0 + 1) * (1 - fu) + px(img, base, u0 + 1, v0 + 1) * fu) * fv;
      samples.at[samples.count] = y * width + x;
      samples.level[samples.count++] = s;
    }
  }
  return samples;
}

function px(img: Uint8Array, base: number, u: number, v: number): number {
  return u < 0 || v < 0 || u >= GLYPH_SIDE || v >= GLYPH_SIDE ? 0 : img[base + v * GLYPH_SIDE + u]!;
}

function dilate(ink: Float32Array, width: number, height: number): void {
  const src = ink.slice();
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      let m = src[y * width + x]!;
      if (x > 0) m = Math.max(m, src[y * width + x - 1]! * 0.9);
      if (x < width - 1) m = Math.max(m, src[y * width + x + 1]! * 0.9);
      if (y > 0) m = Math.max(m, src[(y - 1) * width + x]! * 0.9);
      if (y < height - 1) m = Math.max(m, src[(y + 1) * width + x]! * 0.9);
      ink[y * width + x] = m;
    }
}

/**
 * Erosion: a pixel keeps its ink only where its weakest 4-neighbour is inked too; edges go, cores stay sharp.
 * Strokes at most 3 px across (in x or in y) are left alone: eroding them would break the glyph apart.
 */
function erode(ink: Float32Array, width: number, height: number): void {
  const src = ink.slice();
  const runX = inkRuns(src, width, height, true);
  const runY = inkRuns(src, width, height, false);
  for (let y = 1; y < height - 1; y++)
    for (let x = 1; x < width - 1; x++) {
      const i = y * width + x;
      const v = src[i]!;
      if (v === 0 || Math.min(runX[i]!, runY[i]!) <= 3) continue;
      const m = Math.min(src[i - 1]!, src[i + 1]!, src[i - width]!, src[i + width]!);
      ink[i] = m >= 0.5 ? v : v * m * m;
    }
}

/** Length of the run of ink (>= 0.5) through each pixel, along rows or along columns. */
function inkRuns(ink: Float32Array, width: number, height: number, alongRows: boolean): Uint16Array {
  const runs = new Uint16Array(width * height);
  const [lines, len, step, lineStep] = alongRows ? [height, width, 1, width] : [width, height, width, 1];
  for (let l = 0; l < lines; l++) {
    const start = l * lineStep;
    for (let k = 0; k < len; ) {
      if (ink[start + k * step]! < 0.5) {
        k++;
        continue;
      }
      let e = k;
      while (e < len && ink[start + e * step]! >= 0.5) e++;
      for (let j = k; j < e; j++) runs[start + j * step] = Math.min(e - k, 65535);
      k = e;
    }
  }
  return runs;
}

/** Stroke width = 2 * inked area / boundary transitions (exact for long straight strokes). */
function estimatePenWidth(ink: Float32Array, width: number, height: number, capH: number): number {
  let area = 0;
  let edges = 0;
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      const on = ink[y * width + x]! >= 0.5;
      if (on) area++;
      if (x > 0 && on !== ink[y * width + x - 1]! >= 0.5) edges++;
      if (y > 0 && on !== ink[(y - 1) * width + x]! >= 0.5) edges++;
    }
  return edges > 0 ? Math.max(1, Math.min(capH * 0.3, (2 * area) / edges)) : Math.max(1, capH * 0.12);
}
