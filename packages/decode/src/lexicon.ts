import { canonicalLineText, HcrError, type LineAlphabet } from '@hcr/core';
import type { SymbolAutomaton } from './types.js';

/**
 * A word list as a trie automaton: a text is accepted when it is words of the list joined by single spaces or
 * hyphens (compound names such as JEAN-MICHEL are two first names).
 */
export interface Lexicon extends SymbolAutomaton {
  /** Distinct words kept. */
  readonly words: number;
  /** Entries dropped because they hold characters outside the alphabet. */
  readonly skipped: number;
  /** True when `text` (canonicalised like a read) is accepted. */
  has(text: string): boolean;
}

/**
 * Build a lexicon for the alphabet. Entries are canonicalised like reads (upper-cased for a case-merged
 * alphabet) and split on whitespace into words; words with characters outside the alphabet are skipped
 * (counted in `skipped`). A case-sensitive alphabet accepts each word as listed, capitalised and in capitals
 * (a list's `Martin` is read from a form's `MARTIN` too). No usable word at all is an HcrError LEXICON_EMPTY.
 */
export function createLexicon(words: Iterable<string>, alphabet: LineAlphabet): Lexicon {
  const C = alphabet.size;
  const code = new Map(alphabet.symbols.map((s, k) => [s, k] as const).filter(([, k]) => k > 0));
  const space = code.get(' ') ?? -1;
  const hyphen = code.get('-') ?? -1;
  const child = new Map<number, number>();
  const parent: number[] = [-1];
  const terminal: number[] = [0];
  let kept = 0;
  let skipped = 0;
  const seen = new Set<string>();
  for (const entry of words) {
    for (const word of canonicalLineText(String(entry), alphabet).split(' ')) {
      if (word === '' || seen.has(word)) continue;
      const labels = [...word].map((ch) => code.get(ch) ?? -1);
      if (labels.includes(-1)) {
        skipped++;
        continue;
      }
      seen.add(word);
      for (const variant of caseVariants(word, alphabet)) {
        const ks = [...variant].map((ch) => code.get(ch) ?? -1);
        if (ks.includes(-1)) continue; // a capital the alphabet lacks: the word as listed is kept
        let node = 0;
        for (const k of ks) {
          let c = child.get(node * C + k);
          if (c === undefined) {
            c = parent.length;
            parent.push(node);
            terminal.push(0);
            child.set(node * C + k, c);
          }
          node = c;
        }
        terminal[node] = 1;
      }
      kept++;
    }
  }
  if (kept === 0)
    throw new HcrError(
      'LEXICON_EMPTY',
      `The lexicon has no word the alphabet ${alphabet.id} can write${skipped ? ` (${skipped} skipped for characters outside it)` : ''}.`,
      {
        hint: `Give a word list, one word per line, written with ${JSON.stringify(alphabet.symbols.slice(1).join(''))}.`,
      },
    );
  // Fewest symbols to a word end; children always come after their parent, so one reverse pass suffices.
  const toEnd = new Int32Array(parent.length).fill(0x3fffffff);
  for (let n = parent.length - 1; n >= 0; n--) {
    if (terminal[n]) toEnd[n] = 0;
    if (n > 0) toEnd[parent[n]] = Math.min(toEnd[parent[n]], toEnd[n] + 1);
  }
  // Children as flat per-node lists (CSR): a short scan beats a hash lookup in the beam's inner loop.
  const nodes = parent.length;
  const start = new Int32Array(nodes + 1);
  for (let n = 1; n < nodes; n++) start[parent[n] + 1]++;
  for (let n = 0; n < nodes; n++) start[n + 1] += start[n];
  const kidSym = new Int32Array(nodes);
  const kidNode = new Int32Array(nodes);
  const fill = start.slice(0, nodes);
  for (const [key, c] of child) {
    const n = Math.floor(key / C);
    kidSym[fill[n]] = key - n * C;
    kidNode[fill[n]++] = c;
  }
  const next = (state: number, k: number): number => {
    if (k === space) return terminal[state] ? 0 : -1;
    for (let i = start[state]; i < start[state + 1]; i++) if (kidSym[i] === k) return kidNode[i];
    // A hyphen inside a listed word (above) continues it; after a whole word it joins the next one.
    if (k === hyphen) return terminal[state] ? 0 : -1;
    return -1;
  };
  return {
    alphabetId: alphabet.id,
    alphabetSize: C,
    words: kept,
    skipped,
    start: 0,
    next,
    accepts: (state) => terminal[state] === 1,
    minRemaining: (state) => toEnd[state],
    has(text) {
      let state = 0;
      for (const ch of canonicalLineText(text, alphabet)) {
        const k = code.get(ch);
        if (k === undefined) return false;
        state = next(state, k);
        if (state < 0) return false;
      }
      return terminal[state] === 1;
    },
  };
}

/** A word as listed, capitalised and in capitals, canonical for the alphabet (one form when case is merged). */
function caseVariants(word: string, alphabet: LineAlphabet): Set<string> {
  const capitalised = word.charAt(0).toUpperCase() + word.slice(1);
  return new Set([word, capitalised, word.toUpperCase()].map((w) => canonicalLineText(w, alphabet)));
}
