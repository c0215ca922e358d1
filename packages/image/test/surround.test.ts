import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { prepareLineImage } from '../src/decode/index.js';
import { contentWithinEmptyMargins, paperWithinBorder } from '../src/surround.js';
import { drawLetters, toImage } from './helpers.js';

/** A 120x40 field: paper of grey `paper` with HIT- written on it (3-px strokes, 24 px high). */
function field(paper = 200): Float32Array {
  const page = new Float32Array(120 * 40).fill(paper);
  drawLetters(page, 120, 20, 8);
  return page;
}

/** The field laid at (left, top) on a surface `width` x `height` of grey `surface`. */
function onSurface(surface: number, width: number, height: number, left: number, top: number) {
  const f = field();
  const page = new Float32Array(width * height).fill(surface);
  for (let y = 0; y < 40; y++) page.set(f.subarray(y * 120, (y + 1) * 120), (top + y) * width + left);
  return toImage(page, width, height);
}

describe('paperWithinBorder: a field photographed on a desk or pasted on a page of another tone', () => {
  it('finds the paper inside a dark desk and inside a white margin, 2 px in from its edges', () => {
    for (const surface of [40, 255])
      expect(paperWithinBorder(onSurface(surface, 400, 300, 150, 130)), `surface ${surface}`).toEqual({
        x: 152,
        y: 132,
        width: 116,
        height: 36,
      });
  });

  it('cuts only the sides with a border (a field at the desk corner)', () => {
    // The field at the left edge, its top on the desk's 50 rows and its right on 60 columns.
    expect(paperWithinBorder(onSurface(40, 180, 90, 0, 50))).toEqual({ x: 0, y: 52, width: 118, height: 38 });
  });

  it('leaves alone a field whose paper reaches its edges, however much of its middle is ink, and a thin frame', () => {
    expect(paperWithinBorder(toImage(field(), 120, 40))).toBeUndefined();
    // Bold writing (9-px strokes) filling the middle: the paper at the edges is the field's own, common inside.
    const bold = new Float32Array(120 * 40).fill(200);
    for (let dx = 0; dx < 7; dx++) for (let dy = 0; dy < 4; dy++) drawLetters(bold, 120, 14 + dx, 4 + dy);
    expect(paperWithinBorder(toImage(bold, 120, 40))).toBeUndefined();
    // A shadow over the field's right half: its edge columns are of one darker tone, but reached by a slope.
    const shaded = field();
    for (let y = 0; y < 40; y++)
      for (let x = 60; x < 120; x++) shaded[y * 120 + x] *= 1 - (0.55 * (x - 60)) / 59;
    expect(paperWithinBorder(toImage(shaded, 120, 40))).toBeUndefined();
    // A printed box 2 px thick around the field: the rule remover's job.
    const boxed = field();
    for (let y = 0; y < 40; y++)
      for (let x = 0; x < 120; x++) if (x < 2 || x >= 118 || y < 2 || y >= 38) boxed[y * 120 + x] = 20;
    expect(paperWithinBorder(toImage(boxed, 120, 40))).toBeUndefined();
  });

  it('reads a field on a desk as the field alone, its box where the field lies in the photo', async () => {
    const png = (img: { data: Float32Array | ArrayLike<number>; width: number; height: number }) =>
      sharp(Buffer.from(Uint8Array.from(img.data as ArrayLike<number>, Math.round)), {
        raw: { width: img.width, height: img.height, channels: 1 },
      })
        .png()
        .toBuffer();
    const alone = await prepareLineImage(await png(toImage(field(), 120, 40)));
    const onDesk = await prepareLineImage(await png(onSurface(40, 400, 300, 150, 130)));
    expect(onDesk.width).toBe(alone.width);
    let diff = 0;
    for (let i = 0; i < alone.pixels.length; i++) diff += Math.abs(alone.pixels[i]! - onDesk.pixels[i]!);
    expect(diff / alone.pixels.length).toBeLessThan(3);
    expect(onDesk.box.x - alone.box.x).toBe(150);
    expect(onDesk.box.y - alone.box.y).toBe(130);
  });
});

describe('contentWithinEmptyMargins: a field pasted on an empty page of its own tone', () => {
  /** A white field with HIT- on it, pasted on a white page: no step between them, only the page's emptiness. */
  const pasted = () => {
    const page = new Float32Array(400 * 300).fill(255);
    const f = field(255);
    for (let y = 0; y < 40; y++) page.set(f.subarray(y * 120, (y + 1) * 120), (130 + y) * 400 + 150);
    return toImage(page, 400, 300);
  };

  it('finds what lies inside the empty margins, 0.15 of its height of them kept', () => {
    // HIT- lies at x 20-89, y 8-31 of the field (drawLetters), so at 170-239, 138-161 of the page.
    const box = contentWithinEmptyMargins(pasted())!;
    expect(box).toEqual({ x: 166, y: 134, width: 78, height: 32 });
    expect(paperWithinBorder(pasted())).toBeUndefined();
  });

  it('leaves alone a crop with empty paper on some sides only, a grainy page and a blank one', () => {
    // The field as cut: its writing reaches no edge, but 8 rows over it are no page's margin.
    expect(contentWithinEmptyMargins(toImage(field(255), 120, 40))).toBeUndefined();
    // Writing against the right edge: three empty sides are not enough.
    const right = new Float32Array(400 * 300).fill(255);
    drawLetters(right, 400, 320, 130);
    expect(contentWithinEmptyMargins(toImage(right, 400, 300))).toBeUndefined();
    // Paper with the grain of a photo (20 levels): no row is empty to the pixel.
    const grainy = pasted();
    let seed = 1;
    const data = grainy.data as Float32Array;
    for (let i = 0; i < data.length; i++) {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      data[i] = Math.min(255, data[i]! - 20 * (seed / 2147483648));
    }
    expect(contentWithinEmptyMargins(grainy)).toBeUndefined();
    expect(
      contentWithinEmptyMargins(toImage(new Float32Array(200 * 100).fill(255), 200, 100)),
    ).toBeUndefined();
  });
});
