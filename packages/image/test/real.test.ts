import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeImage, devSet, sharedDataDir } from '../scripts/dev-images.js';
import { prepareLineImage, prepareTextLines } from '../src/decode/index.js';
import { type GreyImage, preprocessLine } from '../src/index.js';
import { rotateGrey } from '../src/skew.js';

const names = devSet('handwritten-names-dev');
const amounts = devSet('handwritten-amounts-dev');
if (!names || !amounts) {
  console.warn(
    `real dev images not found under ${sharedDataDir()} (set HCR_DATA_DIR): real-scan tests skipped`,
  );
}

/** The image (its first channel) on more of its own paper: `pad` rows and columns of its median grey around it. */
function onMorePaper(img: GreyImage, pad: number): GreyImage {
  const { width, height } = img;
  const ch = img.channels ?? 1;
  const grey = new Uint8Array(width * height);
  for (let i = 0; i < grey.length; i++) grey[i] = img.data[i * ch];
  const paper = [...grey].sort((a, b) => a - b)[grey.length >> 1];
  const w = width + 2 * pad;
  const data = new Uint8Array(w * (height + 2 * pad)).fill(paper);
  for (let y = 0; y < height; y++) data.set(grey.subarray(y * width, (y + 1) * width), (y + pad) * w + pad);
  return { width: w, height: height + 2 * pad, data };
}

/** The image (its first channel) turned by `degrees` on a canvas that holds it all, the corners its median grey. */
function turnedBy(img: GreyImage, degrees: number): GreyImage {
  const ch = img.channels ?? 1;
  const grey = new Float32Array(img.width * img.height);
  for (let i = 0; i < grey.length; i++) grey[i] = img.data[i * ch]!;
  const paper = [...grey].sort((a, b) => a - b)[grey.length >> 1]!;
  const r = rotateGrey(grey, img.width, img.height, degrees, paper);
  return { width: r.width, height: r.height, data: r.grey };
}

/** Share of the line's pixels that are ink (> 127). */
function inkShare(pixels: Uint8Array): number {
  let n = 0;
  for (const v of pixels) if (v > 127) n++;
  return n / pixels.length;
}

