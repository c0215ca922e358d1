import type { Component } from './components.js';

/** A gutter between columns is blank paper at least this many letter heights wide, down the whole block. */
const GUTTER = 1.5;
/** A blank strip at least this share of a letter high, across the whole width, parts blocks one above another. */
const BLOCK_GAP = 0.5;
/** Rows beside each other are level when their middles are apart by at most this share of their height. */
const LEVEL = 0.3;

/** A row of writing: its first and last pixel rows. */
export interface Row {
  y0: number;
  y1: number;
}

/**
 * The page's letters grouped into blocks of text in reading order: columns left to right, each read top to
 * bottom, blocks one above another top to bottom. A recursive XY cut: a vertical gutter GUTTER letters wide,
 * running the height of a block, parts it into columns when every side holds two rows of writing or more
 * (`rowsOf`: the rows its lines would be found in) and the sides' rows do not all line up (rows that line up are
 * a table or a form of label and value: their rows are read whole); where a line crosses the gutter (a heading),
 * blank strips half a letter high part the block into blocks, and each run of them that shares a gutter is cut
 * again. A page with no columns anywhere is one group, so its lines are found exactly as on a page of one column.
 */
export function textColumns(
  letters: readonly Component[],
  letterHeight: number,
  rowsOf: (set: Component[]) => Row[],
): Component[][] {
  const gutter = GUTTER * letterHeight;
  /** The columns of a set of letters, when it has a gutter with two rows or more on each side, out of level. */
  const columnsOf = (set: Component[]): Component[][] | undefined => {
    const columns = split(set, 'x', gutter);
    if (columns.length < 2) return undefined;
    const rows = columns.map(rowsOf);
    const apart = rows.every((r) => r.length >= 2) && !rows.slice(1).some((r, i) => level(rows[i]!, r));
    return apart ? columns : undefined;
  };
  const cut = (set: Component[]): Component[][] => {
    const columns = columnsOf(set);
    if (columns) return columns.flatMap(cut);
    // A line across the gutter (a heading, a footer) hides it: part the set into blocks one above another, and
    // look for columns in each run of neighbouring blocks that share a gutter.
    const blocks = split(set, 'y', BLOCK_GAP * letterHeight);
    if (blocks.length < 2) return [set];
    const out: Component[][] = [];
    let found = false;
    for (let i = 0; i < blocks.length; ) {
      let j = i;
      while (j + 1 < blocks.length && split(blocks.slice(i, j + 2).flat(), 'x', gutter).length > 1) j++;
      const run = columnsOf(blocks.slice(i, j + 1).flat());
      if (run) {
        found = true;
        out.push(...run.flatMap(cut));
      } else out.push(...blocks.slice(i, j + 1));
      i = j + 1;
    }
    return found ? out : [set];
  };
  return cut([...letters]);
}

/** Components parted where a blank run along `axis` is at least `gap` pixels; in order along it. */
function split(set: Component[], axis: 'x' | 'y', gap: number): Component[][] {
  const lo = axis === 'x' ? (c: Component) => c.x0 : (c: Component) => c.y0;
  const hi = axis === 'x' ? (c: Component) => c.x1 : (c: Component) => c.y1;
  const sorted = [...set].sort((a, b) => lo(a) - lo(b));
  const groups: Component[][] = [];
  let end = -Infinity;
  for (const c of sorted) {
    if (lo(c) - end - 1 >= gap) groups.push([]);
    groups[groups.length - 1]!.push(c);
    end = Math.max(end, hi(c));
  }
  return groups;
}

/**
 * Whether every row of the side with fewer rows lies level with a row of the other side (their middles apart by
 * at most LEVEL of their mean height): a table. Read row by row, a table keeps each row's cells together; read column by
 * column, two columns of text keep each line whole. A row out of level means columns: wrongly read row by row,
 * their lines would be joined into one text, while a table read column by column keeps every cell's text.
 */
function level(a: Row[], b: Row[]): boolean {
  const [few, many] = a.length <= b.length ? [a, b] : [b, a];
  return few.every((r) =>
    many.some((s) => {
      const apart = Math.abs(r.y0 + r.y1 - s.y0 - s.y1) / 2;
      return apart <= (LEVEL * (r.y1 - r.y0 + s.y1 - s.y0 + 2)) / 2;
    }),
  );
}

/** An inclusive box in working pixels: a component's, a line's. */
export interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** The box around a set of boxes (inclusive). */
export function enclosing(items: readonly Box[]): Box {
  return {
    x0: Math.min(...items.map((c) => c.x0)),
    y0: Math.min(...items.map((c) => c.y0)),
    x1: Math.max(...items.map((c) => c.x1)),
    y1: Math.max(...items.map((c) => c.y1)),
  };
}

/** Each item (a component, a line) to the group whose box lies nearest its middle (inside it: distance 0). */
export function partition<T extends Box>(comps: readonly T[], groups: readonly Box[][]): T[][] {
  const boxes = groups.map(enclosing);
  const out: T[][] = groups.map(() => []);
  for (const c of comps) {
    const mx = (c.x0 + c.x1) / 2;
    const my = (c.y0 + c.y1) / 2;
    let best = 0;
    let dist = Infinity;
    for (const [i, b] of boxes.entries()) {
      const dx = Math.max(0, b.x0 - mx, mx - b.x1);
      const dy = Math.max(0, b.y0 - my, my - b.y1);
      const d = dx * dx + dy * dy;
      if (d < dist) {
        dist = d;
        best = i;
      }
    }
    out[best]!.push(c);
  }
  return out;
}
