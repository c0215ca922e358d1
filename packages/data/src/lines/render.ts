import { createRng, encodeLineText, isHcrError, type LineAlphabet, type Rng } from '@hcr/core';
import {
  LINE_KINDS,
  LINE_SPLITS,
  type LineConfig,
  type LineKind,
  type LineSplitName,
  lineConfigAlphabet,
} from './config.js';
import { type GlyphBank, type GlyphPools, glyphPools } from './glyphs.js';
import { layoutInk } from './ink.js';
import { type TrainingLine, toTrainingLine } from './preprocess.js';
import type { Scan } from './scan.js';
import { renderScan } from './scan.js';
import { pickStyles } from './style.js';
import { createTextSource, type TextSource } from './text.js';

export interface RenderedLine {
  /** The text as drawn (case kept); its label is `encodeLineText(text)`. */
  text: string;
  labels: number[];
  kind: LineKind;
  /** Glyph id per label character (-1 for spaces and marks): the provenance the split tests check. */
  glyphIds: number[];
  scan: Scan;
  line: TrainingLine;
}

export interface LineGenerator {
  render(split: LineSplitName, index: number): RenderedLine;
  /** Scans refused so far (the preprocessing lost part of the writing, or found none), by error code. */
  readonly refused: Record<string, number>;
}

/**
 * Every line has its own random stream, seeded from (config seed, split, index): a line does not depend on
 * the lines before it, so workers can render any range and the bytes are the same.
 */
export function lineRng(seed: number, split: LineSplitName, index: number): Rng {
  let h = Math.imul(seed + 0x9e3779b9, 0x85ebca6b) ^ Math.imul(LINE_SPLITS.indexOf(split) + 1, 0xc2b2ae35);
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) ^ Math.imul(index + 1, 0x846ca68b);
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  return createRng((h ^ (h >>> 13)) >>> 0);
}

function pickKind(weights: LineConfig['kindWeights'], rng: Rng): LineKind {
  const total = LINE_KINDS.reduce((a, k) => a + weights[k], 0);
  let r = rng.next() * total;
  for (const k of LINE_KINDS) {
    r -= weights[k];
    if (r < 0 && weights[k] > 0) return k;
  }
  return LINE_KINDS.filter((k) => weights[k] > 0).at(-1)!;
}

export function createLineGenerator(
  config: LineConfig,
  bank: GlyphBank,
  alphabet: LineAlphabet = lineConfigAlphabet(config),
  text: TextSource = createTextSource(alphabet),
): LineGenerator {
  const pools = new Map<LineSplitName, GlyphPools>();
  const poolsFor = (split: LineSplitName) => {
    let p = pools.get(split);
    if (!p) {
      p = glyphPools(bank, split, config.valGlyphFraction, config.seed);
      pools.set(split, p);
    }
    return p;
  };
  const refused: Record<string, number> = {};
  return {
    refused,
    render(split, index) {
      for (let attempt = 0; ; attempt++) {
        // a scan the preprocessing refuses (no ink left, too wide) is drawn again from a derived stream
        const rng = lineRng(config.seed + attempt * 0x10001, split, index);
        const kind = pickKind(config.kindWeights, rng);
        const s = text.generate(kind, rng, config.minLength, config.maxLength);
        const strokes = config.strokeLines ?? 0;
        const penRng =
          strokes > 0 ? lineRng(config.seed + attempt * 0x10001 + 0x5eed, split, index) : undefined;
        const styles = pickStyles(kind, config.clutter, rng, penRng, strokes);
        const layout = layoutInk(s, styles.hand, bank, poolsFor(split), rng);
        const scan = renderScan(layout, kind, styles.scan, config.clutter, rng);
        let line: TrainingLine;
        try {
          line = toTrainingLine(scan, config.height);
        } catch (e) {
          if (attempt < 6 && isHcrError(e)) {
            refused[e.code] = (refused[e.code] ?? 0) + 1;
            continue;
          }
          throw e;
        }
        return { text: s, labels: encodeLineText(s, alphabet), kind, glyphIds: layout.glyphIds, scan, line };
      }
    },
  };
}
