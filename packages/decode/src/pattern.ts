import { HcrError, type LineAlphabet } from '@hcr/core';
import { checkAlphabet } from './frames.js';
import { shown } from './options.js';
import { type PatternNode, parsePattern, shownPattern } from './pattern-parse.js';
import type { SymbolAutomaton } from './types.js';

const MAX_NFA_STATES = 20_000;
const MAX_DFA_STATES = 4_000;
/** NFA-state visits allowed while building the DFA: bounds the compile time of a hostile pattern (~0.1 s). */
const MAX_WORK = 1_000_000;

/** A pattern as a DFA over alphabet output indices: what the beam follows. */
export interface CompiledPattern extends SymbolAutomaton {
  readonly source: string;
  /** Number of live DFA states. */
  readonly states: number;
}

const tooComplex = (src: string, what: string): HcrError =>
  new HcrError('PATTERN_INVALID', `Invalid pattern ${shownPattern(src)}: ${what}.`, {
    hint: 'Use smaller repeat counts or fewer nested quantifiers.',
  });

/** Thompson construction: epsilon moves plus symbol-set moves. */
class Nfa {
  readonly eps: number[][] = [];
  readonly moves: { mask: Uint8Array; to: number }[][] = [];
  constructor(private readonly src: string) {}
  state(): number {
    if (this.eps.length >= MAX_NFA_STATES)
      throw tooComplex(this.src, `more than ${MAX_NFA_STATES} automaton states`);
    this.eps.push([]);
    this.moves.push([]);
    return this.eps.length - 1;
  }
  /** Builds `node` between fresh states; returns [start, end]. */
  build(node: PatternNode): [number, number] {
    if (node.type === 'set') {
      const s = this.state();
      const e = this.state();
      this.moves[s].push({ mask: node.mask, to: e });
      return [s, e];
    }
    if (node.type === 'cat') {
      const s = this.state();
      let end = s;
      for (const item of node.items) {
        const [a, b] = this.build(item);
        this.eps[end].push(a);
        end = b;
      }
      return [s, end];
    }
    if (node.type === 'alt') {
      const s = this.state();
      const e = this.state();
      for (const item of node.items) {
        const [a, b] = this.build(item);
        this.eps[s].push(a);
        this.eps[b].push(e);
      }
      return [s, e];
    }
    const s = this.state();
    let end = s;
    for (let n = 0; n < node.min; n++) {
      const [a, b] = this.build(node.node);
      this.eps[end].push(a);
      end = b;
    }
    if (node.max === Number.POSITIVE_INFINITY) {
      const [a, b] = this.build(node.node);
      this.eps[end].push(a);
      this.eps[b].push(end); // loop back: any number of further copies
    } else if (node.max > node.min) {
      // Each further copy is optional: before it, a jump straight to the end (keeps closures small).
      const e = this.state();
      for (let n = node.min; n < node.max; n++) {
        const [a, b] = this.build(node.node);
        this.eps[end].push(a, e);
        end = b;
      }
      this.eps[end].push(e);
      end = e;
    }
    return [s, end];
  }
  private work = 0;
  /** Counts NFA-state visits of the DFA construction; too many is an error, not a stalled server. */
  spend(visits: number): void {
    this.work += visits;
    if (this.work > MAX_WORK) throw tooComplex(this.src, 'too many automaton states to build');
  }
  private readonly reachMemo = new Map<number, number[]>();
  /**
   * The states that matter in the epsilon closure of `from`: those with a symbol move, and the accept state
   * (sorted). A DFA state is a union of these, which keeps its sets (and keys) small.
   */
  reach(from: number, accept: number): number[] {
    let out = this.reachMemo.get(from);
    if (out) return out;
    const seen = new Set<number>([from]);
    const stack = [from];
    out = [];
    while (stack.length) {
      const n = stack.pop()!;
      if (this.moves[n].length > 0 || n === accept) out.push(n);
      for (const m of this.eps[n])
        if (!seen.has(m)) {
          seen.add(m);
          stack.push(m);
        }
    }
    this.spend(seen.size);
    out.sort((x, y) => x - y);
    this.reachMemo.set(from, out);
    return out;
  }
}

/**
 * Compile a pattern (README: "Pattern syntax") to a DFA over the alphabet. The whole text must match.
 * With a case-merged alphabet, letters in the pattern are upper-cased. A syntax error, a character outside
 * the alphabet or a pattern that no text of the alphabet matches is an HcrError PATTERN_INVALID.
 */
