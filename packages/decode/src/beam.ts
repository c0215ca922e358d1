import type { FrameScores } from './frames.js';
import type { SymbolAutomaton } from './types.js';

export interface BeamHit {
  labels: number[];
  /** The beam's own estimate of log p(labels): alignments through pruned prefixes are missing. */
  logProb: number;
}

/**
 * Every prefix ever kept, as a trie: one id per distinct label sequence, so alignments that reach the same
 * text merge by id. Each prefix carries the state of every automaton it follows.
 */
class PrefixTrie {
  readonly parent: number[] = [-1];
  readonly last: number[] = [-1];
  readonly states: number[][];
  private readonly child = new Map<number, number>();
  constructor(
    private readonly C: number,
    starts: number[],
  ) {
    this.states = starts.map((s) => [s]);
  }
  childOf(id: number, k: number, states: ArrayLike<number>): number {
    const key = id * this.C + k;
    let c = this.child.get(key);
    if (c !== undefined) return c;
    c = this.parent.length;
    this.parent.push(id);
    this.last.push(k);
    for (let a = 0; a < this.states.length; a++) this.states[a].push(states[a]);
    this.child.set(key, c);
    return c;
  }
  labels(id: number): number[] {
    const out: number[] = [];
    for (; id > 0; id = this.parent[id]) out.push(this.last[id]);
    return out.reverse();
  }
}

/** Min-heap of candidate indices by score, holding at most `cap`: the best `cap` candidates seen. */
class TopK {
  readonly idx: Int32Array;
  size = 0;
  constructor(
    readonly cap: number,
    private readonly score: Float64Array,
  ) {
    this.idx = new Int32Array(cap);
  }
  /** Would a candidate with this score get in? */
  admits(s: number): boolean {
    return this.size < this.cap || s > this.score[this.idx[0]];
  }
  push(i: number): void {
    const { idx, score } = this;
    let j: number;
    if (this.size < this.cap) {
      j = this.size++;
      while (j > 0) {
        const up = (j - 1) >> 1;
        if (score[idx[up]] <= score[i]) break;
        idx[j] = idx[up];
        j = up;
      }
      idx[j] = i;
      return;
    }
    j = 0; // replace the minimum and sift down
    for (;;) {
      let c = 2 * j + 1;
      if (c >= this.size) break;
      if (c + 1 < this.size && score[idx[c + 1]] < score[idx[c]]) c++;
      if (score[idx[c]] >= score[i]) break;
      idx[j] = idx[c];
      j = c;
    }
    idx[j] = i;
  }
}

/**
 * CTC prefix beam search. Each prefix keeps p(ending in blank) and p(ending in its last symbol), so a
 * repeated symbol needs a blank between its copies. Probabilities are rescaled every frame so the best
 * prefix has total 1 (the log of the scale is accumulated): log-space range without a log per addition.
 * Extensions must be allowed by every automaton and leave enough frames to reach acceptance; at the last
 * frame only accepting prefixes count. Returns up to `beam` hits, best first.
 */
