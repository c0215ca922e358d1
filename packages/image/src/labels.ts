/**
 * Printed text on forms: field labels ("PRENOM :") left of the writing, and rows of print ("DATE DE
 * NAISSANCE") around it. Print is told from handwriting by its geometry alone: letters on one straight line to
 * the pixel, set tight.
 */
import type { Component } from './components.js';
import { median } from './filters.js';

/** Steepest printed line still taken for flat (pixels per pixel, about 3 degrees). */
const MAX_SKEW = 0.05;
/** Fewer letters than this are fitted with a flat line: too few to measure a skew, too short for it to matter. */
const MIN_SKEW_LETTERS = 8;

const h = (c: Component) => c.y1 - c.y0 + 1;

/**
 * Print is flat and tight: three or more letters whose tops and bottoms line up to the pixel. Handwriting
 * wobbles more than that. Marks (colons, dots) and fragments cut by the crop's edges are not counted.
 */
export function isPrinted(comps: Component[], height: number): boolean {
  return printedLine(comps, height, 3) !== undefined;
}

/** The top and bottom rows of a printed line of at least `minUnits` letters, or undefined. */
function printedLine(
  comps: Component[],
  height: number,
  minUnits: number,
  scan = false,
): { top: number; bottom: number; end: number } | undefined {
  const cands = comps.filter((c) => c.x0 > 0 && c.y0 > 0 && c.y1 < height - 1 && h(c) >= 5);
  if (cands.length === 0) return undefined;
  let top = skewedLine(cands, (c) => c.y0);
  let bottom = skewedLine(cands, (c) => c.y1);
  // Print sits on its line to the pixel (JPEG blur allows one); two handwritten digits can come within two.
  const tol = 1;
  const alignedTo = (t: typeof top, b: typeof bottom) =>
    cands.filter((c) => Math.abs(t.residual(c)) <= tol && Math.abs(b.residual(c)) <= tol);
  // Bold print merges letters ("NOM" -> N + OM): a blob as wide as two letters counts as two.
  const units = (cs: Component[]) =>
    cs.reduce((n, c) => n + Math.max(1, Math.floor((c.x1 - c.x0 + 1) / (0.75 * h(c)))), 0);
  let aligned = alignedTo(top, bottom);
  if (scan && units(aligned) < minUnits)
    // A label's letters, no line through the median of their edges: it falls between them when one mark is
    // taller (a rotated reference number left of "NOM :", whole once the field is cut with a margin, so no
    // longer dropped as an edge fragment). The flat line that most of the letters sit on is the print's.
    for (const ref of cands) {
      const t = flatLine(ref.y0, (c) => c.y0);
      const b = flatLine(ref.y1, (c) => c.y1);
      const a = alignedTo(t, b);
      if (units(a) > units(aligned)) [top, bottom, aligned] = [t, b, a];
    }
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
  return { top: Math.round(top.at(last)), bottom: Math.round(bottom.at(last)), end: last.x1 };
}

/**
 * A straight line through one edge (top or bottom) of the components, robust to outliers (Theil-Sen: the
 * median slope over all pairs, capped to a slight skew), so a printed line on a slightly rotated scan still
 * counts as flat.
 */
function skewedLine(cs: Component[], edge: (c: Component) => number) {
  const cx = (c: Component) => (c.x0 + c.x1) / 2;
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

/** A flat line at row `at` through one edge of the components. */
function flatLine(at: number, edge: (c: Component) => number) {
  return { at: () => at, residual: (c: Component) => edge(c) - at };
}

/**
 * The colons between x0 and x1: two small marks one above the other, within the label's rows (`slack` pixels
 * beyond them: a bold colon's lower dot can hang below the baseline), as [left, right] columns.
 */
function colons(
  all: Component[],
  x0: number,
  x1: number,
  top: number,
  bottom: number,
  slack: number,
): [number, number][] {
  const size = 0.4 * (bottom - top + 1);
  const dots = all.filter(
    (c) =>
      c.x0 > x0 &&
      c.x1 < x1 &&
      c.y0 >= top - slack &&
      c.y1 <= bottom + slack &&
      c.x1 - c.x0 + 1 <= size &&
      h(c) <= size,
  );
  const found: [number, number][] = [];
  for (const a of dots)
    for (const b of dots)
      if (a.y1 < b.y0 && a.x0 <= b.x1 && b.x0 <= a.x1)
        found.push([Math.min(a.x0, b.x0), Math.max(a.x1, b.x1)]);
  return found;
}

/**
 * A printed label left of the writing ("PRENOM :   KELLY"): the widest gap whose left side is print and at
 * least 1.5 letter heights wide (handwritten amounts leave up to about one after a separator), with writing
 * on the right. Returns the row without the label. `scan`: a real form's field (preprocessLine's `edgesInside`),
 * not the line generator's drawing, whose labels are drawn to the strict rules. There the crop may show whole
 * marks that a cut at its edge would have cut off (a rotated reference number left of the label), so a label
 * that no line through the median of its letters' edges fits is looked for on the line most of them sit on; a bold
 * colon's lower dot may hang a tenth of the print's height below its baseline; and faint writing may hold far less
 * ink than bold print (the right needs 5% of the row's ink, not 20%), so the label must end at its colon.
 */
export function dropLabel(
  row: Component[],
  height: number,
  all: Component[] = row,
  scan = false,
): Component[] {
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
        total - massLeft >= (scan ? 0.05 : 0.2) * total &&
        isLabel(left, height, all, c.x0, scan)
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
function isLabel(
  left: Component[],
  height: number,
  all: Component[],
  writingX: number,
  scan: boolean,
): boolean {
  const line = printedLine(left, height, 2, scan);
  if (!line) return false;
  // The colon may be part of `left` (heavy enough to count as a letter) or lighter and outside it.
  const start = Math.min(...left.map((c) => c.x0));
  if (!scan) return colons(all, start, writingX, line.top, line.bottom, 1).length > 0;
  // On a scan, writing may be far lighter than bold print (see dropLabel), so the label ends at its colon: the
  // first one after its print, within two letters' height of it (a bold letter off the print's line may stand
  // between them), and nothing of `left` follows it. Else a split further on would take the first written
  // letters for part of the label (a broken stroke of faint writing looks like a colon too).
  const letterH = line.bottom - line.top + 1;
  const slack = Math.max(1, Math.round(0.1 * letterH));
  const colon = colons(all, start, writingX, line.top, line.bottom, slack)
    .filter(([x0]) => x0 > line.end)
    .sort((p, q) => p[0] - q[0])[0];
  if (!colon || colon[0] - line.end > 2 * letterH) return false;
  return left.every((c) => c.x0 <= colon[1]);
}
