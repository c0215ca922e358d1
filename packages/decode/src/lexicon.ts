import { canonicalLineText, foldAccents, HcrError, type LineAlphabet } from '@hcr/core';
import { checkAlphabet } from './frames.js';
import { shown } from './options.js';
import type { SymbolAutomaton } from './types.js';
/**
 * A word list as a trie automaton: a text is accepted when it is words of the list joined by single spaces or
 * hyphens (compound names such as JEAN-MICHEL are two first names).
 */
export interface Lexicon extends SymbolAutomaton {
  /** Distinct words kept. */
  readonly words: number;
  /** Distinct words dropped because they hold characters outside the alphabet, plus entries that are not strings. */
  readonly skipped: number;
  /** True when `text` (canonicalised like a read) is accepted. */
  has(text: string): boolean;
}

/**
 * Build a lexicon for the alphabet. Entries are folded like @hcr/eval's lexicon words (accents removed: ÉLISE is
 * ELISE), canonicalised like reads (upper-cased for a case-merged alphabet) and split on whitespace into words;
 * words with characters outside the alphabet, and entries that are not strings, are skipped (counted in
 * `skipped`, each distinct word once). A case-sensitive alphabet accepts each word as listed, with each
 * hyphen-separated part capitalised, in capitals and title-cased (`DURAND` reads `Durand`, `jean-michel` reads
 * `Jean-Michel`). No usable word at all is an HcrError LEXICON_EMPTY.
 */
