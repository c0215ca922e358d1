import type { LineAlphabet } from '@hcr/core';
import { classMask, twinFold } from './classes.js';
import { checkFrames, type FrameScores, frameScores } from './frames.js';
import type { CharacterClass } from './types.js';

export interface BestPath {
  labels: number[];
  /** Frame span and peak probability of each label on the path. */
  spans: { start: number; end: number; maxProb: number }[];
}

/** Greedy decoding on prepared frames: the most likely symbol per frame, repeats merged, blanks dropped. */
export function bestPathLabels(s: FrameScores): BestPath {
  const { frames, size: C, p: probs } = s;
  const labels: number[] = [];
  const spans: BestPath['spans'] = [];
  let prev = 0;
  for (let t = 0; t < frames; t++) {
    let best = 0;
    for (let k = 1; k < C; k++) if (probs[t * C + k] > probs[t * C + best]) best = k;
    const p = probs[t * C + best];
    if (best !== 0 && best === prev) {
      const span = spans[spans.length - 1];
      span.end = t + 1;
      span.maxProb = Math.max(span.maxProb, p);
    } else if (best !== 0) {
      labels.push(best);
      spans.push({ start: t, end: t + 1, maxProb: p });
    }
    prev = best;
  }
  return { labels, spans };
}

/**
 * Best-path text of one line: `probs` row-major [frames, alphabet.size] (extra padded rows ignored),
 * optionally restricted to a character class. Same as `decodeCtc(..., { beam: 1 }).text`.
 */
export function bestPath(
  probs: Float32Array | Float64Array,
  frames: number,
  alphabet: LineAlphabet,
  classes?: CharacterClass,
): string {
  checkFrames(probs, frames, alphabet);
  const mask = classMask(classes, alphabet);
  const fold = classes === undefined ? undefined : twinFold(mask, alphabet);
  const s = frameScores(probs, frames, alphabet.size, mask, 1, false, fold);
  return bestPathLabels(s)
    .labels.map((k) => alphabet.symbols[k])
    .join('');
}
