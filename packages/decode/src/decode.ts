import { HcrError, type LineAlphabet } from '@hcr/core';
import { bestAlignment, textLogProb } from './align.js';
import { prefixBeamSearch } from './beam.js';
import { bestPathLabels } from './bestpath.js';
import { classMask, twinFold } from './classes.js';
import { checkAlphabet, checkFrames, type FrameScores, frameScores } from './frames.js';
import type { CharLanguageModel } from './language-model.js';
import {
  checkMinSymbolProb,
  checkOptionKeys,
  checkRange,
  DEFAULT_BEAM,
  DEFAULT_LM_WEIGHT,
  DEFAULT_TOP_K,
  MAX_BEAM,
  MAX_TOP_K,
  shown,
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
  return decodeCtcEnsemble([probs], frames, alphabet, opts);
}

/**
 * One line's probabilities from an ensemble, stacked reader after reader (row-major [members, frames, symbols]:
 * what @hcr/eval's readLines and @hcr/serve-onnx's infer give), as one view per reader for decodeCtcEnsemble.
 */
export function memberProbs<T extends Float32Array | Float64Array>(stacked: T, members: number): T[] {
  if (!(stacked instanceof Float32Array || stacked instanceof Float64Array))
    throw new HcrError(
      'DECODE_INPUT_INVALID',
      `memberProbs takes a Float32Array or Float64Array, got ${shown(stacked)}.`,
      { hint: "Pass the line's probabilities stacked reader after reader, [members, frames, symbols]." },
    );
  if (!Number.isInteger(members) || members < 1 || stacked.length % members !== 0)
    throw new HcrError(
      'DECODE_INPUT_INVALID',
      `${stacked.length} values cannot be split between ${members} readers.`,
      { hint: "Pass the line's probabilities stacked reader after reader, [members, frames, symbols]." },
    );
  const block = stacked.length / members;
  return Array.from({ length: members }, (_, m) => stacked.subarray(m * block, (m + 1) * block) as T);
}

/**
 * Read one line from several readers' probabilities for it (members trained apart, e.g. with other seeds,
 * sharing the alphabet and the frame stride): each member's beam proposes texts, and every proposed text is
 * scored by the mean over members of log p(text | member's frames), i.e. the geometric mean of their CTC
 * likelihoods, so readers whose alignments peak at different frames still agree on a text. `confidence` is
 * that geometric mean; a character's confidence is the mean of its peak probability in each member's best
 * alignment, its frames those of the first member. One member is exactly `decodeCtc`.
 */
