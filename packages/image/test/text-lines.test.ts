import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { prepareLineImage, prepareTextLines } from '../src/decode/index.js';
import { findTextLines, type GreyImage, preprocessLine, type TextLineBox } from '../src/index.js';
import { rotateGrey } from '../src/skew.js';
import { darkRect, drawLetters, gradientPage, invert, toImage } from './helpers.js';

const W = 220;

/** A page of `rows` lines of block letters (HIT-), 24 px high, their tops at `tops`. */
function page(tops: number[], height: number, draw?: (p: Float32Array) => void): GreyImage {
  const p = gradientPage(W, height);
  for (const [i, y] of tops.entries()) {
    drawLetters(p, W, 20, y);
    // Lines differ in length, as written lines do.
    if (i % 2 === 0) drawLetters(p, W, 100, y);
  }
  draw?.(p);
  return toImage(p, W, height);
}

const png = (img: GreyImage) =>
  sharp(Buffer.from(img.data as Uint8Array), { raw: { width: img.width, height: img.height, channels: 1 } })
    .png()
    .toBuffer();

/** Each box holds its line's letters (rows y..y+23) and no other line's middle. */
function expectBoxesAround(boxes: { y: number; height: number }[], tops: number[]): void {
  expect(boxes).toHaveLength(tops.length);
  for (const [i, b] of boxes.entries()) {
    expect(b.y).toBeLessThanOrEqual(tops[i]!);
    expect(b.y + b.height).toBeGreaterThanOrEqual(tops[i]! + 24);
    for (const [j, t] of tops.entries())
      if (j !== i) expect(t + 12 < b.y || t + 12 > b.y + b.height).toBe(true);
  }
}

describe('findTextLines', () => {
  const tops = [20, 70, 120];

  it('finds the lines of a page top to bottom, each box around its writing', () => {
    const { lines, polarity } = findTextLines(page(tops, 170));
    expect(polarity).toBe('dark-on-light');
    expectBoxesAround(lines, tops);
    // The short lines' boxes end after their letters, the long ones' after the second group.
    expect(lines[1]!.x + lines[1]!.width).toBeLessThan(110);
    expect(lines[0]!.x + lines[0]!.width).toBeGreaterThan(160);
  });

  it('read as one field, a note of three lines is SEVERAL_LINES, pointing to prepareTextLines', async () => {
    const note = await png(page(tops, 170));
    await expect(prepareLineImage(note)).rejects.toMatchObject({
      code: 'SEVERAL_LINES',
      problem: 'The 220x170 image holds 3 lines of writing spread over it, not one line or field.',
      hint: expect.stringContaining('prepareTextLines'),
    });
    expect(await prepareTextLines(note)).toHaveLength(3);
  });

  it('ignores the rules of lined paper and reads light-on-dark pages alike', () => {
    const ruled = page(tops, 170, (p) => {
      for (const y of [50, 100, 150]) darkRect(p, W, 0, y, W, 2, 90);
    });
    expectBoxesAround(findTextLines(ruled).lines, tops);
    const dark = findTextLines(invert(page(tops, 170)));
    expect(dark.polarity).toBe('light-on-dark');
    expectBoxesAround(dark.lines, tops);
  });

  it('splits two lines whose strokes touch (a descender into the capitals below)', () => {
    const close = [20, 54];
    // A slanting tail from the H of the first line down into the I of the second: one component across both
    // lines (slanting: one straight vertical stroke the rule remover would take for a margin line).
    const img = page(close, 100, (p) => {
      for (let k = 0; k < 5; k++) darkRect(p, W, 33 + 3 * k, 44 + 2 * k, 3, 4);
    });
    expectBoxesAround(findTextLines(img).lines, close);
  });

  it('finds one line in a one-line image, none on a blank page, and refuses more lines than allowed', () => {
    expect(findTextLines(page([30], 90)).lines).toHaveLength(1);
    expect(findTextLines(toImage(gradientPage(W, 90), W, 90)).lines).toEqual([]);
    expect(() => findTextLines(page(tops, 170), { maxLines: 2 })).toThrow(
      expect.objectContaining({ code: 'TOO_MANY_LINES', hint: expect.stringContaining('in parts') }),
    );
  });
});

/**
 * Two columns on a 440 x 250 page: lines of two HIT- groups (x 20-170) at `left` tops, lines of one (x 300-370) at
 * `right` tops; `heading` tops get a line across both columns (x 20-370).
 */
