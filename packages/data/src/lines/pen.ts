import type { Rng } from '@hcr/core';
import type { Variant } from './skeletons.js';

/**
 * What the pen draws on top of (or instead of) the sampled glyphs: marks (- ' . , /), the flags and bars of
 * continental 1s and 7s, accents, the European M and serif I, and whole lines in single strokes (skeletons.ts).
 * All in the line's own stroke width.
 */
export interface PenContext {
  /** Ink map (0..1), row-major, `width` x `height`. */
  ink: Float32Array;
  width: number;
  height: number;
  /** Stroke width, px. */
  pen: number;
  rng: Rng;
}

/** Where a glyph sits: its character, left edge, width, top, height and shear (as drawGlyph places it). */
export interface PlacedGlyph {
  ch: string;
  x: number;
  w: number;
  top: number;
  h: number;
  shear: number;
  /** Pen strokes in the glyph's box (SKELETONS), for a line written in strokes. */
  skeleton?: Variant;
}

/** A round-capped pen stroke from (x0, y0) to (x1, y1), antialiased, max-composited. */
function drawStroke(
  ink: Float32Array,
  width: number,
  height: number,
  x0: number,
  y0: number,
  x1: number,
  y1: number,
  pen: number,
  value = 1,
): void {
  const r = pen / 2;
  const xa = Math.max(0, Math.floor(Math.min(x0, x1) - r - 1));
  const xb = Math.min(width, Math.ceil(Math.max(x0, x1) + r + 1));
  const ya = Math.max(0, Math.floor(Math.min(y0, y1) - r - 1));
  const yb = Math.min(height, Math.ceil(Math.max(y0, y1) + r + 1));
  const dx = x1 - x0;
  const dy = y1 - y0;
  const len2 = dx * dx + dy * dy || 1e-9;
  for (let y = ya; y < yb; y++)
    for (let x = xa; x < xb; x++) {
      const px0 = x + 0.5 - x0;
      const py0 = y + 0.5 - y0;
      const t = Math.max(0, Math.min(1, (px0 * dx + py0 * dy) / len2));
      const d = Math.hypot(px0 - t * dx, py0 - t * dy);
      const a = Math.min(1, r + 0.5 - d) * value;
      if (a > 0 && a > ink[y * width + x]!) ink[y * width + x] = a;
    }
}

/** The flag of a continental 1 (down-left from the top of the stem) or the bar through a 7's stem. */
export function drawContinental({ ink, width, height, pen, rng }: PenContext, p: PlacedGlyph): void {
  // drawGlyph shifts row y right by shear * (bottom - y): the stem's x at a height follows that slant
  const xAt = (fromTop: number) => p.x + p.w / 2 + p.shear * p.h * (1 - fromTop);
  if (p.ch === '1') {
    const y = p.top + pen / 2;
    // a short flag, or (as on many Latin American and European cheques) a long lead-in rising from low left
    const long = rng.next() < 0.35;
    const angle = long ? 0.8 + 0.45 * rng.next() : 0.45 + 0.45 * rng.next(); // radians below the horizontal
    // a long lead-in starts near the baseline (a 1 like a narrow lambda); a flag hangs from the top
    const len = long ? (p.h * (0.7 + 0.3 * rng.next())) / Math.sin(angle) : p.h * (0.25 + 0.2 * rng.next());
    const x = xAt(0);
    drawStroke(ink, width, height, x, y, x - len * Math.cos(angle), y + len * Math.sin(angle), pen);
  } else {
    const t = 0.45 + 0.15 * rng.next();
    const y = p.top + p.h * t;
    const x = xAt(t);
    const half = p.h * (0.15 + 0.1 * rng.next());
    drawStroke(ink, width, height, x - half, y + 0.04 * p.h, x + half, y - 0.04 * p.h, pen);
  }
}

