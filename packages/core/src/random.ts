/**
 * Seeded pseudo-random numbers (mulberry32): the same seed gives the same stream on every machine,
 * which is what makes data splits, shuffles and augmentation reproducible. Not for cryptography.
 */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /**
   * Integer in [0, n), n a whole number in [1, 2^32] (anything else throws a RangeError: one draw has 32 bits, so a
   * larger n could only give multiples of n / 2^32).
   */
  int(n: number): number;
  /** Standard normal (Box-Muller). */
  normal(): number;
  /** The internal state, to checkpoint and restore the stream exactly. */
  state(): number;
}

/**
 * A stream from `seed`, a whole number >= 0 (only its low 32 bits count), or resumed from a `state()`.
 * NaN, fractional or negative seeds are refused: they used to give a stream silently shared with another seed.
 */
export function createRng(seed: number, state?: number): Rng {
  if (!Number.isInteger(seed) || seed < 0)
    throw new RangeError(`createRng: the seed must be a whole number >= 0, got ${seed}`);
  if (state !== undefined && !(Number.isInteger(state) && state >= 0 && state < 2 ** 32))
    throw new RangeError(
      `createRng: the state must be a whole number in [0, 2^32) (from state()), got ${state}`,
    );
  let s = state ?? (seed ^ 0x9e3779b9) >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n) => {
      // a bad bound gave negatives or NaN; refused before drawing, so the stream is unchanged
      // above 2^32 one 32-bit draw reaches only every (n / 2^32)-th value (int(2 ** 40) gave multiples of 256)
      if (!(n >= 1 && n <= 2 ** 32 && Number.isInteger(n)))
        throw new RangeError(`rng.int: the bound must be a whole number in [1, 2^32], got ${n}`);
      return Math.floor(next() * n);
    },
    normal: () => {
      const u = 1 - next();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
    },
    state: () => s,
  };
}

/** Fisher-Yates shuffle in place with a seeded stream. */
export function shuffleInPlace<T extends { length: number; [i: number]: unknown }>(a: T, rng: Rng): T {
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
  return a;
}

/**
 * `n` of the indices 0..count-1, chosen by a seeded stream (a partial Fisher-Yates from `seed`), in increasing
 * order: the same subset on every run and machine. All of them when `n` is at least `count`.
 */
export function sampleIndices(count: number, n: number, seed: number): Uint32Array {
  // a negative n used to return count - 1 indices (subarray(0, -1))
  for (const [name, v] of [
    ['count', count],
    ['n', n],
  ] as const)
    if (!Number.isInteger(v) || v < 0)
      throw new RangeError(`sampleIndices: ${name} must be a whole number >= 0, got ${v}`);
  const all = Uint32Array.from({ length: count }, (_, i) => i);
  if (n >= count) return all;
  const rng = createRng(seed);
  for (let i = 0; i < n; i++) {
    const j = i + rng.int(count - i);
    const t = all[i]!;
    all[i] = all[j]!;
    all[j] = t;
  }
  return all.subarray(0, n).sort();
}