export function prefixBeamSearch(
  s: FrameScores,
  beam: number,
  automata: readonly SymbolAutomaton[],
): BeamHit[] {
  const T = s.frames;
  const C = s.size;
  const p = s.p;
  const nA = automata.length;
  const trie = new PrefixTrie(
    C,
    automata.map((a) => a.start),
  );
  const next = new Int32Array(nA);
  const feasible = (id: number, left: number): boolean => {
    for (let a = 0; a < nA; a++) {
      const st = trie.states[a][id];
      if (left === 0 ? !automata[a].accepts(st) : automata[a].minRemaining(st) > left) return false;
    }
    return true;
  };
  if (T === 0) return feasible(0, 0) ? [{ labels: [], logProb: 0 }] : [];

  // The beam (double-buffered) and the candidates of the next frame: stayers first, then extensions.
  // At most `beam` new prefixes per frame, so prefix ids stay below 1 + T * beam.
  let n = 1;
  let ids = new Int32Array(beam);
  let pb = new Float64Array(beam);
  let pnb = new Float64Array(beam);
  let nIds = new Int32Array(beam);
  let nPb = new Float64Array(beam);
  let nPnb = new Float64Array(beam);
  pb[0] = 1;
  const cap = beam * (C + 1);
  const cId = new Int32Array(cap); // stayer: prefix id; extension: -1
  const cFrom = new Int32Array(cap); // extension: beam slot it extends
  const cSym = new Int32Array(cap);
  const cPb = new Float64Array(cap);
  const cPnb = new Float64Array(cap);
  const cScore = new Float64Array(cap);
  const top = new TopK(beam, cScore);
  const slotOf = new Int32Array(1 + T * beam).fill(-1); // prefix id -> beam slot, for the current beam
  const firstKid = new Int32Array(beam); // beam slots whose parent is slot b, as linked lists
  const nextKid = new Int32Array(beam);
  const kidOf = new Int32Array(C).fill(-1);
  const byScore = (x: number, y: number) => cScore[y] - cScore[x];
  let logScale = 0;

  for (let t = 0; t < T; t++) {
    const row = t * C;
    const left = T - 1 - t; // frames after this one
    for (let b = 0; b < n; b++) slotOf[ids[b]] = b;
    // Stayers: the same prefix, through a blank or a repeat of its last symbol.
    firstKid.fill(-1, 0, n);
    for (let b = 0; b < n; b++) {
      const last = trie.last[ids[b]];
      cId[b] = ids[b];
      cPb[b] = (pb[b] + pnb[b]) * p[row];
      cPnb[b] = last > 0 ? pnb[b] * p[row + last] : 0;
    }
    // A prefix in the beam whose parent is also in the beam gains the parent's extension by its symbol.
    for (let q = 0; q < n; q++) {
      const parent = trie.parent[ids[q]];
      const b = parent >= 0 ? slotOf[parent] : -1;
      if (b < 0) continue;
      nextKid[q] = firstKid[b];
      firstKid[b] = q;
      const k = trie.last[ids[q]];
      cPnb[q] += (k === trie.last[ids[b]] ? pb[b] : pb[b] + pnb[b]) * p[row + k];
    }
    for (let b = 0; b < n; b++) slotOf[ids[b]] = -1;
    top.size = 0;
    for (let q = 0; q < n; q++) {
      cScore[q] = cPb[q] + cPnb[q];
      if (cScore[q] > 0 && top.admits(cScore[q]) && feasible(ids[q], left)) top.push(q);
    }
    // Extensions to prefixes not in the beam: one contribution each, so only the best few are kept.
    let m = n;
    for (let b = 0; b < n; b++) {
      const id = ids[b];
      const last = trie.last[id];
      const total = pb[b] + pnb[b];
      for (let q = firstKid[b]; q >= 0; q = nextKid[q]) kidOf[trie.last[ids[q]]] = q;
      for (let c = s.candStart[t]; c < s.candStart[t + 1]; c++) {
        // Candidate bounds never increase within a frame: once total * bound fails, the rest fail too.
        if (!top.admits(total * s.candBound[c])) break;
        const k = s.cand[c];
        if (kidOf[k] >= 0) continue;
        const score = (k === last ? pb[b] : total) * p[row + k];
        if (!(score > 0) || !top.admits(score)) continue;
        let ok = true;
        for (let a = 0; a < nA && ok; a++) {
          const st = automata[a].next(trie.states[a][id], k);
          ok = st >= 0 && (left === 0 ? automata[a].accepts(st) : automata[a].minRemaining(st) <= left);
        }
        if (!ok) continue;
        cId[m] = -1;
        cFrom[m] = b;
        cSym[m] = k;
        cPb[m] = 0;
        cPnb[m] = score;
        cScore[m] = score;
        top.push(m++);
      }
      for (let q = firstKid[b]; q >= 0; q = nextKid[q]) kidOf[trie.last[ids[q]]] = -1;
    }
    if (top.size === 0) return [];
    // The new beam, best first, rescaled so its best total is 1.
    const chosen = top.idx.subarray(0, top.size).sort(byScore);
    const scale = cScore[chosen[0]];
    for (let j = 0; j < chosen.length; j++) {
      const i = chosen[j];
      if (cId[i] >= 0) nIds[j] = cId[i];
      else {
        const from = ids[cFrom[i]];
        for (let a = 0; a < nA; a++) next[a] = automata[a].next(trie.states[a][from], cSym[i]);
        nIds[j] = trie.childOf(from, cSym[i], next);
      }
      nPb[j] = cPb[i] / scale;
      nPnb[j] = cPnb[i] / scale;
    }
    n = chosen.length;
    logScale += Math.log(scale);
    [ids, nIds] = [nIds, ids];
    [pb, nPb] = [nPb, pb];
    [pnb, nPnb] = [nPnb, pnb];
  }
  // After the last frame every prefix left is accepting (checked above).
  return Array.from(ids.subarray(0, n), (id, j) => ({
    labels: trie.labels(id),
    logProb: Math.log(pb[j] + pnb[j]) + logScale,
  }));
}
