import { createRng, HcrError } from '@hcr/core';
import { describe, expect, it } from 'vitest';
import { checkImageSize, type GreyImage, preprocessLine } from '../src/index.js';
import { darkRect, drawLetters, gradientPage, invert, profiles, toImage } from './helpers.js';

const W = 200;
const H = 60;

/** Letters at (40, 18) on a gradient page with a ruled line under them and a box line at the left. */
function formScan(): GreyImage {
  const page = gradientPage(W, H);
  drawLetters(page, W, 40, 18);
  darkRect(page, W, 0, 46, W, 2, 120); // ruled line across the field
  darkRect(page, W, 8, 0, 2, H, 120); // box line down the left
  return toImage(page, W, H);
}

function inkAt(line: { pixels: Uint8Array; width: number }, x: number, y: number): number {
  return line.pixels[y * line.width + x];
}

describe('preprocessLine', () => {
  it('turns a form scan into a 32-high ink-bright line with the rules removed and every stroke kept', () => {
    const line = preprocessLine(formScan());
    expect(line.height).toBe(32);
    expect(line.pixels.length).toBe(line.width * 32);
    expect(line.polarity).toBe('dark-on-light');
    // The crop is the letters (x 40..109, y 18..41), not the rule at y 46 or the box line at x 8.
    expect(line.crop.x).toBeGreaterThanOrEqual(38);
    expect(line.crop.x).toBeLessThanOrEqual(41);
    expect(line.crop.y).toBeGreaterThanOrEqual(17);
    expect(line.crop.y + line.crop.height).toBeLessThanOrEqual(43);
    expect(line.crop.x + line.crop.width).toBeLessThanOrEqual(112);
    // Ink band 24 px -> 26 rows: scale 26/24, width kept in proportion (70 px of letters + margins).
    expect(line.width).toBeGreaterThanOrEqual(78);
    expect(line.width).toBeLessThanOrEqual(84);
    const { rows, cols } = profiles(line.pixels, line.width, line.height);
    // Background is 0: the margins hold no ink at all (gradient flattened, rule gone).
    expect(rows[0] + rows[1] + rows[30] + rows[31]).toBe(0);
    expect(cols[0] + cols[line.width - 1]).toBe(0);
    // Stroke cores are full ink; the H bar, T bar and hyphen survive the rule removal.
    const s = 26 / 24;
    const X = (x: number) => Math.round(3 + (x + 0.5) * s - 0.5);
    const Y = (y: number) => Math.round(3 + (y + 0.5) * s - 0.5);
    expect(inkAt(line, X(1), Y(5))).toBe(255); // H left stem
    expect(inkAt(line, X(7), Y(12))).toBeGreaterThan(200); // H bar
    expect(inkAt(line, X(27), Y(12))).toBeGreaterThan(200); // I
    expect(inkAt(line, X(40), Y(1))).toBeGreaterThan(200); // T bar
    expect(inkAt(line, X(64), Y(12))).toBeGreaterThan(200); // hyphen
    expect(inkAt(line, X(7), Y(5))).toBe(0); // inside the H
    // Anti-aliasing is kept: some pixels are between background and ink.
    expect(line.pixels.some((v) => v > 20 && v < 235)).toBe(true);
  });

  it('removes a rule that runs through the letters and keeps the strokes it crosses', () => {
    const page = gradientPage(W, H);
    drawLetters(page, W, 40, 18);
    darkRect(page, W, 0, 36, W, 2, 120); // underline touching the stems 18 rows down
    const img = toImage(page, W, H);
    const s = 26 / 24;
    const X = (x: number) => Math.round(3 + (x + 0.5) * s - 0.5);
    const Y = (y: number) => Math.round(3 + (y + 0.5) * s - 0.5);
    const kept = preprocessLine(img, { removeRules: false });
    const cleaned = preprocessLine(img);
    expect(inkAt(kept, X(20), Y(18.5))).toBeGreaterThan(150); // the rule between H and I
    expect(inkAt(cleaned, X(20), Y(18.5))).toBe(0);
    expect(inkAt(cleaned, X(56), Y(18.5))).toBe(0); // between T and hyphen
    expect(inkAt(cleaned, X(1), Y(18.5))).toBe(255); // the H stem where the rule crossed it
    expect(inkAt(cleaned, X(44), Y(18.5))).toBe(255); // the T stem
    expect(inkAt(cleaned, X(64), Y(12))).toBeGreaterThan(200); // hyphen
  });

  it('reads light-on-dark input the same as dark-on-light', () => {
    const a = preprocessLine(formScan());
    const b = preprocessLine(invert(formScan()));
    expect(b.polarity).toBe('light-on-dark');
    expect(b.width).toBe(a.width);
    let diff = 0;
    for (let i = 0; i < a.pixels.length; i++) diff = Math.max(diff, Math.abs(a.pixels[i] - b.pixels[i]));
    expect(diff).toBeLessThanOrEqual(40);
  });

  it('takes dark strokes on a grey cheque with a white margin for dark-on-light', () => {
    // the white margin makes a bright tail as far from the median grey as the ink's dark tail: the histogram
    // alone called this light-on-dark (a real cheque amount read as nothing); the thin strokes decide
    const w = 300;
    const h = 80;
    const page = new Float32Array(w * h).fill(150);
    for (let y = 68; y < h; y++) for (let x = 0; x < w; x++) page[y * w + x] = 235;
    for (let k = 0; k < 10; k++) darkRect(page, w, 30 + 24 * k, 14, 3, 44, 70);
    darkRect(page, w, 30, 34, 220, 3, 70);
    const line = preprocessLine(toImage(page, w, h));
    expect(line.polarity).toBe('dark-on-light');
    expect(line.crop.width).toBeGreaterThan(200);
    // and the same picture with light strokes on a dark ground stays light-on-dark
    expect(preprocessLine(invert(toImage(page, w, h))).polarity).toBe('light-on-dark');
  });

  it('is deterministic', () => {
    const a = preprocessLine(formScan());
    const b = preprocessLine(formScan());
    expect(Buffer.from(b.pixels).equals(Buffer.from(a.pixels))).toBe(true);
    expect(b.crop).toEqual(a.crop);
  });

  it('reads grey + alpha, RGB, RGBA and Float32 input like grey', () => {
    const grey = formScan();
    const g = grey.data as Uint8Array;
    const ga = new Uint8Array(g.length * 2);
    const rgb = new Uint8Array(g.length * 3);
    const rgba = new Uint8Array(g.length * 4);
    for (let i = 0; i < g.length; i++) {
      ga.set([g[i], 255], i * 2);
      rgb.set([g[i], g[i], g[i]], i * 3);
      rgba.set([g[i], g[i], g[i], 255], i * 4);
    }
    const ref = preprocessLine(grey).pixels;
    expect(preprocessLine({ width: W, height: H, data: ga, channels: 2 }).pixels).toEqual(ref);
    expect(preprocessLine({ width: W, height: H, data: rgb, channels: 3 }).pixels).toEqual(ref);
    expect(preprocessLine({ width: W, height: H, data: rgba, channels: 4 }).pixels).toEqual(ref);
    expect(preprocessLine({ width: W, height: H, data: Float32Array.from(g) }).pixels).toEqual(ref);
  });

  it('reads strokes drawn on a transparent canvas (opacity is the ink)', () => {
    const page = new Float32Array(W * H).fill(200);
    drawLetters(page, W, 40, 18); // 50 where ink
    const rgba = new Uint8Array(W * H * 4);
    for (let i = 0; i < W * H; i++) rgba[i * 4 + 3] = page[i] < 200 ? 255 : 0; // black strokes, clear ground
    const line = preprocessLine({ width: W, height: H, data: rgba, channels: 4 });
    expect(line.crop).toMatchObject({ x: 40, y: 18, width: 70, height: 24 });
    // White strokes on a clear ground read the same.
    for (let i = 0; i < W * H; i++) rgba.set([255, 255, 255], i * 4);
    expect(preprocessLine({ width: W, height: H, data: rgba, channels: 4 }).pixels).toEqual(line.pixels);
  });

  it('shrinks a large photo to the same line and pads narrow lines to minWidth', () => {
    // The same scan at 4x: the line comes out the same size.
    const big = new Float32Array(W * 4 * H * 4);
    const small = formScan().data as Uint8Array;
    for (let y = 0; y < H * 4; y++)
      for (let x = 0; x < W * 4; x++) big[y * W * 4 + x] = small[(y >> 2) * W + (x >> 2)];
    const line = preprocessLine(toImage(big, W * 4, H * 4));
    expect(Math.abs(line.width - preprocessLine(formScan()).width)).toBeLessThanOrEqual(2);
    expect(line.crop.x).toBeGreaterThanOrEqual(150);
    expect(line.crop.x).toBeLessThanOrEqual(166);
    // A single I is narrower than 16 columns once normalised: padded with background.
    const page = gradientPage(60, 40);
    darkRect(page, 60, 30, 8, 3, 24);
    const one = preprocessLine(toImage(page, 60, 40), { minWidth: 16 });
    expect(one.width).toBe(16);
    expect(profiles(one.pixels, 16, 32).cols[0]).toBe(0);
  });

  it('flattens a photo with a shadow and low-contrast ink', () => {
    // Light falls from 250 at the top left to 70 at the bottom right; ink is only 60 levels darker.
    const page = new Float32Array(W * H);
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++) page[y * W + x] = 250 - 150 * (x / W) * (0.4 + 0.6 * (y / H));
    drawLetters(page, W, 40, 18);
    // drawLetters darkens by 150; lighten back to a 60-level contrast.
    const flat = new Float32Array(W * H);
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++) flat[y * W + x] = 250 - 150 * (x / W) * (0.4 + 0.6 * (y / H));
    for (let i = 0; i < page.length; i++) if (page[i] < flat[i]) page[i] = flat[i] - 60;
    const line = preprocessLine(toImage(page, W, H));
    expect(line.crop).toMatchObject({ x: 40, y: 18, width: 70, height: 24 });
    const { rows, cols } = profiles(line.pixels, line.width, line.height);
    expect(rows[0] + rows[31] + cols[0] + cols[line.width - 1]).toBe(0);
    const s = 26 / 24;
    expect(
      line.pixels[Math.round(3 + 5.5 * s - 0.5) * line.width + Math.round(3 + 1.5 * s - 0.5)],
    ).toBeGreaterThan(240);
  });

  it('keeps thick marker strokes that cross the whole drawing canvas', () => {
    // A 600x150 white canvas with a big T: a 10-px stem from top to bottom under a 10-px bar 400 px long.
    const page = new Float32Array(600 * 150).fill(255);
    const w = 600;
    darkRect(page, w, 295, 0, 10, 150, 255);
    darkRect(page, w, 100, 0, 400, 10, 255);
    const line = preprocessLine(toImage(page, w, 150));
    expect(line.crop.x).toBeLessThanOrEqual(101);
    expect(line.crop.x + line.crop.width).toBeGreaterThanOrEqual(499);
    const { cols, rows } = profiles(line.pixels, line.width, line.height);
    expect(Math.max(...cols)).toBeGreaterThan(20 * 255); // the stem, full height
    expect(Math.max(...rows.slice(2, 6))).toBeGreaterThan(0.8 * 255 * (line.width - 6)); // the bar, full width
  });

  it('does not blow a lone hyphen up to full height', () => {
    const page = gradientPage(80, 40);
    darkRect(page, 80, 30, 18, 12, 3);
    const line = preprocessLine(toImage(page, 80, 40));
    const { rows } = profiles(line.pixels, line.width, line.height);
    const inked = rows.filter((r) => r > 0).length;
    expect(inked).toBeLessThan(12);
  });
});

