import { HcrError, type LineAlphabet } from '@hcr/core';
import { type PatternNode, parsePattern } from './pattern-parse.js';
import type { SymbolAutomaton } from './types.js';

const MAX_NFA_STATES = 20_000;
const MAX_DFA_STATES = 4_000;

/** A pattern as a DFA over alphabet output indices: what the beam follows. */
export interface CompiledPattern extends SymbolAutomaton {
  readonly source: string;
  /** Number of live DFA states. */
  readonly states: number;
}

const tooComplex = (src: string, what: string): HcrError =>
  new HcrError('PATTERN_INVALID', `Invalid pattern ${JSON.stringify(src)}: ${what}.`, {
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
    } else
      for (let n = node.min; n < node.max; n++) {
        const [a, b] = this.build(node.node);
        const e = this.state();
        this.eps[end].push(a, e); // each further copy is optional
        this.eps[b].push(e);
        end = e;
      }
    return [s, end];
  }
  closure(states: Iterable<number>): number[] {
    const seen = new Set<number>(states);
    const stack = [...seen];
    while (stack.length)
      for (const n of this.eps[stack.pop()!])
        if (!seen.has(n)) {
          seen.add(n);
          stack.push(n);
        }
    return [...seen].sort((a, b) => a - b);
  }
}

/**
 * Compile a pattern (README: "Pattern syntax") to a DFA over the alphabet. The whole text must match.
 * With a case-merged alphabet, letters in the pattern are upper-cased. A syntax error, a character outside
 * the alphabet or a pattern that no text of the alphabet matches is an HcrError PATTERN_INVALID.
 */
export function compilePattern(src: string, alphabet: LineAlphabet): CompiledPattern {
  if (typeof src !== 'string' || src.length === 0)
    throw new HcrError('PATTERN_INVALID', 'The pattern is empty.', {
      hint: 'Pass a pattern such as [A-Z]{2}[0-9]{4}, or no pattern at all.',
    });
  const C = alphabet.size;
  const nfa = new Nfa(src);
  const [start, accept] = nfa.build(parsePattern(src, alphabet));

  // Subset construction over the symbols 1..C-1.
  const sets: number[][] = [nfa.closure([start])];
  const index = new Map<string, number>([[sets[0].join(','), 0]]);
  const table: number[] = [];
  for (let q = 0; q < sets.length; q++) {
    for (let k = 0; k < C; k++) {
      const to = new Set<number>();
      if (k > 0) for (const n of sets[q]) for (const m of nfa.moves[n]) if (m.mask[k]) to.add(m.to);
      if (to.size === 0) {
        table.push(-1);
        continue;
      }
      const set = nfa.closure(to);
      const key = set.join(',');
      let id = index.get(key);
      if (id === undefined) {
        if (sets.length >= MAX_DFA_STATES)
          throw tooComplex(src, `more than ${MAX_DFA_STATES} automaton states`);
        id = sets.length;
        sets.push(set);
        index.set(key, id);
      }
      table.push(id);
    }
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
      `The pattern ${JSON.stringify(src)} matches no text of the alphabet ${alphabet.id}.`,
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
