import type { Rng } from '@hcr/core';
import type { LineConfig, LineKind } from './config.js';
import type { HandStyle } from './ink.js';
import type { ScanStyle } from './scan.js';

const u = (rng: Rng, a: number, b: number) => a + (b - a) * rng.next();

/**
 * How a field of this kind tends to be written, from looking at and measuring the real dev sets: names in
 * narrow block capitals with a thin pen, small and often widely spaced (boxes on paper forms); amounts larger,
 * wider, tighter, on grey textured cheque backgrounds. Every kind still gets the whole range, only the odds differ.
 */
export function pickStyles(
  kind: LineKind,
  clutter: LineConfig['clutter'],
  rng: Rng,
  /**
   * Whether the line is written in pen strokes, and with which pen: a stream of its own, so that every other line
   * draws from `rng` exactly as before strokes existed (the same lines, byte for byte).
   */
  penRng?: Rng,
  /** LineConfig.strokeLines: the share of lines written in strokes, before the kind's factor. */
  strokeLines = 0,
): { hand: HandStyle; scan: ScanStyle } {
  const isName = kind === 'name';
  const isAmount = kind === 'amount';
  const capH = isName ? u(rng, 16, 30) : isAmount ? u(rng, 16, 34) : u(rng, 12, 30);
  // spacing: wide gaps (letters spread along a form field) to overlapping (fast cheque writing)
  const r = rng.next();
  const spread = isName ? [0.45, 0.8, 0.95] : isAmount ? [0.1, 0.55, 0.85] : [0.2, 0.7, 0.9];
  const gap =
    r < spread[0]!
      ? u(rng, 0.3, 1.0)
      : r < spread[1]!
        ? u(rng, 0.02, 0.3)
        : r < spread[2]!
          ? u(rng, -0.08, 0.04)
          : u(rng, -0.14, -0.04);
  const comb = rng.next() < clutter.combBoxes * (isName ? 1.6 : 0.8);
  // names: a quarter more keep to boxes that the crop or the scan lost (wide, even cells, no lines)
  const unboxed = !comb && isName && rng.next() < 0.25;
  // pen: mostly thin (a high threshold on the glyph's soft edge); real strokes are ~1.6-1.8 px at 32 px
  const thin = isName ? 0.85 : isAmount ? 0.7 : 0.6;
  const erode = capH >= 14 && rng.next() < (isName ? 0.7 : isAmount ? 0.45 : 0.4);
  // an eroded pen starts from full strokes; otherwise the glyph's soft edge sets the weight
  const tone = erode ? u(rng, 0.05, 0.3) : rng.next() < thin ? u(rng, 0.45, 0.85) : u(rng, 0.05, 0.4);
  const textured = rng.next() < Math.min(1, clutter.texture * (isAmount ? 2.3 : isName ? 0.15 : 0.8));
  return {
    hand: {
      capH,
      slant: u(rng, -0.12, 0.3),
      gap,
      gapJitter: u(rng, 0.02, 0.12),
      cellW: comb || unboxed ? capH * u(rng, 1.05, 1.6) : undefined,
      unboxed,
      tone,
      dilate: capH > 18 && rng.next() < (isAmount ? 0.12 : 0.1),
      // fine pens: most names, some of everything else (only where strokes are wide enough to survive)
      erode,
      continental: isAmount ? 0.6 : kind === 'name' || kind === 'word' ? 0.3 : 0.45,
      accents: isName ? 0.15 : kind === 'word' || kind === 'mixed' ? 0.05 : 0,
      slashOnes: isAmount ? 0.2 : kind === 'number' || kind === 'date' ? 0.1 : 0.03,
      penCapitals: isName ? 0.5 : kind === 'word' || kind === 'mixed' || kind === 'code' ? 0.15 : 0,
      // block capitals are the names' hand; cheque writers' digits are the amounts'
      strokes:
        penRng &&
        penRng.next() <
          strokeLines * (isName ? 1.25 : isAmount ? 0.5 : kind === 'number' || kind === 'date' ? 0.75 : 1)
          ? { pen: u(penRng, 0.06, 0.16), upright: penRng.next() < 0.5 }
          : undefined,
      sizeJitter: u(rng, 0.02, 0.12),
      // glyph width / height measured on the real sets: form capitals narrower than EMNIST's, cheque digits wider
      aspect: isName ? u(rng, 0.5, 1.05) : isAmount ? u(rng, 0.75, 1.35) : u(rng, 0.6, 1.2),
      warp: u(rng, 0.6, 2.2),
      baselineJitter: u(rng, 0.01, 0.08),
      slope: u(rng, -0.02, 0.02),
    },
    scan: {
      textured,
      // on a grey texture only dark ink stays readable (as on real cheques)
      inkValue: textured ? u(rng, 0, 45) : rng.next() < 0.7 ? u(rng, 0, 60) : u(rng, 40, 110),
      inkOpacity: textured ? u(rng, 0.88, 1) : u(rng, 0.75, 1),
    },
  };
}