/** A European M (legs, and a V that stops between a third and three quarters down), a serif I or a slash 1. */
export function drawPenGlyph({ ink, width, height, pen, rng }: PenContext, p: PlacedGlyph): void {
  const j = () => (rng.next() - 0.5) * 0.08;
  // (u, v) in the glyph's box, u across and v down, sheared like drawGlyph
  const at = (u: number, v: number): [number, number] => [
    p.x + (u + j()) * p.w + p.shear * p.h * (1 - v),
    p.top + (v + j()) * p.h,
  ];
  const line = (a: [number, number], b: [number, number]) =>
    drawStroke(ink, width, height, a[0], a[1], b[0], b[1], pen);
  if (p.skeleton) {
    // each point moved once, so a polyline's segments stay joined
    for (const stroke of p.skeleton) {
      const pts = stroke.map(([u, v]) => at(u, v));
      for (let i = 1; i < pts.length; i++) line(pts[i - 1]!, pts[i]!);
      if (pts.length === 1) line(pts[0]!, pts[0]!);
    }
    return;
  }
  if (p.ch === 'M') {
    const tl = at(0.05, 0);
    const tr = at(0.95, 0);
    const mid = at(0.5, 0.2 + 0.55 * rng.next()); // from a shallow notch (read as H) to a full V
    line(at(0, 1), tl);
    line(tr, at(1, 1));
    line(tl, mid);
    line(mid, tr);
  } else if (p.ch === '1') {
    line(at(0, 1), at(1, 0)); // a slash
  } else {
    line(at(0.5, 0), at(0.5, 1));
    line(at(0, 0), at(1, 0));
    line(at(0, 1), at(1, 1));
  }
}

/** An acute, grave or circumflex accent above the glyph, in the line's pen. */
export function drawAccent({ ink, width, height, pen, rng }: PenContext, p: PlacedGlyph): void {
  const cx = p.x + p.w / 2 + p.shear * p.h + (rng.next() - 0.5) * p.w * 0.3;
  const y = p.top - pen - p.h * (0.1 + 0.12 * rng.next());
  const w = p.h * (0.12 + 0.1 * rng.next());
  const rise = p.h * (0.12 + 0.08 * rng.next());
  const kind = rng.int(3);
  if (kind === 0) drawStroke(ink, width, height, cx - w / 2, y + rise / 2, cx + w / 2, y - rise / 2, pen);
  else if (kind === 1)
    drawStroke(ink, width, height, cx - w / 2, y - rise / 2, cx + w / 2, y + rise / 2, pen);
  else {
    drawStroke(ink, width, height, cx - w, y + rise / 2, cx, y - rise / 2, pen);
    drawStroke(ink, width, height, cx, y - rise / 2, cx + w, y + rise / 2, pen);
  }
}

export function drawMark(
  { ink, width, height, pen, rng }: PenContext,
  m: { ch: string; x: number; w: number; dy: number },
  baseline: number,
  capH: number,
): void {
  const B = baseline + m.dy;
  const j = () => (rng.next() - 0.5) * 0.1 * capH;
  const s = (x0: number, y0: number, x1: number, y1: number, p = pen) =>
    drawStroke(ink, width, height, x0, y0, x1, y1, p);
  switch (m.ch) {
    case '-': {
      const y = B - capH * (0.4 + 0.15 * rng.next());
      s(m.x, y + j(), m.x + m.w, y + j());
      break;
    }
    case '.': {
      const cx = m.x + m.w / 2;
      const r = pen * (0.5 + 0.5 * rng.next());
      s(cx, B - r, cx + r * 0.3, B - r * 0.8, pen * 1.2);
      break;
    }
    case ',':
      s(m.x + m.w * 0.65, B - pen, m.x + m.w * 0.3, B + capH * (0.15 + 0.15 * rng.next()));
      break;
    case "'":
      s(
        m.x + m.w * 0.6,
        B - capH * (1 + 0.05 * rng.next()),
        m.x + m.w * 0.4,
        B - capH * (0.7 + 0.1 * rng.next()),
      );
      break;
    case '/':
      s(m.x + j(), B + j() * 0.5, m.x + m.w + j(), B - capH * (1 + 0.1 * rng.next()));
      break;
    default: // space: nothing to draw
  }
}
