import { describe, expect, it } from 'vitest';
import { decodeImage, devSet, sharedDataDir } from '../scripts/dev-images.js';
import { preprocessLine } from '../src/index.js';

const names = devSet('handwritten-names-dev');
const amounts = devSet('handwritten-amounts-dev');
if (!names || !amounts) {
  console.warn(
    `real dev images not found under ${sharedDataDir()} (set HCR_DATA_DIR): real-scan tests skipped`,
  );
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
});
