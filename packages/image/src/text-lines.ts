import { HcrError } from '@hcr/core';
import { type Box, enclosing, partition, textColumns } from './columns.js';
import type { Component } from './components.js';
import { validateImage } from './grey.js';
import type { Polarity } from './ink.js';
import { type InkPlane, type InkPlaneOptions, inkPlane, MIN_COMPONENT_AREA, turnPlane } from './ink-plane.js';
import { leaningAngle, turnedSize } from './skew.js';
import type { GreyImage } from './types.js';

/** One line of writing found on a page, in the page's pixels. */
export interface TextLineBox {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** The lines found, in reading order, and the page's polarity (read each crop with it). */
export interface TextLines {
  /** In the page's pixels; when `skew` is not 0, in the pixels of the page turned flat (`rotateGrey` by -skew). */
  lines: TextLineBox[];
  polarity: Polarity;
  /** Degrees the page's lines lean (positive: falling to the right); 0 when they lie flat, as found. */
  skew: number;
}

export interface FindTextLinesOptions {
  /** Force the polarity instead of detecting it. */
  polarity?: 'dark-on-light' | 'light-on-dark';
  /** More lines than this is an error (TOO_MANY_LINES). Default MAX_TEXT_LINES. */
  maxLines?: number;
  /** Find the lines of a page that leans 2-15 degrees on the page turned flat. Default true. */
  deskew?: boolean;
  /**
   * Read a page of side-by-side columns column by column (each top to bottom, left to right). Default true;
   * false reads each row of the page as one line, across every column.
   */
  columns?: boolean;
}

/** Lines per image `findTextLines` accepts by default: a handwritten page holds 20-30. */
export const MAX_TEXT_LINES = 64;
/** Pages higher than this are segmented on a copy shrunk to it (lines stay 10+ px high on a full page). */
const PAGE_WORK_HEIGHT = 640;
/**
 * Letters lower than this on the shrunk copy (a field photographed on a whole sheet, small writing on a large
 * page) are found again on a finer copy where they are about FINE_LETTER px high: at 5-7 px a thin pen's strokes
 * fade into the paper and the rows' profile has no valleys.
 */
const MIN_WORK_LETTER = 8;
const FINE_LETTER = 16;
/** Components lower than this (working pixels) are streaks, not letters, for finding rows. */
const MIN_LETTER_ROWS = 5;
/** A valley splits two touching lines when its ink is below this share of the lower of the two peaks. */
const VALLEY_DEPTH = 0.4;
/** Bands lower than this share of a letter's height (a row of i-dots, accents, an underline) join a neighbour. */
const MIN_LINE_HEIGHT = 0.45;
/** A mark (accent, dot) is lower than this share of a letter's height and lighter than MARK_MASS of its ink. */
const MARK_HEIGHT = 0.7;
const MARK_MASS = 0.35;
/** Writing whose letters are under this share of the page's letters' height is looked for as lines of its own. */
const SMALLER_WRITING = 0.6;
/** A line of such smaller writing holds at least this many letters. */
const SMALL_LINE_LETTERS = 3;

/**
 * The lines of writing on a page, note or multi-line field, in reading order: the rows of its ink, split where a
 * row is blank or, for lines that touch (a descender reaching the next line's capitals), at a deep valley of
 * the ink profile. Each box holds the components whose middle lies in its band, so a long descender stays with
 * its letter. Columns side by side (a blank gutter down the page, rows that do not line up across it) are read
 * one after another, each top to bottom (`textColumns`); rows that line up across a gap (a table, a form of label
 * and value) are read whole. Feed each box's crop to `preprocessLine` with the polarity found. No lines when
 * there is no writing. Deterministic.
 */
export function findTextLines(img: GreyImage, opts: FindTextLinesOptions = {}): TextLines {
  validateImage(img);
  const maxLines = opts.maxLines ?? MAX_TEXT_LINES;
  // Ruled paper and form boxes: lines far longer than any word part, a few pixels thick.
  const rules = (width: number, height: number) => ({
    minHorizontal: Math.max(24, Math.round(0.35 * width)),
    minVertical: Math.max(16, Math.round(0.5 * height)),
    maxThickness: Math.max(3, Math.round(height / 120)),
  });
  const { page, asLies } = pagePlane(img, opts.polarity, rules);
  const useColumns = opts.columns ?? true;
  // Letters and columns as the page lies: the columns tell where to measure its lean, and a level page keeps both.
  const columnsAsLies =
    asLies && useColumns
      ? textColumns(asLies.letters, asLies.letterHeight, rowFinder(page, asLies.letterHeight))
      : undefined;
  // A page photographed askew: its lines would overlap in the rows' profile. Found on the page turned flat.
  const skew = (opts.deskew ?? true) ? pageSkew(page, columnsAsLies) : 0;
  const plane = skew ? turnPlane(page, -skew, rules) : page;
  const { w, f, polarity } = plane;
  const size = turnedSize(img.width, img.height, -skew);
  const found = skew ? findLetters(plane.comps, w) : asLies;
  if (!found) return { lines: [], polarity, skew: 0 };
  const { comps, letters, letterHeight } = found;
  const linesOf = (rowLetters: Component[], rowComps: Component[]): Line[] =>
    assign(rowComps, bandsOf(plane, rowLetters, letterHeight), letterHeight).map((b) => ({
      ...b,
      letterHeight,
    }));
  const columns = !useColumns
    ? [letters]
    : skew
      ? textColumns(letters, letterHeight, rowFinder(plane, letterHeight))
      : columnsAsLies!;
  const perColumn =
    columns.length === 1
      ? [linesOf(letters, comps)]
      : partition(comps, columns).map((near, i) => linesOf(columns[i]!, near));
  const lines = withSmallerWriting(perColumn, smallerLines(plane, found, perColumn.flat()));
  if (lines.length > maxLines)
    throw new HcrError(
      'TOO_MANY_LINES',
      `The image holds ${lines.length} lines of writing, more than the ${maxLines} read at once.`,
      { hint: 'Send the page in parts (a few paragraphs each), or one field per image.' },
    );
  // Some background around each line (by the size of its own letters): its crop is preprocessed alone, and needs
  // paper to tell ink from.
  const boxes = lines.map((b) => {
    const padX = 0.5 * b.letterHeight;
    const padY = 0.25 * b.letterHeight;
    const x0 = Math.max(0, Math.floor((b.x0 - padX) * f));
    const y0 = Math.max(0, Math.floor((b.y0 - padY) * f));
    const x1 = Math.min(size.width, Math.ceil((b.x1 + 1 + padX) * f));
    const y1 = Math.min(size.height, Math.ceil((b.y1 + 1 + padY) * f));
    return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
  });
  return { lines: boxes, polarity, skew: boxes.length ? skew : 0 };
}

/** A line found, inclusive working pixels, with the height of its letters. */
interface Line extends Box {
  letterHeight: number;
}

/**
 * Lines of writing smaller than the page's (an amount under a large heading, a small note beside a form's large
 * fields): the ink outside the page's lines, its letters found again at their own size.
 * Only writing under SMALLER_WRITING of the page's letters, and lines of SMALL_LINE_LETTERS letters or more not
 * cut by the image's edge: dots, specks, a cheque's texture and the stubs of a form's next line are left out.
 */
function smallerLines(plane: Plane, found: Letters, lines: readonly Line[]): Line[] {
  // The page's letters outside its lines too: a small line's largest letters pass for the page's, but their band
  // is too low to be one of its lines.
  const rest = found.comps.filter((c) => !lines.some((b) => holds(b, c)));
  const small = findLetters(rest, plane.w);
  if (!small || small.letterHeight >= SMALLER_WRITING * found.letterHeight) return [];
  const { letters, letterHeight } = small;
  return assign(rest, bandsOf(plane, letters, letterHeight), letterHeight)
    .filter((b) => letters.filter((c) => holds(b, c) && whole(plane, c)).length >= SMALL_LINE_LETTERS)
    .map((b) => ({ ...b, letterHeight }));
}

/** Not cut by the image's edge: the stubs of a form's neighbouring line are no evidence of a line or column. */
function whole(plane: Plane, c: Component): boolean {
  return c.x0 > 0 && c.y0 > 0 && c.x1 < plane.w - 1 && c.y1 < plane.h - 1;
}

/** Whether a component's middle lies in a box (inclusive working pixels). */
function holds(b: Box, c: Component): boolean {
  const mx = (c.x0 + c.x1) / 2;
  const my = (c.y0 + c.y1) / 2;
  return mx >= b.x0 && mx <= b.x1 && my >= b.y0 && my <= b.y1;
}

/**
 * Smaller lines put among the page's, in reading order: each into the column nearest it (by the box around the
 * column's lines), every column then top to bottom.
 */
function withSmallerWriting(perColumn: Line[][], smaller: Line[]): Line[] {
  if (smaller.length === 0) return perColumn.flat();
  const near = partition(smaller, perColumn);
  return perColumn.flatMap((ls, i) => [...ls, ...near[i]!].sort((a, b) => a.y0 - b.y0 || a.x0 - b.x0));
}

/**
 * The page's ink at a working scale where its letters have strokes: shrunk to PAGE_WORK_HEIGHT, unless the letters
 * found there are lower than MIN_WORK_LETTER (or none are found on a shrunk page), then at the scale that makes them
 * FINE_LETTER px high (at most the image's own), with the polarity found on the shrunk copy.
 */
function pagePlane(img: GreyImage, polarity: Polarity | undefined, rules: InkPlaneOptions['rules']) {
  const coarse = inkPlane(img, {
    maxHeight: PAGE_WORK_HEIGHT,
    polarity,
    polarityByStrokes: true,
    sparseInk: true,
    rules,
  });
  const found = findLetters(coarse.comps, coarse.w);
  if (coarse.f === 1 || (found && found.letterHeight >= MIN_WORK_LETTER))
    return { page: coarse, asLies: found };
  const wanted = found ? Math.ceil((coarse.h * FINE_LETTER) / found.letterHeight) : img.height;
  const page = inkPlane(img, {
    maxHeight: Math.min(img.height, wanted),
    polarity: coarse.polarity,
    polarityByStrokes: true,
    rules,
  });
  return { page, asLies: findLetters(page.comps, page.w) };
}

interface Letters {
  comps: Component[];
  letters: Component[];
  letterHeight: number;
}

/**
 * The components that may be writing (no specks, no rulings), those of them shaped and weighted like letters
 * (rows come from these alone: dots and a cheque's fine guilloche lines must not make rows), and a letter's
 * typical height; undefined when there are none.
 */

function findLetters(all: Component[], w: number): Letters | undefined {
  const comps = all.filter((c) => c.area >= MIN_COMPONENT_AREA && !isRuleLike(c, w));
  // Thin streaks (a cheque's guilloche, paper texture, scratches) are no letters, however much ink they hold.
  const shaped = comps.filter(
    (c) => c.y1 - c.y0 + 1 >= MIN_LETTER_ROWS && c.x1 - c.x0 + 1 <= 10 * (c.y1 - c.y0 + 1),
  );
  if (shaped.length === 0) return undefined;
  const { letterHeight, letterMass } = typicalLetter(shaped);
  const letters = shaped.filter((c) => c.mass >= 0.1 * letterMass && c.y1 - c.y0 + 1 >= 0.3 * letterHeight);
  return { comps, letters, letterHeight };
}

/**
 * The page's lean, measured on its ink; for a page of columns (as found on it as it lies), on its column with the
 * most letters alone: rows of two columns that do not line up would otherwise look like one leaning row.
 */
function pageSkew(page: InkPlane, columns: Component[][] | undefined): number {
  if (!columns || columns.length < 2) return leaningAngle(page.ink, page.w, page.h);
  const fullest = columns.reduce((a, b) => (b.length > a.length ? b : a));
  const { x0, y0, x1, y1 } = enclosing(fullest);
  const cw = x1 - x0 + 1;
  const ch = y1 - y0 + 1;
  const ink = new Float32Array(cw * ch);
  for (let y = 0; y < ch; y++)
    ink.set(page.ink.subarray((y0 + y) * page.w + x0, (y0 + y) * page.w + x1 + 1), y * cw);
  return leaningAngle(ink, cw, ch);
}

type Plane = Pick<InkPlane, 'w' | 'h' | 'ink' | 'labels'>;

/**
 * The bands of rows where the lines of these letters lie: blank rows part them, and deep valleys (splitTouching);
 * a band of accents or dots over a line is part of it (withMarksJoined).
 */
function bandsOf(plane: Plane, letters: Component[], letterHeight: number): Band[] {
  const rows = profile(letters, plane.ink, plane.labels, plane.w, plane.h);
  return withMarksJoined(splitTouching(inkBands(rows, letterHeight), letterHeight), letters, letterHeight);
}

/**
 * A band holding only marks (each lower than MARK_HEIGHT of a letter and lighter than MARK_MASS of one: an accent,
 * a dot, an umlaut) that each sit just over or under a letter of the band beside it (horizontally over it, at most
 * half a letter's height away) joins that band: the accent of a capital É in "LÉO" is high enough to be a band of
 * its own, and was read as a line.
 */
function withMarksJoined(bands: Band[], letters: Component[], letterHeight: number): Band[] {
  if (bands.length < 2) return bands;
  const masses = letters.map((c) => c.mass).sort((a, b) => a - b);
  const letterMass = masses[masses.length >> 1]!;
  const isMark = (c: Component) =>
    c.y1 - c.y0 + 1 < MARK_HEIGHT * letterHeight && c.mass < MARK_MASS * letterMass;
  const inBand = (b: Band, c: Component) => (c.y0 + c.y1) / 2 >= b.y0 && (c.y0 + c.y1) / 2 <= b.y1;
  const slack = 0.25 * letterHeight;
  // How far a mark is from the nearest letter of a band it sits over or under (Infinity: over none).
  const gapTo = (mark: Component, b: Band) => {
    let best = Infinity;
    for (const c of letters) {
      if (!inBand(b, c) || isMark(c) || mark.x1 < c.x0 - slack || mark.x0 > c.x1 + slack) continue;
      best = Math.min(best, mark.y1 < c.y0 ? c.y0 - mark.y1 : mark.y0 > c.y1 ? mark.y0 - c.y1 : 0);
    }
    return best;
  };
  const out = bands.map((b) => ({ ...b }));
  for (let i = 0; i < out.length; i++) {
    const marks = letters.filter((c) => inBand(out[i]!, c));
    if (marks.length === 0 || !marks.every(isMark)) continue;
    const joins = [i - 1, i + 1]
      .filter((j) => j >= 0 && j < out.length)
      .map((j) => ({ j, gap: Math.max(...marks.map((m) => gapTo(m, out[j]!))) }))
      .filter((n) => n.gap <= 0.5 * letterHeight)
      .sort((a, b) => a.gap - b.gap)[0];
    if (!joins) continue;
    const into = out[joins.j]!;
    into.y0 = Math.min(into.y0, out[i]!.y0);
    into.y1 = Math.max(into.y1, out[i]!.y1);
    out.splice(i, 1);
    i--;
  }
  return out;
}

/**
 * The rows of writing a group of letters holds, for finding columns: its bands as high as a line, found without
 * the letters cut by the image's edge (the stubs of a form's neighbouring line are no evidence of a column).
 */
function rowFinder(plane: Plane, letterHeight: number) {
  return (set: Component[]): Band[] =>
    bandsOf(
      plane,
      set.filter((c) => whole(plane, c)),
      letterHeight,
    ).filter((b) => b.y1 - b.y0 + 1 >= MIN_LINE_HEIGHT * letterHeight);
}

/** A ruling or underline the rule remover left (broken, textured): far wider than high. */
function isRuleLike(c: Component, width: number): boolean {
  const cw = c.x1 - c.x0 + 1;
  const ch = c.y1 - c.y0 + 1;
  return cw >= 0.35 * width && cw >= 12 * ch;
}

/** Median height and mass of the components that hold most of the ink (letters and words, not dots and specks). */
function typicalLetter(comps: Component[]): { letterHeight: number; letterMass: number } {
  const byMass = [...comps].sort((a, b) => b.mass - a.mass);
  const total = byMass.reduce((s, c) => s + c.mass, 0);
  const heavy: number[] = [];
  let acc = 0;
  for (const c of byMass) {
    heavy.push(c.y1 - c.y0 + 1);
    acc += c.mass;
    if (acc >= 0.8 * total) break;
  }
  const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1]!;
  return {
    letterHeight: median(heavy),
    letterMass: median(byMass.slice(0, heavy.length).map((c) => c.mass)),
  };
}

