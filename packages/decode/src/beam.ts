import type { FrameScores } from './frames.js';
import { logAdd } from './logmath.js';
import type { SymbolAutomaton } from './types.js';

const NEG = Number.NEGATIVE_INFINITY;

export interface BeamHit {
  labels: number[];
  /** The beam's own estimate of log p(labels): alignments through pruned prefixes are missing. */
  logProb: number;
}

/**
 * Every prefix ever created, as a trie: one id per distinct label sequence, so probabilities of alignments
 * that reach the same text merge by id. Each prefix carries the state of every automaton it follows.
 */
class PrefixTrie {
  readonly parent: number[] = [-1];
  readonly last: number[] = [-1];
  readonly states: Int32Array[];
  private readonly child = new Map<number, number>();
  constructor(
    private readonly C: number,
    starts: number[],
  ) {
    this.states = starts.map((s) => {
      const a = new Int32Array(1024);
      a[0] = s;
      return a;
    });
  }
  get size(): number {
    return this.parent.length;
  }
  childOf(id: number, k: number, states: ArrayLike<number>): number {
    const key = id * this.C + k;
    let c = this.child.get(key);
    if (c !== undefined) return c;
    c = this.parent.length;
    this.parent.push(id);
    this.last.push(k);
    for (let a = 0; a < this.states.length; a++) {
      if (c >= this.states[a].length) {
        const grown = new Int32Array(this.states[a].length * 2);
        grown.set(this.states[a]);
        this.states[a] = grown;
      }
      this.states[a][c] = states[a];
    }
    this.child.set(key, c);
    return c;
  }
  labels(id: number): number[] {
    const out: number[] = [];
    for (; id > 0; id = this.parent[id]) out.push(this.last[id]);
    return out.reverse();
  }
}

/**
 * CTC prefix beam search in log space: each prefix keeps p(ending in blank) and p(ending in its last
 * symbol), so a repeated symbol needs a blank between its copies. Extensions must be allowed by every
 * automaton and leave enough frames to reach acceptance; at the end only accepting prefixes count.
 * Returns up to `keep` hits, best first.
 */
export function prefixBeamSearch(
  s: FrameScores,
  beam: number,
  automata: readonly SymbolAutomaton[],
  keep: number,
): BeamHit[] {
  const T = s.frames;
  const C = s.size;
  const lp = s.logp;
  const nA = automata.length;
  const trie = new PrefixTrie(
    C,
    automata.map((a) => a.start),
  );
  const childStates = new Int32Array(nA);

  let ids = [0];
  let pb = [0];
  let pnb = [NEG];
  const slot = new Map<number, number>();
  let nIds: number[] = [];
  let nPb: number[] = [];
  let nPnb: number[] = [];
  const at = (id: number): number => {
    let i = slot.get(id);
    if (i === undefined) {
      i = nIds.length;
      slot.set(id, i);
      nIds.push(id);
      nPb.push(NEG);
      nPnb.push(NEG);
    }
    return i;
  };

  for (let t = 0; t < T; t++) {
    const row = t * C;
    const left = T - 1 - t; // frames after this one
    slot.clear();
    nIds = [];
    nPb = [];
    nPnb = [];
    for (let b = 0; b < ids.length; b++) {
      const id = ids[b];
      const total = logAdd(pb[b], pnb[b]);
      const last = trie.last[id];
      let i = at(id);
      nPb[i] = logAdd(nPb[i], total + lp[row]);
      if (last > 0) nPnb[i] = logAdd(nPnb[i], pnb[b] + lp[row + last]);
      for (let c = s.candStart[t]; c < s.candStart[t + 1]; c++) {
        const k = s.cand[c];
        let ok = true;
        for (let a = 0; a < nA && ok; a++) {
          const next = automata[a].next(trie.states[a][id], k);
          if (next < 0 || automata[a].minRemaining(next) > left) ok = false;
          childStates[a] = next;
        }
        if (!ok) continue;
        const child = trie.childOf(id, k, childStates);
        i = at(child);
        const from = k === last ? pb[b] : total;
        nPnb[i] = logAdd(nPnb[i], from + lp[row + k]);
      }
    }
    const order = rank(nPb, nPnb);
    if (t === T - 1) return finish(order, nIds, nPb, nPnb, trie, automata, keep);
    const n = Math.min(beam, order.length);
    ids = new Array(n);
    pb = new Array(n);
    pnb = new Array(n);
    for (let j = 0; j < n; j++) {
      ids[j] = nIds[order[j]];
      pb[j] = nPb[order[j]];
      pnb[j] = nPnb[order[j]];
    }
  }
  // No frames: only the empty text, with probability 1.
  return finish([0], [0], [0], [NEG], trie, automata, keep);
}

/** Slots with a non-zero probability, most probable first. */
function rank(pb: number[], pnb: number[]): number[] {
  const total = pb.map((b, i) => logAdd(b, pnb[i]));
  const order: number[] = [];
  for (let i = 0; i < total.length; i++) if (total[i] > NEG) order.push(i);
  return order.sort((a, b) => total[b] - total[a]);
}

function finish(
  order: number[],
  ids: number[],
  pb: number[],
  pnb: number[],
  trie: PrefixTrie,
  automata: readonly SymbolAutomaton[],
  keep: number,
): BeamHit[] {
  const hits: BeamHit[] = [];
  for (const i of order) {
    const id = ids[i];
    if (!automata.every((a, j) => a.accepts(trie.states[j][id]))) continue;
    hits.push({ labels: trie.labels(id), logProb: logAdd(pb[i], pnb[i]) });
    if (hits.length >= keep) break;
  }
  return hits;
}
