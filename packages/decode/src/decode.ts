import { HcrError, type LineAlphabet } from '@hcr/core';
import { bestAlignment, textLogProb } from './align.js';
import { prefixBeamSearch } from './beam.js';
import { bestPathLabels } from './bestpath.js';
import { classMask, twinFold } from './classes.js';
import { checkFrames, frameScores } from './frames.js';
import type { CharLanguageModel } from './language-model.js';
import {
  checkMinSymbolProb,
  checkRange,
  DEFAULT_BEAM,
  DEFAULT_LM_WEIGHT,
  DEFAULT_TOP_K,
  MAX_BEAM,
  MAX_TOP_K,
} from './options.js';
import { compilePattern } from './pattern.js';
import type { DecodeOptions, ReadResult, SymbolAutomaton } from './types.js';

/**
 * Read one line from the reader's per-frame probabilities: `probs` row-major [>= frames, alphabet.size]
 * (rows past `frames`, e.g. batch padding, are ignored). Best path for `beam: 1` without pattern or lexicon,
 * otherwise constrained CTC prefix beam search; every returned text is rescored exactly (forward algorithm).
 */
export function decodeCtc(
  probs: Float32Array | Float64Array,
  frames: number,
  alphabet: LineAlphabet,
  opts: DecodeOptions = {},
): ReadResult {
  checkFrames(probs, frames, alphabet);
  const { beam, topK, minSymbolProb, mask, fold, automata, lm, lmWeight } = prepare(opts, alphabet);
  const greedy = beam === 1 && automata.length === 0 && !lm;
  const s = frameScores(probs, frames, alphabet.size, mask, minSymbolProb, !greedy, fold);
  const text = (labels: number[]) => labels.map((k) => alphabet.symbols[k]).join('');

  if (greedy) {
    const path = bestPathLabels(s);
    const t = text(path.labels);
    const confidence = Math.exp(textLogProb(s, path.labels));
    return {
      text: t,
      confidence,
      characters: path.spans.map((sp, i) => ({
        char: alphabet.symbols[path.labels[i]],
        confidence: sp.maxProb,
        start: sp.start,
        end: sp.end,
      })),
      alternatives: [{ text: t, confidence }],
      constraintUnsatisfied: false,
    };
  }

  // The beam's estimates rank the texts; the first topK are rescored exactly (forward algorithm). With a
  // language model every text of the beam is rescored and ranked by the image and the model together.
  const rank = (h: { labels: number[]; logProb: number }) =>
    lm ? h.logProb + lmWeight * lm.logProb(h.labels) : h.logProb;
  const hits = prefixBeamSearch(s, beam, automata)
    .slice(0, lm ? beam : topK)
    .map((h) => ({ labels: h.labels, logProb: textLogProb(s, h.labels) }))
    .filter((h) => h.logProb > Number.NEGATIVE_INFINITY)
    .map((h) => ({ ...h, score: rank(h) }))
    .sort((a, b) => b.score - a.score)
    .slice(0, topK);
  if (hits.length === 0)
    return { text: '', confidence: 0, characters: [], alternatives: [], constraintUnsatisfied: true };
  const best = hits[0];
  const spans = bestAlignment(s, best.labels);
  return {
    text: text(best.labels),
    confidence: Math.exp(best.logProb),
    characters: spans.map((sp, i) => ({
      char: alphabet.symbols[best.labels[i]],
      confidence: sp.maxProb,
      start: sp.start,
      end: sp.end,
    })),
    alternatives: hits.map((h) => ({ text: text(h.labels), confidence: Math.exp(h.logProb) })),
    constraintUnsatisfied: false,
  };
}

interface Prepared {
  lm?: CharLanguageModel;
  lmWeight: number;
  beam: number;
  topK: number;
  minSymbolProb: number;
  mask: Uint8Array;
  /** Twin folding under a class (undefined: none). */
  fold?: readonly number[][];
  automata: SymbolAutomaton[];
}

function prepare(opts: DecodeOptions, alphabet: LineAlphabet): Prepared {
  const beam = checkRange('beam', opts.beam, 1, MAX_BEAM, DEFAULT_BEAM);
  const topK = checkRange('topK', opts.topK, 1, MAX_TOP_K, DEFAULT_TOP_K);
  const minSymbolProb = checkMinSymbolProb(opts.minSymbolProb);
  const mask = classMask(opts.classes, alphabet);
  const fold = opts.classes !== undefined && opts.foldTwins !== false ? twinFold(mask, alphabet) : undefined;
  const automata: SymbolAutomaton[] = [];
  if (opts.pattern !== undefined)
    automata.push(typeof opts.pattern === 'string' ? cachedPattern(opts.pattern, alphabet) : opts.pattern);
  if (opts.lexicon !== undefined) automata.push(opts.lexicon);
  for (const a of automata) checkAutomaton(a, alphabet);
  const lm = opts.languageModel;
  if (lm && lm.alphabetId !== alphabet.id)
    throw new HcrError(
      'DECODE_OPTION_INVALID',
      `A language model built for the alphabet ${lm.alphabetId} cannot decode ${alphabet.id}.`,
      { hint: "Build it with the reader's own alphabet (createCharLanguageModel(words, reader.alphabet))." },
    );
  const lmWeight = opts.languageModelWeight ?? DEFAULT_LM_WEIGHT;
  if (!(lmWeight >= 0 && lmWeight <= 5))
    throw new HcrError('DECODE_OPTION_INVALID', `languageModelWeight must be in [0, 5], got ${lmWeight}.`, {
      hint: `Use ${DEFAULT_LM_WEIGHT} (the default) or leave it out.`,
    });
  return { beam, topK, minSymbolProb, mask, fold, automata, lm, lmWeight };
}

/**
 * Check decode options once, before running the model (an HTTP handler answers 400 with the HcrError), and
 * return them with the pattern compiled, ready to pass to decodeCtc for every line of a request.
 */
export function validateDecodeOptions(opts: DecodeOptions, alphabet: LineAlphabet): DecodeOptions {
  const { beam, topK, minSymbolProb } = prepare(opts, alphabet);
  const pattern = typeof opts.pattern === 'string' ? cachedPattern(opts.pattern, alphabet) : opts.pattern;
  return { ...opts, beam, topK, minSymbolProb, pattern };
}

/** Compiled patterns by alphabet, so a batch or a stream of requests compiles each pattern once. */
const patternCache = new WeakMap<LineAlphabet, Map<string, SymbolAutomaton>>();
function cachedPattern(src: string, alphabet: LineAlphabet): SymbolAutomaton {
  let cache = patternCache.get(alphabet);
  if (!cache) {
    cache = new Map();
    patternCache.set(alphabet, cache);
  }
  let p = cache.get(src);
  if (!p) {
    p = compilePattern(src, alphabet);
    if (cache.size >= 128) cache.delete(cache.keys().next().value!); // oldest first
    cache.set(src, p);
  }
  return p;
}

function checkAutomaton(a: SymbolAutomaton, alphabet: LineAlphabet): void {
  if (a.alphabetId !== alphabet.id || a.alphabetSize !== alphabet.size)
    throw new HcrError(
      'DECODE_OPTION_INVALID',
      `A pattern or lexicon built for the alphabet ${a.alphabetId} (${a.alphabetSize} symbols) cannot decode ${alphabet.id} (${alphabet.size}).`,
      {
        hint: "Build it with the reader's own alphabet (compilePattern / createLexicon with reader.alphabet).",
      },
    );
}