/** Ink per row, counting only the kept components. */
function profile(comps: Component[], ink: Float32Array, labels: Int32Array, w: number, h: number) {
  let top = 0;
  for (const c of comps) top = Math.max(top, c.id);
  const kept = new Uint8Array(top + 1);
  for (const c of comps) kept[c.id] = 1;
  const rows = new Float64Array(h);
  for (let y = 0; y < h; y++) {
    let s = 0;
    for (let x = 0, p = y * w; x < w; x++, p++) if (kept[labels[p]!]) s += ink[p]!;
    rows[y] = s;
  }
  return rows;
}

interface Band {
  y0: number;
  y1: number;
}

/** Runs of rows with ink, the profile smoothed over a sixth of a letter's height. */
function inkBands(rows: Float64Array, letterHeight: number): { bands: Band[]; smooth: Float64Array } {
  const r = Math.max(1, Math.round(letterHeight / 6));
  const n = rows.length;
  const smooth = new Float64Array(n);
  for (let y = 0; y < n; y++) {
    let s = 0;
    for (let k = Math.max(0, y - r); k <= Math.min(n - 1, y + r); k++) s += rows[k]!;
    smooth[y] = s / (2 * r + 1);
  }
  const bands: Band[] = [];
  for (let y = 0; y < n; y++) {
    if (rows[y] === 0) continue;
    const y0 = y;
    while (y + 1 < n && rows[y + 1]! > 0) y++;
    bands.push({ y0, y1: y });
  }
  return { bands, smooth };
}