function twoColumnPage(left: number[], right: number[], heading: number[] = []): GreyImage {
  const [PW, PH] = [440, 250];
  const p = gradientPage(PW, PH);
  for (const y of left) for (const x of [20, 100]) drawLetters(p, PW, x, y);
  for (const y of right) drawLetters(p, PW, 300, y);
  for (const y of heading) for (const x of [20, 100, 180, 260, 300]) drawLetters(p, PW, x, y);
  return toImage(p, PW, PH);
}

describe('accents and dots', () => {
  it('keeps an accent over a capital (LÉO) with its line; a letter as close over it is a line of its own', () => {
    // HIT- 24 px high at y 30, an acute accent over the I: half a letter high (a band of its own), 3 px above it.
    const accented = page([30], 70, (p) => {
      for (let k = 0; k < 5; k++) darkRect(p, W, 46 + k, 23 - 2 * k, 2, 4);
    });
    const [line, ...more] = findTextLines(accented).lines;
    expect(more).toHaveLength(0);
    expect(line!.y).toBeLessThanOrEqual(20); // the accent is inside the line's box
    expect(line!.y + line!.height).toBeGreaterThanOrEqual(54);
    // An I written 4 px over the line's I: a letter, not a mark, so a line of its own.
    const letterOver = page([40], 80, (p) => darkRect(p, W, 46, 12, 3, 24));
    expect(findTextLines(letterOver).lines).toHaveLength(2);
  });
});

describe('a page of two columns', () => {
  const left = [60, 120, 180];
  const right = [75, 135, 195]; // half a line lower: each right line overlaps two rows of the left column

  /** Each box around its line (24 px from its top) and inside its column. */
  const expectColumn = (boxes: TextLineBox[], tops: number[], x0: number, x1: number) => {
    expect(boxes.map((b) => b.y <= tops.shift()! && b.y + b.height >= b.y + 24)).not.toContain(false);
    for (const b of boxes) {
      expect(b.x).toBeGreaterThanOrEqual(x0);
      expect(b.x + b.width).toBeLessThanOrEqual(x1);
    }
  };

  it('is read column by column, each top to bottom; with columns: false, rows across both', () => {
    const img = twoColumnPage(left, right);
    const { lines, skew } = findTextLines(img);
    expect(skew).toBe(0); // rows half a line apart across the gutter are no slope
    expect(lines).toHaveLength(6);
    expectColumn(lines.slice(0, 3), [...left], 0, 200);
    expectColumn(lines.slice(3), [...right], 270, 440);
    const across = findTextLines(img, { columns: false }).lines;
    expect(across.length).toBeLessThan(6);
    expect(across.some((b) => b.x < 100 && b.x + b.width > 300)).toBe(true);
    // Photographed askew, the page's lean is measured on one column: its six lines are found on it turned flat.
    const p = img.data as Uint8Array;
    const turned = rotateGrey(Float32Array.from(p), img.width, img.height, -6, 200);
    const askew = findTextLines(toImage(turned.grey, turned.width, turned.height));
    expect(Math.abs(askew.skew + 6)).toBeLessThanOrEqual(0.5);
    expect(askew.lines).toHaveLength(6);
  });

  it('reads a line across both columns above them first, then each column', () => {
    // Rows half a line apart (each right line overlaps two left ones), and rows with paper between them all.
    for (const [l, r] of [
      [left, right],
      [
        [60, 110, 160],
        [85, 135, 185],
      ],
    ] as const) {
      const { lines } = findTextLines(twoColumnPage([...l], [...r], [15]));
      expect(lines).toHaveLength(7);
      expect(lines[0]!.x).toBeLessThan(30);
      expect(lines[0]!.x + lines[0]!.width).toBeGreaterThan(360);
      expectColumn(lines.slice(1, 4), [...l], 0, 200);
      expectColumn(lines.slice(4), [...r], 270, 440);
    }
  });

  it('reads rows that line up across the gap (a table, a form of label and value) row by row', () => {
    const table = findTextLines(twoColumnPage(left, [62, 118, 183])).lines;
    expect(table).toHaveLength(3);
    for (const b of table) expect(b.x < 30 && b.x + b.width > 360).toBe(true);
  });

  it('prepares the lines of an image file in the same order', async () => {
    const img = twoColumnPage(left, right);
    const prepared = await prepareTextLines(await png(img));
    expect(prepared.map((l) => l.box)).toEqual(findTextLines(img).lines);
  });
});

