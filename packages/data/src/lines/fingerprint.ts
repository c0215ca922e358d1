import { createRng } from '@hcr/core';
import { sha256 } from '../hash.js';
import type { LineConfig } from './config.js';
import { GLYPH_PARTS, GLYPH_PIXELS, GLYPH_SIDE, type GlyphBank } from './glyphs.js';
import { createLineGenerator } from './render.js';

/** Made-up glyphs per symbol in each part of the probe bank (enough that train and test pools are never empty). */
const PROBE_GLYPHS = 4;
/** Lines drawn per split for the fingerprint. */
const PROBE_LINES = 12;

/**
 * What the line generator draws, as one hash: a few train and test lines rendered with the dataset's config
 * from a small fixed bank of made-up glyphs. Texts, hands, pens, scans and the preprocessing all leave their
 * mark on it, so `prepareLines` rebuilds shards an older generator drew, which the config and the raw files
 * alone would call up to date. Costs a few tens of milliseconds; needs no raw files.
 */
export function generatorFingerprint(config: LineConfig, create = createLineGenerator): string {
  const generator = create(config, probeBank());
  const parts: Uint8Array[] = [];
  for (const split of ['train', 'test'] as const)
    for (let i = 0; i < PROBE_LINES; i++) {
      const { text, line } = generator.render(split, i);
      parts.push(new TextEncoder().encode(`${text}\n${line.width}x${line.height}\n`), line.pixels);
    }
  return sha256(Buffer.concat(parts)).slice(0, 16);
}

/** Every symbol of every part drawn as three thick random strokes: clear ink, fixed for all time. */
function probeBank(): GlyphBank {
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
  for (let g = 0; g < symbols.length; g++)
    for (let stroke = 0; stroke < 3; stroke++) {
      const [x0, y0, x1, y1] = [
        4 + rng.next() * 20,
        4 + rng.next() * 20,
        4 + rng.next() * 20,
        4 + rng.next() * 20,
      ];
      for (let t = 0; t <= 1; t += 1 / 32) {
        const cx = Math.round(x0 + (x1 - x0) * t);
        const cy = Math.round(y0 + (y1 - y0) * t);
        for (let dy = -1; dy <= 1; dy++)
          for (let dx = -1; dx <= 1; dx++) images[g * GLYPH_PIXELS + (cy + dy) * GLYPH_SIDE + cx + dx] = 255;
      }
    }
  return { count: symbols.length, images, symbols: Uint8Array.from(symbols), partStarts };
}
