import type { Component } from './components.js';

/** The components that make up the line to read, and their box (inclusive, working pixels). */
export interface Band {
  keep: Set<number>;
  /** A printed label was found left of the writing and dropped. */
  labelRemoved: boolean;
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
/** Steepest printed line still taken for flat (pixels per pixel, about 3 degrees). */
const MAX_SKEW = 0.05;
const MIN_SKEW_LETTERS = 8;

const h = (c: Component) => c.y1 - c.y0 + 1;
const cy = (c: Component) => (c.y0 + c.y1) / 2;

/**
 * Picks the text band: letters are grouped into rows of vertically overlapping boxes; the row with the most
 * ink wins, favouring the middle of the crop and discounting letters cut by the top or bottom edge (the
 * neighbouring lines of a form). Stray groups far to the side and specks away from the band are dropped;
 * small marks inside it (dots, commas, i-dots, hyphens) are kept.
 */
export function selectBand(
  comps: Component[],
  width: number,
  height: number,
  removeLabels = true,
): Band | undefined {
  // Leftovers of form lines the line remover could not take (thick, broken or textured) are not writing.
  comps = comps.filter((c) => !isLineLike(c, width, height));
  if (comps.length === 0) return undefined;
  const heaviest = comps.reduce((m, c) => Math.max(m, c.mass), 0);
  const heavy = comps.filter((c) => c.mass >= LETTER_MASS * heaviest);
  // Letters cut by the top or bottom edge belong to neighbouring lines: they must not chain rows together.
  const cut = (c: Component) => (c.y0 === 0 || c.y1 === height - 1) && h(c) < EDGE_FRAGMENT_HEIGHT * height;
  const rows = unionRows(heavy.filter((c) => !cut(c)));
  const leftover: Component[] = [];
  for (const c of heavy.filter(cut)) {
    let into: Component[] | undefined;
    let most = 0;
    for (const row of rows) {
      const y0 = Math.min(...row.map((r) => r.y0));
      const y1 = Math.max(...row.map((r) => r.y1));
      const overlap = Math.min(y1, c.y1) - Math.max(y0, c.y0) + 1;
      if (overlap > most) {
        most = overlap;
        into = row;
      }
    }
    if (into && most >= 0.5 * h(c)) into.push(c);
    else leftover.push(c);
  }
  rows.push(...unionRows(leftover));
  let best: Component[] = rows[0];
  let unlabelled: Component[] = rows[0];
  let bestScore = -1;
  for (const row of rows) {
    // Scored without its label: "PRENOM :" must not make a row of print out of the name beside it.
    const rest = removeLabels ? dropLabel(row, height, comps) : row;
    let mass = 0;
    let y0 = height;
    let y1 = 0;
    for (const c of rest) {
      mass += cut(c) ? 0.25 * c.mass : c.mass;
      y0 = Math.min(y0, c.y0);
      y1 = Math.max(y1, c.y1);
    }
    const centre = (y0 + y1) / 2;
    // A row of print alone (a label above or below the field) is not what was written.
    const print = removeLabels && isPrinted(rest, height) ? 0.15 : 1;
    const score = print * mass * (1 - (0.6 * Math.abs(centre - height / 2)) / (height / 2));
    if (score > bestScore) {
      bestScore = score;
      best = row;
      unlabelled = rest;
    }
  }
  const dropped = new Set(best.filter((c) => !unlabelled.includes(c)).map((c) => c.id));
  const row = groupAlong(unlabelled);
  // Marks between a dropped label and the writing (its colon) go with the label.
  let leftLimit = Number.NEGATIVE_INFINITY;
  if (dropped.size > 0) {
    const labelEnd = Math.max(...best.filter((c) => dropped.has(c.id)).map((c) => c.x1));
    const writingStart = Math.min(...unlabelled.map((c) => c.x0));
    leftLimit = labelEnd + 0.6 * (writingStart - labelEnd);
  }
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
    if (keep.has(c.id) || dropped.has(c.id) || c.x0 < leftLimit) continue;
    // Specks on the border are scan edges; a letter merged with a neighbour line's fragment still counts.
    const touches = c.x0 === 0 || c.y0 === 0 || c.x1 === width - 1 || c.y1 === height - 1;
    if (touches && !(c.mass >= LETTER_MASS * heaviest && cy(c) >= y0 && cy(c) <= y1)) continue;
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
  return { keep, labelRemoved: dropped.size > 0, x0, y0, x1, y1 };
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

/**
 * Print is flat and tight: three or more letters whose tops and bottoms line up to a pixel or two. Handwriting wobbles
 * more than that. Marks (colons, dots) and fragments cut by the crop's edges are not counted.
 */
export function isPrinted(comps: Component[], height: number): boolean {
  return printedLine(comps, height, 3) !== undefined;
}

/** The top and bottom rows of a printed line of at least `minUnits` letters, or undefined. */
function printedLine(
  comps: Component[],
  height: number,
  minUnits: number,
): { top: number; bottom: number } | undefined {
  const cands = comps.filter((c) => c.x0 > 0 && c.y0 > 0 && c.y1 < height - 1 && h(c) >= 5);
  if (cands.length === 0) return undefined;
  const top = skewedLine(cands, (c) => c.y0);
  const bottom = skewedLine(cands, (c) => c.y1);
  // Print sits on its line to the pixel (JPEG blur allows one); two handwritten digits can come within two.
  const tol = 1;
  const aligned = cands.filter(
    (c) => Math.abs(top.residual(c)) <= tol && Math.abs(bottom.residual(c)) <= tol,
  );
  // Bold print merges letters ("NOM" -> N + OM): a blob as wide as two letters counts as two.
  const units = (cs: Component[]) =>
    cs.reduce((n, c) => n + Math.max(1, Math.floor((c.x1 - c.x0 + 1) / (0.75 * h(c)))), 0);
  const n = units(aligned);
  // One letter may be off (merged with a fragment at the edge of the crop).
  // Marks left of the first aligned letter are margin (rotated reference numbers at the crop's edge).
  const from = Math.min(...aligned.map((c) => c.x0));
  if (n < minUnits || n < 0.6 * units(cands.filter((c) => c.x0 >= from))) return undefined;
  const byX = [...aligned].sort((p, q) => p.x0 - q.x0);
  const letterH = bottom.at(byX[0]) - top.at(byX[0]) + 1;
  // Print is set tight (word spaces aside); letters written in boxes are spaced a letter apart.
  let loose = 0;
  for (let i = 1; i < byX.length; i++) if (byX[i].x0 - byX[i - 1].x1 > 0.5 * letterH) loose++;
  if (loose > 0.3 * (byX.length - 1)) return undefined;
  const last = byX[byX.length - 1];
  return { top: Math.round(top.at(last)), bottom: Math.round(bottom.at(last)) };
}

/**
 * A straight line through one edge (top or bottom) of the components, robust to outliers (Theil-Sen: the
 * median slope over all pairs, capped to a slight skew), so a printed line on a slightly rotated scan still
 * counts as flat.
 */
function skewedLine(cs: Component[], edge: (c: Component) => number) {
  const cx = (c: Component) => (c.x0 + c.x1) / 2;
  const median = (v: number[]) => {
    const s = [...v].sort((p, q) => p - q);
    const m = s.length >> 1;
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
  };
  const slopes: number[] = [];
  for (let i = 0; i < cs.length; i++)
    for (let j = i + 1; j < cs.length; j++)
      if (cx(cs[j]) !== cx(cs[i])) slopes.push((edge(cs[j]) - edge(cs[i])) / (cx(cs[j]) - cx(cs[i])));
  // A short label spans too few pixels for skew to matter, and too few letters to measure it.
  const slope = cs.length >= MIN_SKEW_LETTERS ? Math.max(-MAX_SKEW, Math.min(MAX_SKEW, median(slopes))) : 0;
  const intercept = median(cs.map((c) => edge(c) - slope * cx(c)));
  const at = (c: Component) => intercept + slope * cx(c);
  return { at, residual: (c: Component) => edge(c) - at(c) };
}

/** A colon between x0 and x1: two small marks one above the other, within the label's rows. */
function hasColon(all: Component[], x0: number, x1: number, top: number, bottom: number): boolean {
  const size = 0.4 * (bottom - top + 1);
  const dots = all.filter(
    (c) =>
      c.x0 > x0 &&
      c.x1 < x1 &&
      c.y0 >= top - 1 &&
      c.y1 <= bottom + 1 &&
      c.x1 - c.x0 + 1 <= size &&
      h(c) <= size,
  );
  return dots.some((a) => dots.some((b) => a.y1 < b.y0 && a.x0 <= b.x1 && b.x0 <= a.x1));
}

/**
 * A printed label left of the writing ("PRENOM :   KELLY"): the widest gap whose left side is print and at
 * least 1.5 letter heights wide (handwritten amounts leave up to about one after a separator), with writing
 * on the right. Returns the row without the label.
 */
export function dropLabel(row: Component[], height: number, all: Component[] = row): Component[] {
  const byX = [...row].sort((a, b) => a.x0 - b.x0);
  const total = row.reduce((m, c) => m + c.mass, 0);
  let bestSplit = -1;
  let bestGap = 0;
  let right = Number.NEGATIVE_INFINITY;
  let massLeft = 0;
  for (let i = 0; i < byX.length; i++) {
    const c = byX[i];
    if (i > 0) {
      const gap = c.x0 - right;
      const left = byX.slice(0, i);
      // Median, not max: a fragment of rotated text at the crop's edge is taller than the label.
      const hs = left.map(h).sort((p, q) => p - q);
      const letterH = hs[hs.length >> 1];
      if (
        gap >= 1.5 * letterH &&
        gap > bestGap &&
        total - massLeft >= 0.2 * total &&
        isLabel(left, height, all, c.x0)
      ) {
        bestGap = gap;
        bestSplit = i;
      }
    }
    right = Math.max(right, c.x1);
    massLeft += c.mass;
  }
  return bestSplit < 0 ? row : byX.slice(bestSplit);
}

/**
 * Two or more printed letters followed by a colon. The colon is required: without it, neat synthetic (and some
 * real) handwriting, whose glyphs share a top and a baseline, passed for print ("YVONNE | BOURGEOIS").
 */
function isLabel(left: Component[], height: number, all: Component[], writingX: number): boolean {
  const line = printedLine(left, height, 2);
  if (!line) return false;
  // The colon may be part of `left` (heavy enough to count as a letter) or lighter and outside it.
  const start = Math.min(...left.map((c) => c.x0));
  return hasColon(all, start, writingX, line.top, line.bottom);
}

/** Long and flat: a stretch of ruled line, not a letter or a word. */
function isLineLike(c: Component, width: number, height: number): boolean {
  const w = c.x1 - c.x0 + 1;
  return w >= 0.5 * width && w >= 8 * h(c) && h(c) <= 0.2 * height;
}

/** Rows of letters: the union of their overlapping vertical intervals. */
function unionRows(letters: Component[]): Component[][] {
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
  return rows;
}
