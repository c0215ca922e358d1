import type { Component } from './components.js';

/** The components that make up the line to read, and their box (inclusive, working pixels). */
export interface Band {
  keep: Set<number>;
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** Components lighter than this share of the heaviest are marks, not letters. */
const LETTER_MASS = 0.08;
/** Letters cut by the top or bottom edge and shorter than this share of the height belong to a neighbouring line. */
const EDGE_FRAGMENT_HEIGHT = 0.5;
/** A horizontal gap wider than this many band heights separates the line from a stray group. */
const GROUP_GAP = 2.5;

const h = (c: Component) => c.y1 - c.y0 + 1;
const cy = (c: Component) => (c.y0 + c.y1) / 2;

/**
 * Picks the text band: letters are grouped into rows of vertically overlapping boxes; the row with the most
 * ink wins, favouring the middle of the crop and discounting letters cut by the top or bottom edge (the
 * neighbouring lines of a form). Stray groups far to the side and specks away from the band are dropped;
 * small marks inside it (dots, commas, i-dots, hyphens) are kept.
 */
export function selectBand(comps: Component[], width: number, height: number): Band | undefined {
  if (comps.length === 0) return undefined;
  const heaviest = comps.reduce((m, c) => Math.max(m, c.mass), 0);
  const letters = comps.filter((c) => c.mass >= LETTER_MASS * heaviest);
  // Rows: union of overlapping vertical intervals.
  const sorted = [...letters].sort((a, b) => a.y0 - b.y0 || a.x0 - b.x0);
  const rows: Component[][] = [];
  let rowEnd = -1;
  for (const c of sorted) {
    if (rows.length === 0 || c.y0 > rowEnd) {
      rows.push([c]);
      rowEnd = c.y1;
    } else {
      rows[rows.length - 1].push(c);
      rowEnd = Math.max(rowEnd, c.y1);
    }
  }
  let best: Component[] = rows[0];
  let bestScore = -1;
  for (const row of rows) {
    let mass = 0;
    let y0 = height;
    let y1 = 0;
    for (const c of row) {
      const cut = (c.y0 === 0 || c.y1 === height - 1) && h(c) < EDGE_FRAGMENT_HEIGHT * height;
      mass += cut ? 0.25 * c.mass : c.mass;
      y0 = Math.min(y0, c.y0);
      y1 = Math.max(y1, c.y1);
    }
    const centre = (y0 + y1) / 2;
    const score = mass * (1 - (0.6 * Math.abs(centre - height / 2)) / (height / 2));
    if (score > bestScore) {
      bestScore = score;
      best = row;
    }
  }
  const row = groupAlong(best);
  let y0 = height;
  let y1 = -1;
  let x0 = width;
  let x1 = -1;
  for (const c of row) {
    y0 = Math.min(y0, c.y0);
    y1 = Math.max(y1, c.y1);
    x0 = Math.min(x0, c.x0);
    x1 = Math.max(x1, c.x1);
  }
  const keep = new Set(row.map((c) => c.id));
  const bandH = y1 - y0 + 1;
  const slackY = 0.25 * bandH;
  const slackX = 1.0 * bandH;
  for (const c of comps) {
    if (keep.has(c.id)) continue;
    const touches = c.x0 === 0 || c.y0 === 0 || c.x1 === width - 1 || c.y1 === height - 1;
    if (touches) continue;
    const inside = cy(c) >= y0 - slackY && cy(c) <= y1 + slackY && c.x1 >= x0 - slackX && c.x0 <= x1 + slackX;
    if (!inside) continue;
    keep.add(c.id);
  }
  // The final box covers every kept component.
  for (const c of comps) {
    if (!keep.has(c.id)) continue;
    y0 = Math.min(y0, c.y0);
    y1 = Math.max(y1, c.y1);
    x0 = Math.min(x0, c.x0);
    x1 = Math.max(x1, c.x1);
  }
  return { keep, x0, y0, x1, y1 };
}

/** Splits a row at wide horizontal gaps and keeps the heavy groups (drops a stray mark far to one side). */
function groupAlong(row: Component[]): Component[] {
  const byX = [...row].sort((a, b) => a.x0 - b.x0);
  const y0 = Math.min(...row.map((c) => c.y0));
  const y1 = Math.max(...row.map((c) => c.y1));
  const gapMax = GROUP_GAP * (y1 - y0 + 1);
  const groups: { comps: Component[]; mass: number }[] = [];
  let right = Number.NEGATIVE_INFINITY;
  for (const c of byX) {
    const last = groups[groups.length - 1];
    if (!last || c.x0 - right > gapMax) groups.push({ comps: [c], mass: c.mass });
    else {
      last.comps.push(c);
      last.mass += c.mass;
    }
    right = Math.max(right, c.x1);
  }
  const heaviest = Math.max(...groups.map((g) => g.mass));
  return groups.filter((g) => g.mass >= 0.3 * heaviest).flatMap((g) => g.comps);
}