/**
 * Bands taller than two letters may be lines that touch: split each at its deepest valley while that valley
 * is deep (under VALLEY_DEPTH of the lower peak beside it) and leaves a letter's height on both sides.
 */
function splitTouching({ bands, smooth }: { bands: Band[]; smooth: Float64Array }, letterHeight: number) {
  const out: Band[] = [];
  const todo = [...bands];
  while (todo.length) {
    const b = todo.shift()!;
    if (b.y1 - b.y0 + 1 < 2 * letterHeight) {
      out.push(b);
      continue;
    }
    const minSide = Math.round(0.7 * letterHeight);
    let best = -1;
    let bestRatio = VALLEY_DEPTH;
    for (let y = b.y0 + minSide; y <= b.y1 - minSide; y++) {
      let above = 0;
      for (let k = b.y0; k < y; k++) above = Math.max(above, smooth[k]!);
      let below = 0;
      for (let k = y + 1; k <= b.y1; k++) below = Math.max(below, smooth[k]!);
      const ratio = smooth[y]! / Math.max(1e-9, Math.min(above, below));
      if (ratio < bestRatio) {
        bestRatio = ratio;
        best = y;
      }
    }
    if (best < 0) out.push(b);
    else todo.unshift({ y0: b.y0, y1: best }, { y0: best + 1, y1: b.y1 });
  }
  return out.sort((a, b) => a.y0 - b.y0);
}