export function decodeCtcEnsemble(
  members: readonly (Float32Array | Float64Array)[],
  frames: number,
  alphabet: LineAlphabet,
  opts: DecodeOptions = {},
): ReadResult {
  if (!Array.isArray(members) || members.length === 0)
    throw new HcrError('DECODE_INPUT_INVALID', 'decodeCtcEnsemble needs at least one member.', {
      hint: "Pass each reader's probabilities for the line, row-major [frames, alphabet.size].",
    });
  for (const probs of members) checkFrames(probs, frames, alphabet);
  const { beam, topK, minSymbolProb, mask, fold, automata, lm, lmWeight } = prepare(opts, alphabet);
  const greedy = beam === 1 && automata.length === 0 && !lm;
  const scores = members.map((probs) =>
    frameScores(probs, frames, alphabet.size, mask, minSymbolProb, !greedy, fold),
  );
  const text = (labels: number[]) => labels.map((k) => alphabet.symbols[k]).join('');
  const logProb = (labels: number[]) => {
    let sum = 0;
    for (const s of scores) sum += textLogProb(s, labels);
    return sum / scores.length;
  };

  if (greedy && scores.length === 1) {
    const path = bestPathLabels(scores[0]);
    const t = text(path.labels);
    const confidence = Math.exp(logProb(path.labels));
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

  // Each member's beam proposes texts (its best path when greedy), rescored exactly (forward algorithm) by
  // every member. One reader rescores the first topK of its beam (every text with a language model, ranked
  // by the image and the model together); several rescore every text of each beam, as a text one member
  // ranks low may be what they agree on best.
  const proposals = lm || scores.length > 1 ? beam : topK;
  const proposed = new Map<string, number[]>();
  for (const s of scores) {
    const labelLists = greedy
      ? [bestPathLabels(s).labels]
      : searchOrRetry(s, beam, automata)
          .slice(0, proposals)
          .map((h) => h.labels);
    for (const labels of labelLists) proposed.set(labels.join(','), labels);
  }
  const rank = (h: { labels: number[]; logProb: number }) =>
    lm ? h.logProb + lmWeight * lm.logProb(h.labels) : h.logProb;
  const hits = [...proposed.values()]
    .map((labels) => ({ labels, logProb: logProb(labels) }))
    .filter((h) => h.logProb > Number.NEGATIVE_INFINITY)
    .map((h) => ({ ...h, score: rank(h) }))
    .sort((a, b) => b.score - a.score)
    .slice(0, topK);
  if (hits.length === 0)
    return { text: '', confidence: 0, characters: [], alternatives: [], constraintUnsatisfied: true };
  const best = hits[0];
  const alignments = scores.map((s) => bestAlignment(s, best.labels));
  return {
    text: text(best.labels),
    confidence: Math.exp(best.logProb),
    characters: alignments[0].map((sp, i) => ({
      char: alphabet.symbols[best.labels[i]],
      confidence: alignments.reduce((sum, a) => sum + a[i].maxProb, 0) / alignments.length,
      start: sp.start,
      end: sp.end,
    })),
    alternatives: hits.map((h) => ({ text: text(h.labels), confidence: Math.exp(h.logProb) })),
    constraintUnsatisfied: false,
  };
}

/**
 * The beam search, once more at the widest beam when it found nothing under a pattern or lexicon. Its
 * feasibility check counts the symbols a prefix still needs, not the blank CTC needs between two equal ones
 * (AA needs 3 frames), so a narrow beam can fill with prefixes that cannot finish and prune the one that can;
 * the retry costs only lines that would otherwise read as constraintUnsatisfied.
 */
function searchOrRetry(s: FrameScores, beam: number, automata: SymbolAutomaton[]) {
  const hits = prefixBeamSearch(s, beam, automata);
  if (hits.length > 0 || automata.length === 0 || beam >= MAX_BEAM) return hits;
  return prefixBeamSearch(s, MAX_BEAM, automata).slice(0, beam);
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
  checkAlphabet(alphabet);
  checkOptionKeys(opts);
  const beam = checkRange('beam', opts.beam, 1, MAX_BEAM, DEFAULT_BEAM);
  const topK = checkRange('topK', opts.topK, 1, MAX_TOP_K, DEFAULT_TOP_K);
  const minSymbolProb = checkMinSymbolProb(opts.minSymbolProb);
  const mask = classMask(opts.classes, alphabet);
  // Checked, not tested for truth: the string 'false' (a query parameter passed on) would have folded.
  if (opts.foldTwins !== undefined && typeof opts.foldTwins !== 'boolean')
    throw new HcrError(
      'DECODE_OPTION_INVALID',
      `foldTwins must be true or false, got ${shown(opts.foldTwins)}.`,
      { hint: 'Pass foldTwins: false to drop the mass of forbidden twins, or leave it out (true).' },
    );
  const fold = opts.classes !== undefined && opts.foldTwins !== false ? twinFold(mask, alphabet) : undefined;
  const automata: SymbolAutomaton[] = [];
  if (opts.pattern !== undefined)
    automata.push(
      typeof opts.pattern === 'string'
        ? cachedPattern(opts.pattern, alphabet)
        : automatonOption(
            'pattern',
            opts.pattern,
            'a pattern source or what compilePattern(source, alphabet) returns',
            "Pass the source, e.g. pattern: '[A-Z]{2}\\d{4}', or compile it once with compilePattern(source, alphabet).",
          ),
    );
  if (opts.lexicon !== undefined)
    automata.push(
      automatonOption(
        'lexicon',
        opts.lexicon,
        'what createLexicon(words, alphabet) returns',
        'A word list is not a lexicon: build it once with createLexicon(words, alphabet) and pass the result for every line.',
      ),
    );
  for (const a of automata) checkAutomaton(a, alphabet);
  const lm = opts.languageModel;
  if (lm !== undefined && (typeof lm !== 'object' || lm === null || typeof lm.logProb !== 'function'))
    throw new HcrError(
      'DECODE_OPTION_INVALID',
      `languageModel must be what createCharLanguageModel(words, alphabet) returns, got ${shown(lm)}.`,
      {
        hint: 'A word list is not a language model: build it once with createCharLanguageModel(words, alphabet) and pass the result for every line.',
      },
    );
  if (lm && lm.alphabetId !== alphabet.id)
    throw new HcrError(
      'DECODE_OPTION_INVALID',
      `A language model built for the alphabet ${lm.alphabetId} cannot decode ${alphabet.id}.`,
      { hint: "Build it with the reader's own alphabet (createCharLanguageModel(words, reader.alphabet))." },
    );
  const lmWeight = opts.languageModelWeight ?? DEFAULT_LM_WEIGHT;
  if (typeof lmWeight !== 'number' || !(lmWeight >= 0 && lmWeight <= 5))
    throw new HcrError(
      'DECODE_OPTION_INVALID',
      `languageModelWeight must be a number in [0, 5], got ${shown(lmWeight)}.`,
      {
        hint: `Use ${DEFAULT_LM_WEIGHT} (the default) or leave it out.`,
      },
    );
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

/** A pattern or lexicon option that is an automaton, or DECODE_OPTION_INVALID (e.g. a word array as lexicon). */
function automatonOption(name: string, value: unknown, want: string, hint: string): SymbolAutomaton {
  const a = value as SymbolAutomaton | null;
  if (typeof a !== 'object' || a === null || typeof a.next !== 'function' || typeof a.accepts !== 'function')
    throw new HcrError('DECODE_OPTION_INVALID', `${name} must be ${want}, got ${shown(value)}.`, { hint });
  // An automaton of one's own (SymbolAutomaton): without minRemaining the beam threw a TypeError, without
  // start it followed `undefined` and read nothing, without alphabetId it was "built for the alphabet undefined".
  const missing = [
    Number.isInteger(a.start) ? '' : 'start (a state number)',
    typeof a.minRemaining === 'function' ? '' : 'minRemaining(state)',
    typeof a.alphabetId === 'string' && Number.isInteger(a.alphabetSize) ? '' : 'alphabetId and alphabetSize',
  ].filter(Boolean);
  if (missing.length > 0)
    throw new HcrError(
      'DECODE_OPTION_INVALID',
      `${name} is an automaton without ${missing.join(', ')}: a SymbolAutomaton has start, next, accepts, minRemaining, alphabetId and alphabetSize.`,
      { hint },
    );
  return a;
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