describe('preprocessLine bad input', () => {
  const code = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(HcrError);
      expect((e as HcrError).hint).toBeTruthy();
      return (e as HcrError).code;
    }
    return 'no error';
  };
  it('names blank, uniform and noise-only images NO_INK', () => {
    expect(code(() => preprocessLine({ width: 100, height: 40, data: new Uint8Array(4000).fill(255) }))).toBe(
      'NO_INK',
    );
    expect(code(() => preprocessLine({ width: 100, height: 40, data: new Uint8Array(4000) }))).toBe('NO_INK');
    expect(code(() => preprocessLine(toImage(gradientPage(100, 40), 100, 40)))).toBe('NO_INK');
    // Faint paper grain (+-6 levels) is not writing.
    const grain = new Uint8Array(4000).map((_, i) => 200 + ((i * 7919) % 13) - 6);
    expect(code(() => preprocessLine({ width: 100, height: 40, data: grain }))).toBe('NO_INK');
  });
  it('still reads one small letter in an image a few pixels high', () => {
    // a 1 in an 8-px strip, 1x6 px, and an x of 1-px strokes in a 10-px one: pieces of 6 and 9 pixels
    const one = new Float32Array(60 * 8).fill(230);
    darkRect(one, 60, 20, 1, 1, 6, 200);
    expect(preprocessLine({ width: 60, height: 8, data: one }).width).toBeGreaterThanOrEqual(16);
    const x = new Float32Array(70 * 10).fill(230);
    for (let k = 0; k < 5; k++) {
      darkRect(x, 70, 30 + k, 2 + k, 1, 1, 200);
      darkRect(x, 70, 34 - k, 2 + k, 1, 1, 200);
    }
    expect(preprocessLine({ width: 70, height: 10, data: x }).width).toBeGreaterThanOrEqual(16);
  });
  it('names specks, salt-and-pepper and Gaussian noise NO_INK, not a line they make up', () => {
    const rng = createRng(7);
    const gauss = () => {
      let u = 0;
      for (let i = 0; i < 12; i++) u += rng.next();
      return u - 6;
    };
    // Paper at 230 +-3 with two 2x2 dust specks: they made an 851-px line turned by the slope between them.
    const paper = Float32Array.from({ length: 300 * 60 }, () => Math.round(230 + 3 * gauss()));
    for (const [x, y] of [
      [40, 12],
      [250, 40],
    ])
      darkRect(paper, 300, x, y, 2, 2, 170);
    expect(code(() => preprocessLine({ width: 300, height: 60, data: paper }))).toBe('NO_INK');
    for (const [width, height] of [
      [120, 40],
      [300, 60],
      [400, 100],
    ]) {
      for (const sigma of [25, 40, 60]) {
        const data = Uint8ClampedArray.from({ length: width * height }, () => 160 + sigma * gauss());
        expect(
          code(() => preprocessLine({ width, height, data })),
          `sigma ${sigma}`,
        ).toBe('NO_INK');
      }
      const pepper = Uint8Array.from({ length: width * height }, () => {
        const r = rng.next();
        return r < 0.005 ? 0 : r < 0.01 ? 255 : 200;
      });
      expect(code(() => preprocessLine({ width, height, data: pepper }))).toBe('NO_INK');
      // Noise over the whole range clumps into letter-sized blobs, but its pixels stand alone.
      const uniform = Uint8Array.from({ length: width * height }, () => rng.int(256));
      expect(code(() => preprocessLine({ width, height, data: uniform }))).toBe('NO_INK');
    }
  });
  it('reads one upright stroke (a 1 or an I drawn on the page) as writing, not as noise', () => {
    // The page's word canvas: 720x200 white, one black stroke of pen 8 from 90 to 110 px tall (these were NO_INK:
    // one piece in a band narrower than tall counted as "many pieces per band height").
    for (const tall of [90, 95, 100, 110]) {
      const page = new Float32Array(720 * 200).fill(255);
      darkRect(page, 720, 216, 50, 8, tall, 255);
      const line = preprocessLine({ width: 720, height: 200, data: page });
      expect(line.height, `stroke ${tall} px`).toBe(32);
    }
  });
  it('refuses degenerate sizes', () => {
    expect(code(() => preprocessLine({ width: 1, height: 1, data: new Uint8Array(1) }))).toBe(
      'IMAGE_TOO_SMALL',
    );
    expect(code(() => preprocessLine({ width: 0, height: 10, data: new Uint8Array(0) }))).toBe(
      'BAD_IMAGE_SIZE',
    );
    expect(code(() => preprocessLine({ width: 2.5, height: 10, data: new Uint8Array(25) }))).toBe(
      'BAD_IMAGE_SIZE',
    );
  });
  it('refuses absurd aspect ratios and lines wider than maxWidth', () => {
    expect(
      code(() => preprocessLine({ width: 20000, height: 40, data: new Uint8Array(800000).fill(255) })),
    ).toBe('LINE_TOO_WIDE');
    // as narrow the other way: 4x100000 was accepted
    expect(code(() => checkImageSize(4, 100000))).toBe('IMAGE_TOO_ELONGATED');
    expect(
      code(() => preprocessLine({ width: 40, height: 20000, data: new Uint8Array(800000).fill(255) })),
    ).toBe('IMAGE_TOO_ELONGATED');
    expect(code(() => checkImageSize(40, 4800))).toBe('no error');
    expect(code(() => preprocessLine(formScan(), { maxWidth: 40 }))).toBe('LINE_TOO_WIDE');
  });
  it('refuses data that does not match the size', () => {
    expect(code(() => preprocessLine({ width: 10, height: 10, data: new Uint8Array(99) }))).toBe(
      'BAD_IMAGE_DATA',
    );
    expect(
      code(() => preprocessLine({ width: 10, height: 10, data: new Uint8Array(100), channels: 3 })),
    ).toBe('BAD_IMAGE_DATA');
    expect(
      code(() =>
        preprocessLine({ width: 10, height: 10, data: new Uint8Array(500), channels: 5 as unknown as 1 }),
      ),
    ).toBe('BAD_IMAGE_DATA');
  });
  it('refuses options that leave no room for ink', () => {
    expect(code(() => preprocessLine(formScan(), { height: 32, margin: 15 }))).toBe('BAD_OPTIONS');
    expect(code(() => preprocessLine(formScan(), { minWidth: 0 }))).toBe('BAD_OPTIONS');
    expect(code(() => preprocessLine(formScan(), { minWidth: 64, maxWidth: 32 }))).toBe('BAD_OPTIONS');
  });
});
