import { createRng } from '@hcr/core';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LINE_CONFIG, LINE_KINDS } from '../src/lines/config.js';
import { GLYPH_PIXELS, GLYPH_SIDE, type GlyphBank, SYMBOL_COUNT } from '../src/lines/glyphs.js';
import { type HandStyle, layoutInk } from '../src/lines/ink.js';
import { SKELETONS } from '../src/lines/skeletons.js';
import { pickStyles } from '../src/lines/style.js';

/** One glyph per symbol: a '4'-like cross of strokes `stroke` px wide at grey level `level`. */
function crossBank(stroke: number, level: number): GlyphBank {
  const images = new Uint8Array(SYMBOL_COUNT * GLYPH_PIXELS);
  for (let g = 0; g < SYMBOL_COUNT; g++)
    for (let y = 4; y < 24; y++)
      for (let x = 6; x < 22; x++) {
        const onVertical = x >= 14 && x < 14 + stroke;
        const onHorizontal = y >= 15 && y < 15 + stroke;
        if (onVertical || onHorizontal) images[g * GLYPH_PIXELS + y * GLYPH_SIDE + x] = level;
      }
  return {
    count: SYMBOL_COUNT,
    images,
    symbols: Uint8Array.from({ length: SYMBOL_COUNT }, (_, i) => i),
    partStarts: [0, SYMBOL_COUNT, SYMBOL_COUNT, SYMBOL_COUNT, SYMBOL_COUNT],
  };
}

const pools = Array.from({ length: SYMBOL_COUNT }, (_, i) => Uint32Array.of(i));

function style(over: Partial<HandStyle>): HandStyle {
  return {
    capH: 24,
    slant: 0,
    gap: 0.3,
    gapJitter: 0,
    tone: 0,
    dilate: false,
    erode: false,
    continental: 0,
    accents: 0,
    penCapitals: 0,
    slashOnes: 0,
    sizeJitter: 0,
    aspect: 1,
    warp: 0,
    baselineJitter: 0,
    slope: 0,
    ...over,
  };
}

const inkMass = (ink: Float32Array) => ink.reduce((a, v) => a + v, 0);

describe('handwriting layout: a pen never erases a character', () => {
  it('a thin pen keeps at least half the ink of a faint, thin-stroked glyph', () => {
    const bank = crossBank(1, 150);
    const full = inkMass(layoutInk('4', style({ tone: 0 }), bank, pools, createRng(1)).ink);
    const thin = inkMass(layoutInk('4', style({ tone: 0.7 }), bank, pools, createRng(1)).ink);
    // at tone 0.7 every sample of a grey-150 stroke (0.59) is below the threshold: nothing would be drawn
    expect(full).toBeGreaterThan(20);
    expect(thin).toBeGreaterThanOrEqual(full * 0.5);
  });

  it('a thin pen still thins a glyph whose strokes can take it', () => {
    const bank = crossBank(4, 255);
    const full = inkMass(layoutInk('4', style({ tone: 0 }), bank, pools, createRng(1)).ink);
    const thin = inkMass(layoutInk('4', style({ tone: 0.6 }), bank, pools, createRng(1)).ink);
    expect(thin).toBeLessThan(full);
    expect(thin).toBeGreaterThanOrEqual(full * 0.5);
  });

  it('erosion thins wide strokes but keeps strokes of 3 px or less (only their crossing thins)', () => {
    // 2 px strokes at capH 30 (the glyph box is 20 px high): 3 px wide, wide enough for the erosion to run
    const narrow = crossBank(2, 255);
    const plain = inkMass(layoutInk('4', style({ capH: 30 }), narrow, pools, createRng(1)).ink);
    const eroded = inkMass(layoutInk('4', style({ capH: 30, erode: true }), narrow, pools, createRng(1)).ink);
    expect(eroded).toBeGreaterThan(plain * 0.75); // eroding them whole kept half of the ink

    const wide = crossBank(8, 255);
    const widePlain = inkMass(layoutInk('4', style({}), wide, pools, createRng(1)).ink);
    const wideEroded = inkMass(layoutInk('4', style({ erode: true }), wide, pools, createRng(1)).ink);
    expect(wideEroded).toBeLessThan(widePlain * 0.9);
  });
});

describe("handwriting layout: the writer's hand", () => {
  const inkColumns = (l: { ink: Float32Array; width: number; height: number }) => {
    let n = 0;
    for (let x = 0; x < l.width; x++) {
      let on = false;
      for (let y = 0; y < l.height && !on; y++) on = l.ink[y * l.width + x]! >= 0.5;
      if (on) n++;
    }
    return n;
  };

  it('a narrow hand draws the same glyphs narrower, at the same height', () => {
    const bank = crossBank(3, 255);
    const wide = layoutInk('4444', style({}), bank, pools, createRng(1));
    const narrow = layoutInk('4444', style({ aspect: 0.62 }), bank, pools, createRng(1));
    expect(narrow.capH).toBe(wide.capH);
    expect(inkColumns(narrow)).toBeLessThan(inkColumns(wide) * 0.75);
    expect(inkColumns(narrow)).toBeGreaterThan(inkColumns(wide) * 0.5);
  });

  it('writing kept to lost boxes is spaced like comb cells, with no cells left to draw', () => {
    const bank = crossBank(3, 255);
    const boxed = layoutInk('44', style({ cellW: 40 }), bank, pools, createRng(1));
    const unboxed = layoutInk('44', style({ cellW: 40, unboxed: true }), bank, pools, createRng(1));
    expect(boxed.cells).toHaveLength(2);
    expect(unboxed.cells).toHaveLength(0);
    expect(unboxed.width).toBe(boxed.width);
    // a 40-px cell each: wider than the same glyphs at the default gap
    expect(unboxed.width).toBeGreaterThan(layoutInk('44', style({}), bank, pools, createRng(1)).width);
  });
});

