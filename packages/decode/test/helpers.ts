import { createRng, type LineAlphabet } from '@hcr/core';

/** A tiny alphabet for exhaustive checks: blank plus the given symbols. */
export function tinyAlphabet(symbols: string[]): LineAlphabet {
  return {
    id: `tiny-${symbols.join('')}`,
    labelSpace: 'hcr36',
    symbols: ['', ...symbols],
    blank: 0,
    size: symbols.length + 1,
    caseMerged: true,
  };
}

/**
 * A [frames, C] probability matrix from one spec per frame: symbol -> probability ('' is the blank); the
 * mass left over is spread evenly over the other symbols.
 */
export function matrix(rows: Record<string, number>[], alphabet: LineAlphabet): Float32Array {
  const C = alphabet.size;
  const out = new Float32Array(rows.length * C);
  rows.forEach((row, t) => {
    let used = 0;
    for (const [sym, p] of Object.entries(row)) {
      const k = alphabet.symbols.indexOf(sym);
      if (k < 0) throw new Error(`no symbol ${sym}`);
      out[t * C + k] = p;
      used += p;
    }
    const rest = Object.keys(row).length < C ? (1 - used) / (C - Object.keys(row).length) : 0;
    for (let k = 0; k < C; k++) if (!(alphabet.symbols[k] in row)) out[t * C + k] = rest;
  });
  return out;
}

/** Deterministic pseudo-random numbers: @hcr/core's stream, started at state `seed`. */
export function rng(seed: number): () => number {
  return createRng(0, seed >>> 0).next;
}

/** Random softmax rows. */
export function randomProbs(frames: number, C: number, rand: () => number, sharpness = 3): Float32Array {
  const out = new Float32Array(frames * C);
  for (let t = 0; t < frames; t++) {
    let z = 0;
    for (let k = 0; k < C; k++) z += out[t * C + k] = Math.exp(sharpness * rand());
    for (let k = 0; k < C; k++) out[t * C + k] /= z;
  }
  return out;
}

/** Every CTC path of a tiny matrix, summed per collapsed text (the exact answer, by brute force). */
export function exhaustive(probs: Float32Array, frames: number, alphabet: LineAlphabet): Map<string, number> {
  const C = alphabet.size;
  const sums = new Map<string, number>();
  const path = new Array<number>(frames).fill(0);
  for (let n = 0; n < C ** frames; n++) {
    let x = n;
    let p = 1;
    for (let t = 0; t < frames; t++) {
      path[t] = x % C;
      x = Math.floor(x / C);
      p *= probs[t * C + path[t]];
    }
    let text = '';
    for (let t = 0; t < frames; t++)
      if (path[t] !== 0 && (t === 0 || path[t] !== path[t - 1])) text += alphabet.symbols[path[t]];
    sums.set(text, (sums.get(text) ?? 0) + p);
  }
  return sums;
}