/** Four long lines 40 px apart (tops 110-230) across a 600 x 360 page, turned by `deg`; its middle 480 x 240. */
function tiltedPage(deg: number): GreyImage {
  const [PW, PH] = [600, 360];
  const p = gradientPage(PW, PH);
  for (const y of [110, 150, 190, 230]) for (let x = 70; x < 470; x += 80) drawLetters(p, PW, x, y);
  const r = rotateGrey(p, PW, PH, deg, 0);
  const [cw, ch] = [480, 240];
  const [x0, y0] = [(r.width - cw) >> 1, (r.height - ch) >> 1];
  const cut = new Float32Array(cw * ch);
  for (let y = 0; y < ch; y++)
    cut.set(r.grey.subarray((y0 + y) * r.width + x0, (y0 + y) * r.width + x0 + cw), y * cw);
  return toImage(cut, cw, ch);
}

describe('a page written or photographed at an angle', () => {
  it('has its lines found on the page turned flat: all four, where the leaning rows run into each other', () => {
    for (const deg of [7, -7]) {
      const img = tiltedPage(deg);
      const found = findTextLines(img);
      expect(Math.abs(found.skew - deg)).toBeLessThanOrEqual(0.5);
      expect(found.lines).toHaveLength(4);
      expect(findTextLines(img, { deskew: false }).lines.length).toBeLessThan(4);
    }
    expect(findTextLines(tiltedPage(0)).skew).toBe(0);
  });

  it('prepares each line as on the level page, with boxes around the lines in the image as sent', async () => {
    const level = await prepareTextLines(await png(tiltedPage(0)));
    const lines = await prepareTextLines(await png(tiltedPage(7)));
    expect(lines).toHaveLength(4);
    for (const [i, l] of lines.entries()) {
      // about as long (two turns blur the strokes, so the band is a pixel or two higher and the line shorter)
      expect(Math.abs(l.width - level[i]!.width)).toBeLessThanOrEqual(0.2 * level[i]!.width);
      // the box of a line falling 7 degrees to the right over ~400 px spans its fall: about 50 px more than its height
      expect(l.box.height).toBeGreaterThan(level[i]!.box.height + 30);
      expect(l.box.x + l.box.width).toBeLessThanOrEqual(480);
    }
    // top to bottom
    for (let i = 1; i < 4; i++) expect(lines[i]!.box.y).toBeGreaterThan(lines[i - 1]!.box.y);
  });
});

/**
 * A note of HIT- lines photographed on a whole sheet: 24-px letters on a 1400 x 2000 page, 1% of its pixels ink.
 * Shrunk to the line finder's working height the letters are under 8 px; the writing is under 2% of the pixels.
 */
describe('a small note on a large sheet', () => {
  const SW = 1400;
  const SH = 2000;
  const noteTops = [900, 950, 1000];
  function sheet(tops: number[]): GreyImage {
    const p = gradientPage(SW, SH);
    for (const y of tops) drawLetters(p, SW, 600, y);
    return toImage(p, SW, SH);
  }

  it('has its lines found, dark on light, each box around its writing', () => {
    const { lines, polarity } = findTextLines(sheet(noteTops));
    expect(polarity).toBe('dark-on-light');
    expectBoxesAround(lines, noteTops);
    for (const b of lines) {
      expect(b.x).toBeLessThanOrEqual(600);
      expect(b.x + b.width).toBeGreaterThanOrEqual(660);
      expect(b.x + b.width).toBeLessThan(700);
    }
  });

  it('is prepared line by line, and one field on the sheet reads as one line around its writing', async () => {
    const lines = await prepareTextLines(await png(sheet(noteTops)));
    expectBoxesAround(
      lines.map((l) => l.box),
      noteTops,
    );
    const field = await prepareLineImage(await png(sheet([950])));
    expect(field.box.y).toBeLessThanOrEqual(950);
    expect(field.box.y + field.box.height).toBeGreaterThanOrEqual(974);
    expect(field.box.height).toBeLessThan(60);
    // The same line cut out of the sheet: the same reader input.
    const [alone] = await prepareTextLines(await png(sheet([950])));
    expect(Buffer.from(field.pixels).equals(Buffer.from(alone!.pixels))).toBe(true);
    expect(field.width).toBeGreaterThan(40);
  });

  it('read as one field: a note is cut out and read as its crop; lines across the sheet say how to read them', async () => {
    const note = await prepareLineImage(await png(sheet(noteTops)));
    expect(note.box.y).toBeGreaterThanOrEqual(880);
    expect(note.box.y + note.box.height).toBeLessThanOrEqual(1044);
    await expect(prepareLineImage(await png(sheet([100, 900, 1800])))).rejects.toMatchObject({
      code: 'SEVERAL_LINES',
      problem: expect.stringContaining(
        'image holds 3 lines of writing spread over it, not one line or field',
      ),
      hint: expect.stringContaining('prepareTextLines'),
    });
  });
});

