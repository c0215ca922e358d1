import { createRng } from '@hcr/core';
import { describe, expect, it } from 'vitest';
import { GLYPH_PIXELS, GLYPH_SIDE, type GlyphBank, SYMBOL_COUNT } from '../src/lines/glyphs.js';
import { type HandStyle, layoutInk } from '../src/lines/ink.js';

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