export function compilePattern(src: string, alphabet: LineAlphabet): CompiledPattern {
  if (typeof src !== 'string')
    throw new HcrError('PATTERN_INVALID', `A pattern is a string, got ${shown(src)}.`, {
      hint: 'Pass a pattern source such as [A-Z]{2}[0-9]{4}.',
    });
  checkAlphabet(alphabet);
  if (src.length === 0)
    throw new HcrError('PATTERN_INVALID', 'The pattern is empty.', {
      hint: 'Pass a pattern such as [A-Z]{2}[0-9]{4}, or no pattern at all.',
    });
  const C = alphabet.size;
  const nfa = new Nfa(src);
  const [start, accept] = nfa.build(parsePattern(src, alphabet));

  // Symbols that every symbol set of the pattern treats alike move the automaton alike: one class each.
  const symbolClass = new Int32Array(C); // class 0 holds the blank, which no set contains
  let classes = 1;
  for (const mask of new Set(nfa.moves.flatMap((ms) => ms.map((m) => m.mask)))) {
    const split = new Map<number, number>();
    for (let k = 0; k < C; k++) {
      const key = symbolClass[k] * 2 + mask[k];
      let c = split.get(key);
      if (c === undefined) {
        c = split.size;
        split.set(key, c);
      }
      symbolClass[k] = c;
    }
    classes = split.size;
  }
  const representative = new Int32Array(classes).fill(-1);
  for (let k = 1; k < C; k++) if (representative[symbolClass[k]] < 0) representative[symbolClass[k]] = k;

  // Subset construction, one move per symbol class.
  const sets: number[][] = [nfa.reach(start, accept)];
  const index = new Map<string, number>([[sets[0].join(','), 0]]);
  const table: number[] = [];
  const byClass = new Int32Array(classes);
  for (let q = 0; q < sets.length; q++) {
    for (let c = 0; c < classes; c++) {
      const k = representative[c];
      const to = new Set<number>();
      if (k > 0)
        for (const n of sets[q])
          for (const m of nfa.moves[n])
            if (m.mask[k]) {
              const r = nfa.reach(m.to, accept);
              nfa.spend(r.length);
              for (const x of r) to.add(x);
            }
      nfa.spend(sets[q].length);
      if (to.size === 0) {
        byClass[c] = -1;
        continue;
      }
      const set = [...to].sort((x, y) => x - y);
      const key = set.join(',');
      let id = index.get(key);
      if (id === undefined) {
        if (sets.length >= MAX_DFA_STATES)
          throw tooComplex(src, `more than ${MAX_DFA_STATES} automaton states`);
        id = sets.length;
        sets.push(set);
        index.set(key, id);
      }
      byClass[c] = id;
    }
    for (let k = 0; k < C; k++) table.push(k === 0 ? -1 : byClass[symbolClass[k]]);
  }
  const n = sets.length;
  const accepting = Uint8Array.from(sets, (set) => (set.includes(accept) ? 1 : 0));

  // Fewest symbols from each state to acceptance (backwards BFS); states that never accept are dead.
  const dist = new Int32Array(n).fill(-1);
  const preds: number[][] = Array.from({ length: n }, () => []);
  for (let q = 0; q < n; q++)
    for (let k = 1; k < C; k++) if (table[q * C + k] >= 0) preds[table[q * C + k]].push(q);
  const queue: number[] = [];
  for (let q = 0; q < n; q++)
    if (accepting[q]) {
      dist[q] = 0;
      queue.push(q);
    }
  for (let h = 0; h < queue.length; h++)
    for (const p of preds[queue[h]])
      if (dist[p] < 0) {
        dist[p] = dist[queue[h]] + 1;
        queue.push(p);
      }
  if (dist[0] < 0)
    throw new HcrError(
      'PATTERN_INVALID',
      `The pattern ${shownPattern(src)} matches no text of the alphabet ${alphabet.id}.`,
      {
        hint: `Check its classes against the characters the reader knows: ${JSON.stringify(alphabet.symbols.slice(1).join(''))}.`,
      },
    );
  const next = Int32Array.from(table, (to) => (to >= 0 && dist[to] >= 0 ? to : -1));
  let live = 0;
  for (let q = 0; q < n; q++) if (dist[q] >= 0) live++;

  return {
    source: src,
    states: live,
    alphabetId: alphabet.id,
    alphabetSize: C,
    start: 0,
    next: (state, symbol) => next[state * C + symbol],
    accepts: (state) => accepting[state] === 1,
    minRemaining: (state) => dist[state],
  };
}
