import type { Component } from './components.js';
import { median } from './filters.js';
import { dropLabel, isPrinted } from './labels.js';

/** The components that make up the line to read, and their box (inclusive, working pixels). */
export interface Band {
  keep: Set<number>;
  /** A printed label was found left of the writing and dropped. */
  labelRemoved: boolean;
  /** The heaviest other row's weight over this one's (0 when it was the only row): how clearly it is the field. */
  rival: number;
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** Components lighter than this share of the heaviest are marks, not letters. */
export const LETTER_MASS = 0.08;
/** Letters cut by the top or bottom edge and shorter than this share of the height belong to a neighbouring line. */
const EDGE_FRAGMENT_HEIGHT = 0.5;
/**
 * A band whose largest piece of ink is smaller than this (working pixels) is specks, not writing: dust, grit,
 * salt-and-pepper noise (a 3x3 speck is 9 pixels, turned by a deskew about 14). The smallest largest piece of
 * the 828 real dev images is 40 pixels, of the line generator's lines 26, a lone 12x3 hyphen 36. In an image
 * under 34 px high less (`minLetterArea`): there a letter is a few pixels, a 1 in an 8-px line about 6.
 */
const MIN_LETTER_AREA = 20;
const MIN_LETTER_AREA_PER_ROW = 0.6;

/** The least area of a letter's piece of ink in an image `height` working pixels high (see MIN_LETTER_AREA). */
export function minLetterArea(height: number): number {
  return Math.min(MIN_LETTER_AREA, MIN_LETTER_AREA_PER_ROW * height);
}
/** A horizontal gap wider than this many band heights separates the line from a stray group. */
const GROUP_GAP = 2.5;

/** A box side spans this share of the ink's height, and this many median letter heights (beside one row). */
const BOX_SIDE_SPAN = 0.8;
const BOX_SIDE_LENGTH = 1.8;
const BOX_SIDE_LENGTH_ONE_ROW = 2.5;
/** The image's own edges only. */
const NO_CUTS = { top: -1, bottom: -1 };
/** Letters that must share the extreme row of the ink for it to count as a straight cut. */
const MIN_CUT_LETTERS = 3;
/** Letters on a cut are cut short: at most this share of the height of the other letters (medians). */
const CUT_SHORTNESS = 0.7;

const h = (c: Component) => c.y1 - c.y0 + 1;
const cy = (c: Component) => (c.y0 + c.y1) / 2;

/**
 * Picks the text band: letters are grouped into rows of vertically overlapping boxes; the row with the most
 * ink wins, favouring the middle of the crop and discounting letters cut by the top or bottom edge (the
 * neighbouring lines of a form). Stray groups far to the side and specks away from the band are dropped;
 * small marks inside it (dots, commas, i-dots, hyphens) are kept. `edgesInside`: the field may also have been
 * cut out and laid on more paper, so a straight cut through letters or a box side inside the image counts
 * like the image's edge.
 */
export function selectBand(
  comps: Component[],
  width: number,
  height: number,
  opts: { removeLabels: boolean; edgesInside: boolean },
): Band | undefined {
  // Leftovers of form lines the line remover could not take (thick, broken or textured) are not writing.
  comps = comps.filter((c) => !isLineLike(c, width, height));
  if (opts.edgesInside) comps = withoutBoxSides(comps);
  if (comps.length === 0) return undefined;
  const heaviest = comps.reduce((m, c) => Math.max(m, c.mass), 0);
  const heavy = comps.filter((c) => c.mass >= LETTER_MASS * heaviest);
  const cuts = opts.edgesInside ? straightCuts(heavy) : NO_CUTS;
  const cut = (c: Component) => isEdgeFragment(c, height) || isCutFragment(c, cuts, height);
  const { row: best, unlabelled, rival } = pickRow(textRows(heavy, cut), comps, height, opts, cut);
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
  const kept = comps.filter((c) => keep.has(c.id));
  for (const c of kept) {
    y0 = Math.min(y0, c.y0);
    y1 = Math.max(y1, c.y1);
    x0 = Math.min(x0, c.x0);
    x1 = Math.max(x1, c.x1);
  }
  // Specks however they line up are no writing: a letter-sized piece of ink is.
  const least = minLetterArea(height);
  if (!kept.some((c) => c.area >= least)) return undefined;
  return { keep, labelRemoved: dropped.size > 0, rival, x0, y0, x1, y1 };
}

/** Letters cut by the top or bottom edge and short: part of a neighbouring line of the form. */
function isEdgeFragment(c: Component, height: number): boolean {
  return (c.y0 === 0 || c.y1 === height - 1) && h(c) < EDGE_FRAGMENT_HEIGHT * height;
}

/**
 * Where the ink ends in a straight cut away from the image's edges: a form cut out with scissors or a crop
 * tool, then scanned, pasted or padded onto more paper. Several letters end on exactly the same extreme row
 * and are shorter than the rest (a neat baseline of whole letters is as tall as the writing). -1: no cut.
 */
function straightCuts(letters: Component[]): { top: number; bottom: number } {
  const cutAt = (edge: (c: Component) => number, extreme: number) => {
    const on = letters.filter((c) => edge(c) === extreme);
    const rest = letters.filter((c) => edge(c) !== extreme);
    const short = rest.length > 0 && median(on.map(h)) < CUT_SHORTNESS * median(rest.map(h));
    return on.length >= MIN_CUT_LETTERS && short ? extreme : -1;
  };
  return {
    top: cutAt((c) => c.y0, Math.min(...letters.map((c) => c.y0))),
    bottom: cutAt((c) => c.y1, Math.max(...letters.map((c) => c.y1))),
  };
}

/** Short letters on a straight cut: what was left of a neighbouring line when the field was cut out. */
function isCutFragment(c: Component, cuts: { top: number; bottom: number }, height: number): boolean {
  return (c.y0 === cuts.top || c.y1 === cuts.bottom) && h(c) < EDGE_FRAGMENT_HEIGHT * height;
}

/**
 * Rows of letters. Edge fragments must not chain rows together: whole letters make the rows, and a fragment
 * joins the row it overlaps by half its height or forms rows with the other fragments.
 */
function textRows(letters: Component[], cut: (c: Component) => boolean): Component[][] {
  const rows = unionRows(letters.filter((c) => !cut(c)));
  const leftover: Component[] = [];
  for (const c of letters.filter(cut)) {
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
  return [...rows, ...unionRows(leftover)];
}

/**
 * The row with the most ink, favouring the middle of the crop; edge fragments count a quarter and rows of
 * print 0.15. Each row is scored without its label ("PRENOM :" must not make a row of print out of the name
 * beside it); returns the row, the row without its label, and the heaviest other row's weight (its score
 * without the pull to the middle) over its own.
 */
function pickRow(
  rows: Component[][],
  all: Component[],
  height: number,
  { removeLabels, edgesInside }: { removeLabels: boolean; edgesInside: boolean },
  cut: (c: Component) => boolean,
): { row: Component[]; unlabelled: Component[]; rival: number } {
  let best = { row: rows[0], unlabelled: rows[0] };
  let bestScore = -1;
  // The rival is weighed without the pull to the middle: a note's lines are alike wherever they lie.
  const weights: number[] = [];
  let bestWeight = 0;
  for (const row of rows) {
    // A real field (edgesInside, off in the line generator) gets dropLabel's rules for scans.
    const rest = removeLabels ? dropLabel(row, height, all, edgesInside) : row;
    let mass = 0;
    let y0 = height;
    let y1 = 0;
    for (const c of rest) {
      mass += cut(c) ? 0.25 * c.mass : c.mass;
      y0 = Math.min(y0, c.y0);
      y1 = Math.max(y1, c.y1);
    }
    const centre = (y0 + y1) / 2;
    const print = removeLabels && isPrinted(rest, height) ? 0.15 : 1;
    // A row with a label ("NOM :") beside its writing is a field of the form: the one the crop is about.
    const field = rest.length < row.length ? 4 : 1;
    const weight = field * print * mass;
    const score = weight * (1 - (0.6 * Math.abs(centre - height / 2)) / (height / 2));
    weights.push(weight);
    if (score > bestScore) {
      bestScore = score;
      bestWeight = weight;
      best = { row, unlabelled: rest };
    }
  }
  // The heaviest other row against the one kept (each row's weight once: the kept row's is removed once).
  weights.splice(weights.indexOf(bestWeight), 1);
  const rival = bestWeight > 0 && weights.length > 0 ? Math.max(...weights) / bestWeight : 0;
  return { ...best, rival };
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

/** Long and flat: a stretch of ruled line, not a letter or a word. */
function isLineLike(c: Component, width: number, height: number): boolean {
  const w = c.x1 - c.x0 + 1;
  return w >= 0.5 * width && w >= 8 * h(c) && h(c) <= 0.2 * height;
}

/**
 * Without the sides of boxes that did not cross the whole image (so the rule remover kept them): a pen's width
 * wide, as tall as the letters' ink together, and much taller than the median letter: 1.8 times beside two or
 * more rows of the other letters, 2.5 times beside one (a word's l is about twice its x-height, a 1 as tall as
 * its amount).
 */
function withoutBoxSides(comps: Component[]): Component[] {
  if (comps.length === 0) return comps;
  const heaviest = comps.reduce((m, c) => Math.max(m, c.mass), 0);
  const letters = comps.filter((c) => c.mass >= LETTER_MASS * heaviest);
  const inkH = Math.max(...letters.map((c) => c.y1)) - Math.min(...letters.map((c) => c.y0)) + 1;
  const letterH = median(letters.map(h));
  const upright = (c: Component, length: number) =>
    h(c) >= 8 * (c.x1 - c.x0 + 1) && h(c) >= BOX_SIDE_SPAN * inkH && h(c) >= length * letterH;
  const rows = unionRows(letters.filter((c) => !upright(c, BOX_SIDE_LENGTH)));
  const rowsBeside = (c: Component) =>
    rows.filter((row) => row.some((r) => r.y0 <= c.y1 && r.y1 >= c.y0)).length;
  const isSide = (c: Component) => upright(c, rowsBeside(c) >= 2 ? BOX_SIDE_LENGTH : BOX_SIDE_LENGTH_ONE_ROW);
  return comps.filter((c) => !isSide(c));
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