/**
 * Components -> lines: each goes to the band holding its middle row. Bands too low to be a line of writing
 * (dots, accents, an underline) give their components to the nearest band. Boxes are inclusive, working pixels.
 */
function assign(comps: Component[], bands: Band[], letterHeight: number) {
  const real = bands.filter((b) => b.y1 - b.y0 + 1 >= MIN_LINE_HEIGHT * letterHeight);
  const use = real.length ? real : bands;
  const boxes = use.map(() => ({ x0: Infinity, y0: Infinity, x1: -1, y1: -1 }));
  for (const c of comps) {
    const mid = (c.y0 + c.y1) / 2;
    let k = 0;
    let dist = Infinity;
    for (const [i, b] of use.entries()) {
      const d = mid < b.y0 ? b.y0 - mid : mid > b.y1 ? mid - b.y1 : 0;
      if (d < dist) {
        dist = d;
        k = i;
      }
    }
    // Ink far from every line (texture, a stray mark between paragraphs) belongs to none.
    if (dist > 0.5 * letterHeight) continue;
    const box = boxes[k]!;
    box.x0 = Math.min(box.x0, c.x0);
    box.x1 = Math.max(box.x1, c.x1);
    box.y0 = Math.min(box.y0, c.y0);
    box.y1 = Math.max(box.y1, c.y1);
  }
  // A component that joins two lines (a descender into the capitals below) must not stretch its line's box
  // over the other line: boxes keep to their band and a third of a letter around it.
  const reach = 0.35 * letterHeight;
  return boxes.flatMap((b, i) =>
    b.x1 < 0
      ? []
      : [{ ...b, y0: Math.max(b.y0, use[i]!.y0 - reach), y1: Math.min(b.y1, use[i]!.y1 + reach) }],
  );
}
