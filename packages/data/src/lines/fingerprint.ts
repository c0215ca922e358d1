import { createRng } from '@hcr/core';
import { sha256 } from '../hash.js';
import type { LineConfig } from './config.js';
import { GLYPH_PARTS, GLYPH_PIXELS, GLYPH_SIDE, type GlyphBank } from './glyphs.js';
import { createLineGenerator } from './render.js';

/** Made-up glyphs per symbol in each part of a probe bank (enough that train and test pools are never empty). */
const PROBE_GLYPHS = 4;
/** Lines drawn per split and probe bank for the fingerprint. */
const PROBE_LINES = 12;

/**
 * What the line generator draws, as one hash: train and test lines rendered with the dataset's config from two
 * small fixed banks of made-up glyphs. Clear ink (thick strokes) shows the texts, hands, pens and scans; faint,
 * thin, broken strokes reach the edge cases of the preprocessing's ink rules (specks, grain, faint writing), which
 * refuse a line and have it drawn again. The speck and grain rules of d8d1754 redrew 6 of configs/lines.json's
 * 27,000 lines and no clear probe line; the faint probe lines changed with them. So
 * `prepareLines` rebuilds shards an older generator drew, which the config and the raw files alone would call up
 * to date. Costs a few hundred milliseconds; needs no raw files.
 */
export function generatorFingerprint(config: LineConfig, create = createLineGenerator): string {
  const parts: Uint8Array[] = [];
  for (const ink of ['clear', 'faint'] as const) {
    const generator = create(config, probeBank(ink));
    for (const split of ['train', 'test'] as const)
      for (let i = 0; i < PROBE_LINES; i++) {
        const { text, line } = generator.render(split, i);
        parts.push(new TextEncoder().encode(`${text}\n${line.width}x${line.height}\n`), line.pixels);
      }
  }
  return sha256(Buffer.concat(parts)).slice(0, 16);
}

/**
 * Every symbol of every part drawn as three random strokes, fixed for all time: `clear`, 3 px wide at full ink;
 * `faint`, 1 px wide at 90-209 of 255 with a quarter of the stroke's points left out.
 */
function probeBank(ink: 'clear' | 'faint'): GlyphBank {
  const rng = createRng(20261201);
  const symbols: number[] = [];
  const partStarts: number[] = [];
  for (const part of GLYPH_PARTS) {
    partStarts.push(symbols.length);
    const [first, last] = part.labels;
    for (let s = first; s <= last; s++) for (let k = 0; k < PROBE_GLYPHS; k++) symbols.push(s);
  }
  partStarts.push(symbols.length);
  const images = new Uint8Array(symbols.length * GLYPH_PIXELS);
  const r = ink === 'clear' ? 1 : 0;
  for (let g = 0; g < symbols.length; g++) {
    const level = ink === 'clear' ? 255 : 90 + Math.floor(rng.next() * 120);
    for (let stroke = 0; stroke < 3; stroke++) {
      const [x0, y0, x1, y1] = [
        4 + rng.next() * 20,
        4 + rng.next() * 20,
        4 + rng.next() * 20,
        4 + rng.next() * 20,
      ];
      for (let t = 0; t <= 1; t += 1 / 32) {
        if (ink === 'faint' && rng.next() < 0.25) continue;
        const cx = Math.round(x0 + (x1 - x0) * t);
        const cy = Math.round(y0 + (y1 - y0) * t);
        for (let dy = -r; dy <= r; dy++)
          for (let dx = -r; dx <= r; dx++)
            images[g * GLYPH_PIXELS + (cy + dy) * GLYPH_SIDE + cx + dx] = level;
      }
    }
  }
  return { count: symbols.length, images, symbols: Uint8Array.from(symbols), partStarts };
}
