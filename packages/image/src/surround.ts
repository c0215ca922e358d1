import type { TextLineBox } from './text-lines.js';
import type { GreyImage } from './types.js';

/**
 * A field photographed on a desk, or pasted on a page of another tone: its paper is a rectangle inside a
 * border of one flat tone. Flattening and the ink threshold would take the rectangle's edge (and, when the
 * border is dark around light paper, the paper itself) for writing. A side's border is found from the image's
 * edge inwards: rows (or columns) nearly all within a few grey levels of the edge's own tone. It is cut only
 * when it ends in a step to another tone (a shadow's slope is no border) and that tone is rare inside (ink on
 * the paper, not the paper itself: a field's paper reaching its edges is no border).
 */

/** How far from the edge's tone a border pixel may lie (JPEG noise, a desk's grain). */
const BORDER_TOLERANCE = 30;
/** The share of a row or column within BORDER_TOLERANCE of the edge's tone that makes it border. */
const BORDER_SHARE = 0.9;
/** Thinner borders are left alone: a box line or a scanner's dark edge, which the rule remover takes. */
const MIN_BORDER = 0.04;
/** A border's tone may cover at most this share of what is left inside (the ink's share, not the paper's). */
const MAX_TONE_INSIDE = 0.2;
/** A border ends in a step: the paper just inside lies this far from its tone (a shadow's slope does not). */
const BORDER_STEP = 40;

type Side = 'top' | 'bottom' | 'left' | 'right';

/**
 * The paper inside a border of another flat tone, as a box in the image (2 px inside the border, past the
 * edge's blur); undefined when no side has such a border at least 4% of the image (and 4 px) deep, or when less
 * than 8 px would be left.
 */
export function paperWithinBorder(img: GreyImage): TextLineBox | undefined {
  const { width, height } = img;
  const grey = img.data as Float32Array;
  const pixel = (x: number, y: number) => grey[y * width + x]!;
  // Depths from each edge, each side's rows (or columns) taken within the others' depths: a narrow field
  // between two wide desk sides has rows that are mostly desk, which are not all border.
  const depth: Record<Side, number> = { top: 0, bottom: 0, left: 0, right: 0 };
  const tone: Record<Side, number> = { top: 0, bottom: 0, left: 0, right: 0 };
  /**
   * The k-th row or column from a side's edge, within the other sides' current depths: where its first pixel
   * lies, the step to the next, and how many (0 past the image). Walked in place: every image is looked at so.
   */
  const line = (side: Side, k: number): { at: number; step: number; count: number } => {
    const across = side === 'top' || side === 'bottom';
    if (k >= (across ? height : width)) return { at: 0, step: 1, count: 0 };
    if (across) {
      const y = side === 'top' ? k : height - 1 - k;
      return { at: y * width + depth.left, step: 1, count: Math.max(0, width - depth.right - depth.left) };
    }
    const x = side === 'left' ? k : width - 1 - k;
    return { at: depth.top * width + x, step: width, count: Math.max(0, height - depth.bottom - depth.top) };
  };
  /** The values of lines k0..k1-1 from a side (for a median: the edge's tone, the paper past a border). */
  const lineValues = (side: Side, k0: number, k1: number): number[] => {
    const values: number[] = [];
    for (let k = k0; k < k1; k++) {
      const { at, step, count } = line(side, k);
      for (let i = 0, p = at; i < count; i++, p += step) values.push(grey[p]!);
    }
    return values;
  };
  const sides: Side[] = ['top', 'bottom', 'left', 'right'];
  for (let pass = 0; pass < 2; pass++)
    for (const side of sides) {
      const limit = (side === 'top' || side === 'bottom' ? height : width) - 1;
      const t = median(lineValues(side, 0, 1));
      tone[side] = t;
      let d = 0;
      for (; d < limit; d++) {
        const { at, step, count } = line(side, d);
        let near = 0;
        for (let i = 0, p = at; i < count; i++, p += step)
          if (Math.abs(grey[p]! - t) <= BORDER_TOLERANCE) near++;
        if (count === 0 || near < BORDER_SHARE * count) break;
      }
      depth[side] = d;
    }
  const deep = sides
    .filter(
      (side) =>
        depth[side] >= Math.max(4, MIN_BORDER * (side === 'top' || side === 'bottom' ? height : width)),
    )
    .map((side) => ({ side, depth: depth[side], tone: tone[side] }));
  if (deep.length === 0) return undefined;
  const cut = (side: Side) => deep.find((f) => f.side === side)?.depth ?? 0;
  const box = {
    x: cut('left'),
    y: cut('top'),
    width: width - cut('left') - cut('right'),
    height: height - cut('top') - cut('bottom'),
  };
  if (box.width < 8 || box.height < 8) return undefined;
  // Each border's tone must be rare inside: otherwise the "border" is the field's own paper.
  const inside = (tone: number) => {
    let near = 0;
    for (let y = box.y; y < box.y + box.height; y++)
      for (let x = box.x; x < box.x + box.width; x++)
        if (Math.abs(pixel(x, y) - tone) <= BORDER_TOLERANCE) near++;
    return near / (box.width * box.height);
  };
  // And the paper just inside it (the 3 rows or columns past it) must be of another tone: a step, not a slope.
  const stepped = (f: { side: Side; depth: number; tone: number }) => {
    const next = lineValues(f.side, f.depth, f.depth + 3);
    return next.length > 0 && Math.abs(median(next) - f.tone) >= BORDER_STEP;
  };
  const borders = deep.filter((f) => inside(f.tone) <= MAX_TONE_INSIDE && stepped(f)).map((f) => f.side);
  if (borders.length === 0) return undefined;
  const has = (side: Side) => borders.includes(side);
  const x0 = has('left') ? Math.min(box.x + 2, width - 1) : 0;
  const y0 = has('top') ? Math.min(box.y + 2, height - 1) : 0;
  const x1 = has('right') ? Math.max(box.x + box.width - 2, x0 + 1) : width;
  const y1 = has('bottom') ? Math.max(box.y + box.height - 2, y0 + 1) : height;
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}