describe.skipIf(!names || !amounts)('real dev scans', () => {
  it('turns the first names and amounts into clean 32-px lines', async () => {
    for (const set of [names!, amounts!]) {
      for (const item of set.items.slice(0, 16)) {
        const line = preprocessLine(await decodeImage(item.file));
        expect(line.height).toBe(32);
        expect(line.polarity).toBe('dark-on-light');
        // About 4-24 columns per character at 26 px of ink band; some ink, and not a filled box.
        const chars = item.label.replace(/\s/g, '').length;
        expect(line.width).toBeGreaterThan(3 * chars);
        expect(line.width).toBeLessThan(40 * chars + 16);
        expect(inkShare(line.pixels)).toBeGreaterThan(0.05);
        expect(inkShare(line.pixels)).toBeLessThan(0.5);
      }
    }
  });

  it('drops "PRENOM :" beside a name and keeps every digit of an amount', async () => {
    // names[0]: "PRENOM :" printed left of ANTOINE, which starts at about x 86 of 388.
    const name = preprocessLine(await decodeImage(names!.items[0].file));
    expect(name.labelRemoved).toBe(true);
    expect(name.crop.x).toBeGreaterThan(75);
    // amounts[31]: "21.749" with a wide gap after the separator; the "21" must stay.
    const amount = preprocessLine(await decodeImage(amounts!.items[31].file));
    expect(amount.labelRemoved).toBe(false);
    expect(amount.crop.x).toBeLessThan(15);
  });

  it("reads a name's accent as part of its line, not as a line of its own (LÉO in name-0119 and name-0290)", async () => {
    const lines = async (file: string) =>
      prepareTextLines(readFileSync(names!.items.find((it) => it.file.endsWith(file))!.file));
    // name-0119: the printed label PRENOM above the name; name-0290: the name alone.
    expect(await lines('name-0119.jpg')).toHaveLength(2);
    expect(await lines('name-0290.jpg')).toHaveLength(1);
  });

  it('finds the same name in a form crop laid on more paper (the cut and the box side are inside the image)', async () => {
    // name-0011 (VALLON): a box side down the left and the stubs of the line above; name-0054 (ELENA): the top
    // half of a bold printed row below, cut off by the crop. Both were read as cut, and lost on more paper.
    for (const file of ['name-0011.jpg', 'name-0054.jpg']) {
      const img = await decodeImage(names!.items.find((it) => it.file.endsWith(file))!.file);
      const pad = Math.round(0.05 * img.height);
      const cut = preprocessLine(img).crop;
      const padded = preprocessLine(onMorePaper(img, pad)).crop;
      expect(Math.abs(padded.x - pad - cut.x), file).toBeLessThanOrEqual(2);
      expect(Math.abs(padded.y - pad - cut.y), file).toBeLessThanOrEqual(2);
      expect(Math.abs(padded.width - cut.width), file).toBeLessThanOrEqual(4);
      expect(Math.abs(padded.height - cut.height), file).toBeLessThanOrEqual(4);
    }
  });

  it('turns names written at an angle flat again: the angle found, most lines as long as the name as cut', async () => {
    for (const degrees of [-8, 8]) {
      let asLong = 0;
      let asLongLying = 0;
      for (const item of names!.items.slice(0, 8)) {
        const img = await decodeImage(item.file);
        const cut = preprocessLine(img);
        const tilted = turnedBy(img, degrees);
        const line = preprocessLine(tilted);
        expect(Math.abs(line.skew - degrees), item.label).toBeLessThanOrEqual(3);
        if (Math.abs(line.width - cut.width) <= 0.15 * cut.width) asLong++;
        // read as it lies, the band takes in the slope and the name shrinks
        const lying = preprocessLine(tilted, { deskew: false });
        if (Math.abs(lying.width - cut.width) <= 0.15 * cut.width) asLongLying++;
      }
      // Not all 8 (6 each way, against 1 and 0 read as they lie): a printed "PRENOM :" turned twice (DONVAL)
      // no longer sits on its line to the pixel, and is kept beside the name.
      expect(asLong, `${degrees} degrees`).toBeGreaterThanOrEqual(6);
      expect(asLongLying, `${degrees} degrees, as it lies`).toBeLessThanOrEqual(2);
    }
  });

  it('a note of amounts pasted apart on a page is SEVERAL_LINES, not the dash left of one band', async () => {
    // Three cheque crops laid apart on a light page: the band preprocessLine kept outweighed its rivals, but its
    // clean-up left a 16-px dash, which was read as "" at 96% instead of refusing the note.
    const layout: [string, number, number, number, number][] = [
      ['amount-0010', 498, 180, 383, 78],
      ['amount-0252', 396, 105, 831, 347],
      ['amount-0113', 341, 82, 1238, 524],
    ];
    const crops = [];
    for (const [id, width, height, left, top] of layout) {
      const item = amounts!.items.find((i) => i.file.endsWith(`${id}.jpg`))!;
      crops.push({ input: await sharp(readFileSync(item.file)).resize(width, height).toBuffer(), left, top });
    }
    const page = { width: 1834, height: 1094, channels: 3 as const, background: { r: 230, g: 230, b: 230 } };
    const note = await sharp({ create: page }).composite(crops).jpeg({ quality: 90 }).toBuffer();
    await expect(prepareLineImage(note)).rejects.toMatchObject({
      code: 'SEVERAL_LINES',
      details: { lines: 3 },
    });
  });

  it('reads a name photographed at 3x with its form rows around it as the field, not as a note', async () => {
    // Name crops whose writing is under a quarter of their height at 3x, with 1-2 printed form rows around it:
    // read as a field (the name's row far outweighs the printed ones), where they were SEVERAL_LINES.
    const crops = ['name-0097', 'name-0111', 'name-0117', 'name-0148', 'name-0152', 'name-0166'];
    for (const id of crops) {
      const item = names!.items.find((i) => i.file.endsWith(`${id}.jpg`))!;
      const bytes = readFileSync(item.file);
      const { width } = await sharp(bytes).metadata();
      const photo = await sharp(bytes)
        .resize({ width: 3 * width! })
        .jpeg({ quality: 90 })
        .toBuffer();
      // The printed rows are lines of their own on the page, yet the image read as a field is the name.
      expect((await prepareTextLines(photo)).length, id).toBeGreaterThan(1);
      expect((await prepareLineImage(photo)).width, id).toBeGreaterThan(32);
    }
  });

  it('reads a name pasted on an empty white page as the crop itself', async () => {
    // names[0]: "PRENOM : ANTOINE" on white paper. Pasted on 150 px of white, its line was "PRENOM : ANT" in a
    // grey smear (the ink threshold fell to the JPEG's ringing); only the page's emptiness tells page from crop.
    const bytes = readFileSync(names!.items[0].file);
    const white = { r: 255, g: 255, b: 255 };
    const page = await sharp(bytes)
      .extend({ top: 150, bottom: 150, left: 150, right: 150, background: white })
      .png()
      .toBuffer();
    const cut = await prepareLineImage(bytes);
    const pasted = await prepareLineImage(page);
    expect(Math.abs(pasted.width - cut.width)).toBeLessThanOrEqual(0.1 * cut.width);
    // The box is where the name lies on the page: the crop's, moved by the margin.
    expect(Math.abs(pasted.box.x - 150 - cut.box.x)).toBeLessThanOrEqual(3);
    expect(Math.abs(pasted.box.width - cut.box.width)).toBeLessThanOrEqual(6);
    expect(inkShare(pasted.pixels)).toBeLessThan(inkShare(cut.pixels) + 0.05);
  });
});
