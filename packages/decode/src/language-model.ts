import { canonicalLineText, foldAccents, HcrError, type LineAlphabet } from '@hcr/core';
import { checkAlphabet } from './frames.js';
import { caseVariants, checkWordList } from './lexicon.js';
import { shown } from './options.js';

/**
 * A character n-gram model of words, for soft context: unlike a lexicon it does not forbid a text, it makes
 * likely spellings (THOMAS) beat unlikely ones (THOHAS) that the reader found nearly as probable.
 */
export interface CharLanguageModel {
  readonly alphabetId: string;
  readonly order: number;
  /** Distinct words it was estimated from. */
  readonly words: number;
  /**
   * log p(text) as a whole sequence: its words (split at spaces, hyphens and apostrophes), each with its end,
   * and after each word the separator that follows it or the end of the text. The empty text is one empty word.
   */
  logProb(labels: ArrayLike<number>): number;
}

export interface CharLanguageModelOptions {
  /** Characters of context plus one (3: trigrams). Default 3. */
  order?: number;
  /** Add-k smoothing of every count. Default 0.5. */
  smoothing?: number;
}

/**
 * Estimate a character n-gram model from a word list (entries canonicalised like reads; words with
 * characters outside the alphabet are skipped). No usable word is an HcrError LANGUAGE_MODEL_EMPTY.
 */
export function createCharLanguageModel(
  words: Iterable<string>,
  alphabet: LineAlphabet,
  options: CharLanguageModelOptions = {},
): CharLanguageModel {
  checkWordList(words, 'createCharLanguageModel');
  checkAlphabet(alphabet);
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    throw new HcrError('DECODE_OPTION_INVALID', `The options must be an object, got ${shown(options)}.`, {
      hint: 'Pass { order, smoothing }, e.g. { order: 3 }, or leave them out.',
    });
  for (const key of Object.keys(options))
    if (key !== 'order' && key !== 'smoothing')
      throw new HcrError(
        'DECODE_OPTION_INVALID',
        `unknown option '${key}' of createCharLanguageModel; the options are order, smoothing.`,
        { hint: 'Check the spelling (see CharLanguageModelOptions in the @hcr/decode README).' },
      );
  const { order = 3, smoothing = 0.5 } = options;
  if (!Number.isInteger(order) || order < 1 || order > 6)
    throw new HcrError('DECODE_OPTION_INVALID', `order must be a whole number from 1 to 6, got ${order}.`, {
      hint: 'Use 3 (trigrams, the default) for names.',
    });
  // Infinity made every probability NaN, and the beam's texts were then ranked in no order.
  if (typeof smoothing !== 'number' || !(smoothing > 0 && smoothing < Number.POSITIVE_INFINITY))
    throw new HcrError(
      'DECODE_OPTION_INVALID',
      `smoothing must be a number above 0, got ${shown(smoothing)}.`,
      {
        hint: 'Use 0.5 (the default).',
      },
    );
  const C = alphabet.size;
  const separators = new Set([' ', '-', "'"].map((s) => alphabet.symbols.indexOf(s)).filter((k) => k > 0));
  const code = new Map(alphabet.symbols.map((s, k) => [s, k] as const).filter(([, k]) => k > 0));
  // Symbol ids inside the model: alphabet indices; 0 (the blank's index) marks the start and the end of a word.
  // A history of order-1 symbols is one number in base C (start marks are 0s), an event history * C + next.
  const historySpan = C ** (order - 1);
  const events = (labels: readonly number[], fn: (history: number, event: number) => void) => {
    let history = 0;
    for (let i = 0; i <= labels.length; i++) {
      const next = i < labels.length ? labels[i]! : 0;
      fn(history, history * C + next);
      history = (history * C + next) % historySpan;
    }
  };
  const counts = new Map<number, number>();
  const contexts = new Map<number, number>();
  const seen = new Set<string>();
  // What follows a word in an entry: a separator (ANNE-MARIE) or the end of the entry, counted per distinct entry.
  const after = new Map<number, number>(); // separator symbol, or 0 for the end
  const entries = new Set<string>();
  for (const entry of words) {
    if (typeof entry !== 'string') continue;
    // Accents removed as createLexicon does (ÉLISE is ELISE): the same list given as lexicon and as model
    // kept HÉLÈNE in the one and dropped it from the other (É is in no reader's alphabet).
    const text = canonicalLineText(/[^\p{ASCII}]/u.test(entry) ? foldAccents(entry) : entry, alphabet);
    if (text === '' || entries.has(text)) continue;
    entries.add(text);
    for (const ch of text) {
      const k = code.get(ch);
      if (k !== undefined && separators.has(k)) after.set(k, (after.get(k) ?? 0) + 1);
    }
    after.set(0, (after.get(0) ?? 0) + 1);
    for (const listed of text.split(/[ \-']/)) {
      if (listed === '') continue;
      // with case, each word also in capitals and title-cased, as createLexicon keeps it: a list in capitals
      // made a title-cased read (Thomas) improbable, every lower-case letter unseen
      for (const word of alphabet.caseMerged ? [listed] : caseVariants(listed, alphabet)) {
        if (seen.has(word)) continue;
        const labels = [...word].map((ch) => code.get(ch) ?? -1);
        if (labels.includes(-1)) continue;
        seen.add(word);
        events(labels, (history, event) => {
          counts.set(event, (counts.get(event) ?? 0) + 1);
          contexts.set(history, (contexts.get(history) ?? 0) + 1);
        });
      }
    }
  }
  if (seen.size === 0)
    throw new HcrError('LANGUAGE_MODEL_EMPTY', 'The word list has no word made of the reader’s characters.', {
      hint: 'Pass a list of words (one per line) written with the letters the reader reads.',
    });
  // outcomes: every symbol but the separators, plus the end of a word
  const outcomes = C - 1 - separators.size + 1;
  const wordLogProb = (labels: number[]) => {
    let lp = 0;
    events(labels, (history, event) => {
      lp += Math.log(
        ((counts.get(event) ?? 0) + smoothing) / ((contexts.get(history) ?? 0) + smoothing * outcomes),
      );
    });
    return lp;
  };
  // After each word the text goes on with a separator or ends (add-k smoothed like the letters), so a text
  // is a whole sequence: the empty text is one empty word (log p(end | start), unlikely) then the end, and a
  // separator, trailing or not, costs its probability and the word after it.
  let afterTotal = 0;
  for (const n of after.values()) afterTotal += n;
  const afterLogProb = (k: number) =>
    Math.log(((after.get(k) ?? 0) + smoothing) / (afterTotal + smoothing * (separators.size + 1)));
  return {
    alphabetId: alphabet.id,
    order,
    words: seen.size,
    logProb(labels) {
      let lp = 0;
      let word: number[] = [];
      for (let i = 0; i <= labels.length; i++) {
        const k = i < labels.length ? labels[i]! : 0;
        if (k === 0 || separators.has(k)) {
          lp += wordLogProb(word) + afterLogProb(k);
          word = [];
        } else word.push(k);
      }
      return lp;
    },
  };
}