export function createLexicon(words: Iterable<string>, alphabet: LineAlphabet): Lexicon {
  checkWordList(words, 'createLexicon');
  checkAlphabet(alphabet);
  const C = alphabet.size;
  const code = new Map(alphabet.symbols.map((s, k) => [s, k] as const).filter(([, k]) => k > 0));
  const space = code.get(' ') ?? -1;
  const hyphen = code.get('-') ?? -1;
  // The word list as a trie of nodes (node 0 the root).
  const child = new Map<number, number>();
  const parent: number[] = [-1];
  const terminal: number[] = [0];
  let kept = 0;
  let skipped = 0;
  const seen = new Set<string>();
  const bad = new Set<string>();
  for (const entry of words) {
    if (typeof entry !== 'string') {
      skipped++; // String(null) would list the word NULL
      continue;
    }
    const plain = /[^\p{ASCII}]/u.test(entry) ? foldAccents(entry) : entry; // NFD only where it can matter
    for (const word of canonicalLineText(plain, alphabet).split(' ')) {
      if (word === '' || seen.has(word) || bad.has(word)) continue;
      const labels = [...word].map((ch) => code.get(ch) ?? -1);
      if (labels.includes(-1)) {
        bad.add(word);
        skipped++;
        continue;
      }
      seen.add(word);
      for (const variant of alphabet.caseMerged ? [word] : caseVariants(word, alphabet)) {
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
      `The lexicon has no word the alphabet ${alphabet.id} can write${skipped ? ` (${skipped} skipped: not text or characters outside it)` : ''}.`,
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
  // The trie's children as flat per-node lists (CSR).
  const nodes = parent.length;
  const tStart = new Int32Array(nodes + 1);
  for (let n = 1; n < nodes; n++) tStart[parent[n] + 1]++;
  for (let n = 0; n < nodes; n++) tStart[n + 1] += tStart[n];
  const tSym = new Int32Array(nodes);
  const tNode = new Int32Array(nodes);
  const fill = tStart.slice(0, nodes);
  for (const [key, c] of child) {
    const n = Math.floor(key / C);
    tSym[fill[n]] = key - n * C;
    tNode[fill[n]++] = c;
  }

  // Determinised: after a word that a listed hyphenated word continues (JEAN of JEAN-MICHEL), a hyphen may
  // go on in that word or start any word (JEAN-PAUL), so a state is a set of trie nodes. Nearly all are one
  // node, and state n is trie node n; a set of several (a set is fixed by its deepest node, so there are few)
  // is state nodes + j, with its own moves. A space after a word end starts a word.
  const multi: number[][] = [];
  const multiIndex = new Map<string, number>();
  const stateOf = (set: number[]): number => {
    const nodesIn = [...new Set(set)].sort((x, y) => x - y);
    if (nodesIn.length === 1) return nodesIn[0];
    const key = nodesIn.join(',');
    let j = multiIndex.get(key);
    if (j === undefined) {
      j = multi.length;
      multi.push(nodesIn);
      multiIndex.set(key, j);
    }
    return nodes + j;
  };
  const trieChild = (n: number, k: number): number => {
    for (let i = tStart[n]; i < tStart[n + 1]; i++) if (tSym[i] === k) return tNode[i];
    return -1;
  };
  // A hyphen after a word end: the root, or also the listed hyphenated word's continuation.
  const hyphenTo = new Int32Array(nodes).fill(-1);
  if (hyphen > 0)
    for (let n = 0; n < nodes; n++)
      if (terminal[n]) {
        const c = trieChild(n, hyphen);
        hyphenTo[n] = c < 0 ? 0 : stateOf([c, 0]);
      }
  const mStart: number[] = [0];
  const mSym: number[] = [];
  const mTo: number[] = [];
  const mAccepts: number[] = [];
  const mRemaining: number[] = [];
  for (let j = 0; j < multi.length; j++) {
    const set = multi[j];
    const end = set.some((n) => terminal[n] === 1);
    const moves = new Map<number, number[]>();
    const add = (k: number, c: number) => {
      const to = moves.get(k);
      if (to) to.push(c);
      else moves.set(k, [c]);
    };
    for (const n of set) for (let i = tStart[n]; i < tStart[n + 1]; i++) add(tSym[i], tNode[i]);
    if (end && hyphen > 0) add(hyphen, 0);
    if (end && space > 0) moves.set(space, [0]);
    for (const [k, to] of moves) {
      mSym.push(k);
      mTo.push(stateOf(to));
    }
    mStart.push(mSym.length);
    mAccepts.push(end ? 1 : 0);
    mRemaining.push(Math.min(...set.map((n) => toEnd[n])));
  }
  const next = (state: number, k: number): number => {
    if (state >= nodes) {
      const j = state - nodes;
      for (let i = mStart[j]; i < mStart[j + 1]; i++) if (mSym[i] === k) return mTo[i];
      return -1;
    }
    if (k === space) return terminal[state] ? 0 : -1;
    if (k === hyphen && terminal[state]) return hyphenTo[state];
    // Children as flat per-node lists: a short scan beats a hash lookup in the beam's inner loop.
    for (let i = tStart[state]; i < tStart[state + 1]; i++) if (tSym[i] === k) return tNode[i];
    return -1;
  };
  const accepts = (state: number) => (state < nodes ? terminal[state] === 1 : mAccepts[state - nodes] === 1);
  return {
    alphabetId: alphabet.id,
    alphabetSize: C,
    words: kept,
    skipped,
    start: 0,
    next,
    accepts,
    minRemaining: (state) => (state < nodes ? toEnd[state] : mRemaining[state - nodes]),
    has(text) {
      let state = 0;
      for (const ch of canonicalLineText(typeof text === 'string' ? foldAccents(text) : '', alphabet)) {
        const k = code.get(ch);
        if (k === undefined) return false;
        state = next(state, k);
        if (state < 0) return false;
      }
      return accepts(state);
    },
  };
}

/**
 * A word as listed, with each hyphen-separated part capitalised, in capitals and with each part title-cased
 * (capital then lower case), canonical for the alphabet (one form when case is merged).
 */
export function caseVariants(word: string, alphabet: LineAlphabet): Set<string> {
  const parts = (f: (part: string) => string) => word.split('-').map(f).join('-');
  const capitalised = parts((w) => w.charAt(0).toUpperCase() + w.slice(1));
  const titled = parts((w) => w.charAt(0).toUpperCase() + w.slice(1).toLowerCase());
  return new Set([word, capitalised, word.toUpperCase(), titled].map((w) => canonicalLineText(w, alphabet)));
}

/**
 * DECODE_INPUT_INVALID for a word list that is one string (iterated, it was a list of single letters: the
 * lines of a file not yet split) or not iterable at all.
 */
export function checkWordList(words: unknown, fn: string): void {
  if (
    typeof words === 'string' ||
    words === null ||
    typeof (words as Iterable<unknown>)?.[Symbol.iterator] !== 'function'
  )
    throw new HcrError(
      'DECODE_INPUT_INVALID',
      `${fn} takes a list of words, not ${typeof words === 'string' ? 'one string (its characters would be the words)' : shown(words)}.`,
      { hint: "Pass an array of words, e.g. text.split('\\n') of a word list file (one word per line)." },
    );
}