describe('writing of two sizes on one page', () => {
  it('finds a line of small letters under a line three times larger, each box around its own writing', () => {
    const PW = 600;
    const PH = 200;
    // HIT- at 72 px: drawn at 24 px on a small page, enlarged 3x onto this one.
    const small = new Float32Array(200 * 40).fill(255);
    drawLetters(small, 200, 0, 8);
    const p = gradientPage(PW, PH);
    for (let y = 0; y < 120; y++)
      for (let x = 0; x < 600; x++)
        p[(10 + y) * PW + x] = Math.min(
          p[(10 + y) * PW + x]!,
          small[Math.floor(y / 3) * 200 + Math.floor(x / 3)]!,
        );
    drawLetters(p, PW, 40, 150);
    const { lines } = findTextLines(toImage(p, PW, PH));
    expect(lines).toHaveLength(2);
    expect(lines[0]!.y).toBeLessThanOrEqual(34);
    expect(lines[0]!.y + lines[0]!.height).toBeGreaterThanOrEqual(106);
    expect(lines[0]!.y + lines[0]!.height).toBeLessThan(150);
    expect(lines[1]!.y).toBeGreaterThan(106);
    expect(lines[1]!.y).toBeLessThanOrEqual(150);
    expect(lines[1]!.y + lines[1]!.height).toBeGreaterThanOrEqual(174);
    expect(lines[1]!.height).toBeLessThan(45);
  });
});

describe('prepareTextLines', () => {
  it('prepares each line of an image file as preprocessLine prepares its crop', async () => {
    const img = page([20, 70, 120], 170);
    const lines = await prepareTextLines(await png(img));
    expect(lines).toHaveLength(3);
    for (const line of lines) {
      expect(line.height).toBe(32);
      const { x, y, width, height } = line.box;
      const crop = new Uint8Array(width * height);
      for (let r = 0; r < height; r++)
        crop.set((img.data as Uint8Array).subarray((y + r) * W + x, (y + r) * W + x + width), r * width);
      const alone = preprocessLine({ width, height, data: crop });
      expect(Buffer.from(line.pixels).equals(Buffer.from(alone.pixels))).toBe(true);
    }
    // The long lines are wider than the short one.
    expect(lines[0]!.width).toBeGreaterThan(lines[1]!.width + 40);
  });

  it('reads a one-line image as prepareLineImage does, and gives boxes in the pixels as sent', async () => {
    const one = await png(page([30], 90));
    const [line] = await prepareTextLines(one);
    expect(Buffer.from(line!.pixels).equals(Buffer.from((await prepareLineImage(one)).pixels))).toBe(true);
    // A page larger than the working size (2048) is shrunk to decode; its boxes come back at full size.
    const big = await sharp(await png(page([20, 70, 120], 170)))
      .resize({ width: W * 12, height: 170 * 12, kernel: 'nearest' })
      .png()
      .toBuffer();
    const boxes = (await prepareTextLines(big)).map((l) => l.box);
    expectBoxesAround(
      boxes.map((b) => ({ y: b.y / 12, height: b.height / 12 })),
      [20, 70, 120],
    );
  });

  it('enlarges a field lower than 32 px before preparing it, and gives its box in the pixels as sent', async () => {
    // One line of HIT- HIT- (x 20-170, rows 30-53) on a 220 x 90 page, sent at a quarter of its size: 55 x 23.
    const small = await sharp(await png(page([30], 90)))
      .resize({ width: 55, height: 23 })
      .png()
      .toBuffer();
    const line = await prepareLineImage(small);
    expect(line.height).toBe(32);
    expect(line.source).toMatchObject({ width: 55, height: 23 }); // as decoded, before the enlargement
    // The box around the writing, at the quarter scale: x 5-42.5, rows 7.5-13.5 (a pixel of blur each way).
    expect(line.box.x).toBeGreaterThanOrEqual(3);
    expect(line.box.x).toBeLessThanOrEqual(6);
    expect(line.box.x + line.box.width).toBeGreaterThanOrEqual(41);
    expect(line.box.x + line.box.width).toBeLessThanOrEqual(45);
    expect(line.box.y).toBeGreaterThanOrEqual(5);
    expect(line.box.y + line.box.height).toBeLessThanOrEqual(16);
  });

  it('says NO_INK for a blank page', async () => {
    await expect(prepareTextLines(await png(toImage(gradientPage(W, 90), W, 90)))).rejects.toMatchObject({
      code: 'NO_INK',
    });
  });
});