describe('handwriting layout: pen-drawn characters', () => {
  it("a slash 1 is one stroke from the bottom left to the top right of its place, not the glyph's cross", () => {
    const bank = crossBank(3, 255);
    const l = layoutInk('1', style({ slashOnes: 1 }), bank, pools, createRng(1));
    const at = (fx: number, fy: number) => {
      // the ink box of the line, sampled at a fraction of its width and height (3x3 neighbourhood)
      let x0 = l.width;
      let x1 = 0;
      let y0 = l.height;
      let y1 = 0;
      for (let y = 0; y < l.height; y++)
        for (let x = 0; x < l.width; x++)
          if (l.ink[y * l.width + x]! >= 0.5)
            [x0, x1, y0, y1] = [Math.min(x0, x), Math.max(x1, x), Math.min(y0, y), Math.max(y1, y)];
      const cx = Math.round(x0 + fx * (x1 - x0));
      const cy = Math.round(y0 + fy * (y1 - y0));
      let m = 0;
      for (let dy = -1; dy <= 1; dy++)
        for (let dx = -1; dx <= 1; dx++) m = Math.max(m, l.ink[(cy + dy) * l.width + cx + dx] ?? 0);
      return m;
    };
    expect(at(0.05, 0.95)).toBeGreaterThan(0.5); // bottom left
    expect(at(0.5, 0.5)).toBeGreaterThan(0.5); // middle
    expect(at(0.95, 0.05)).toBeGreaterThan(0.5); // top right
    expect(at(0.05, 0.05)).toBe(0); // top left: a slash, not a cross
    expect(at(0.95, 0.95)).toBe(0);
  });
});

describe('lines written in strokes (single pen strokes, as block capitals or a mouse)', () => {
  /** Column of the ink's centre in each row that has ink, over the middle of the writing (serifs left out). */
  function rowCentres(ink: Float32Array, width: number, height: number): number[] {
    const rows: { y: number; c: number }[] = [];
    for (let y = 0; y < height; y++) {
      let mass = 0;
      let m = 0;
      for (let x = 0; x < width; x++) {
        mass += ink[y * width + x]!;
        m += ink[y * width + x]! * x;
      }
      if (mass > 0.5) rows.push({ y, c: m / mass });
    }
    const lo = rows[0]!.y;
    const hi = rows.at(-1)!.y;
    return rows.filter(({ y }) => y > lo + 0.2 * (hi - lo) && y < hi - 0.2 * (hi - lo)).map(({ c }) => c);
  }

  it('draws an I as a pen stroke, upright when the line is, leaning with the hand otherwise', () => {
    const bank = crossBank(2, 200); // any EMNIST glyph would be a cross: the stroke is the pen's
    /** Ink centres by row of an I written in strokes with the hand's slant of 0.3, upright or not. */
    const centres = (upright: boolean, seed: number) => {
      const hand = style({ slant: 0.3, strokes: { pen: 0.1, upright } });
      const l = layoutInk('I', hand, bank, pools, createRng(seed));
      return { centres: rowCentres(l.ink, l.width, l.height), penWidth: l.penWidth };
    };
    for (let seed = 1; seed <= 6; seed++) {
      const upright = centres(true, seed);
      expect(Math.max(...upright.centres) - Math.min(...upright.centres), `seed ${seed}`).toBeLessThan(1.5);
      expect(upright.penWidth).toBeCloseTo(2.4, 5); // 0.1 of the capital height, 24 px
      const lean2 = centres(false, seed).centres;
      expect(lean2[0]! - lean2.at(-1)!, `seed ${seed}`).toBeGreaterThan(2); // a shear of 0.3 leans right going up
    }
  });

  it('every capital and digit has a stroke shape, inside its box', () => {
    for (const ch of 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789') {
      const variants = SKELETONS[ch];
      expect(variants?.length, ch).toBeGreaterThan(0);
      for (const strokes of variants!)
        for (const stroke of strokes)
          for (const [u, v] of stroke) {
            expect(u, ch).toBeGreaterThanOrEqual(-0.01);
            expect(u, ch).toBeLessThanOrEqual(1.01);
            expect(v, ch).toBeGreaterThanOrEqual(-0.01);
            expect(v, ch).toBeLessThanOrEqual(1.06); // Q's tail dips under the baseline
          }
    }
  });
});

describe('which lines are written in strokes', () => {
  it('is drawn from a stream of its own: every other line keeps the style it had before strokes existed', () => {
    let strokes = 0;
    for (let seed = 1; seed <= 400; seed++) {
      const kind = LINE_KINDS[seed % LINE_KINDS.length]!;
      const before = pickStyles(kind, DEFAULT_LINE_CONFIG.clutter, createRng(seed));
      const now = pickStyles(
        kind,
        DEFAULT_LINE_CONFIG.clutter,
        createRng(seed),
        createRng(seed + 0x5eed),
        0.2,
      );
      const { strokes: pen, ...hand } = now.hand;
      expect(hand, `seed ${seed}`).toEqual(before.hand);
      expect(now.scan, `seed ${seed}`).toEqual(before.scan);
      if (pen) {
        strokes++;
        expect(pen.pen).toBeGreaterThanOrEqual(0.06);
        expect(pen.pen).toBeLessThanOrEqual(0.16);
      }
    }
    // strokeLines 0.2: names 25%, amounts 10%, numbers and dates 15%, the rest 20%: about a fifth of the lines
    expect(strokes).toBeGreaterThan(40);
    expect(strokes).toBeLessThan(120);
  });
});