function median(values: number[]): number {
  const sorted = values.sort((a, b) => a - b);
  return sorted[sorted.length >> 1] ?? 0;
}

/**
 * A field pasted on a page of its own paper's tone (a PNG or PDF put together in software): no step tells the
 * page from the field, but the page is empty to the pixel, where paper that was scanned or photographed has grain.
 * The margins make the field a small part of a larger image, read at another scale than its crop (a crop under
 * 32 px is enlarged first; on the page it is found and cut out at its own few pixels). A margin is the rows or
 * columns from an edge whose every pixel lies within EMPTY_TOLERANCE of the edges' tone, at least
 * MIN_EMPTY_MARGIN of the image deep.
 */
const EMPTY_TOLERANCE = 6;
const MIN_EMPTY_MARGIN = 0.1;
/**
 * The margin kept around what is inside, in its heights (at least 2 px): writing flush with the image's edge looks
 * cut, and flat paper around a textured cheque costs its amounts as a border of its own paper does (`pnpm bench
 * framing`). Amounts on a flat sheet (`pnpm bench conditions`) read 61.05% with 0.15, 60.77% with 2 px, 57.46%
 * with 0.25.
 */
const KEPT_MARGIN = 0.15;

/**
 * The box around what lies inside empty margins (KEPT_MARGIN of its height of them kept), or undefined unless every
 * side has such a margin at least 10% of the image, 12 px and the height of what is inside deep, or when nothing is
 * inside.
 */
export function contentWithinEmptyMargins(img: GreyImage): TextLineBox | undefined {
  const { width, height } = img;
  const grey = img.data as Float32Array;
  const edge: number[] = [];
  for (let x = 0; x < width; x++) edge.push(grey[x]!, grey[(height - 1) * width + x]!);
  for (let y = 0; y < height; y++) edge.push(grey[y * width]!, grey[y * width + width - 1]!);
  const tone = median(edge);
  // Within EMPTY_TOLERANCE of the tone: the same test as |v - tone| <= EMPTY_TOLERANCE (grey levels and the tone
  // are float32 values, whose sums and differences a double holds exactly; NaN is never empty). Loops without
  // calls: a page made in software is walked to its content, a few million pixels.
  const lo = tone - EMPTY_TOLERANCE;
  const hi = tone + EMPTY_TOLERANCE;
  const emptyRow = (y: number) => {
    for (let p = y * width, end = p + width; p < end; p++) {
      const v = grey[p]!;
      if (!(v >= lo && v <= hi)) return false;
    }
    return true;
  };
  let top = 0;
  while (top < height && emptyRow(top)) top++;
  if (top === height) return undefined; // nothing at all: the blank-image rules answer
  let bottom = height;
  while (bottom > top && emptyRow(bottom - 1)) bottom--;
  // Empty columns, row by row (rows outside top..bottom are empty): each row only looks as far in as the columns
  // still empty on every row before it.
  let left = width;
  for (let y = top; y < bottom && left > 0; y++) {
    let x = 0;
    for (let p = y * width; x < left; x++, p++) {
      const v = grey[p]!;
      if (!(v >= lo && v <= hi)) break;
    }
    left = x;
  }
  let right = left;
  for (let y = top; y < bottom && right < width; y++) {
    let x = width - 1;
    for (let p = y * width + x; x >= right; x--, p--) {
      const v = grey[p]!;
      if (!(v >= lo && v <= hi)) break;
    }
    right = Math.max(right, x + 1);
  }
  // At least the height of what is inside, too: a field cut with some paper around its writing is no page.
  const deep = (depth: number, size: number) => depth >= Math.max(12, MIN_EMPTY_MARGIN * size, bottom - top);
  // On every side: a crop of a clean white form has empty paper beside its writing (432 of the 466 dev names).
  if (
    ![top, height - bottom].every((d) => deep(d, height)) ||
    ![left, width - right].every((d) => deep(d, width))
  )
    return undefined;
  const keep = Math.max(2, Math.round(KEPT_MARGIN * (bottom - top)));
  const x0 = Math.max(0, left - keep);
  const y0 = Math.max(0, top - keep);
  const x1 = Math.min(width, right + keep);
  const y1 = Math.min(height, bottom + keep);
  return { x: x0, y: y0, width: x1 - x0, height: y1 - y0 };
}
