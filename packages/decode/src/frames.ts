import { HcrError, type LineAlphabet } from '@hcr/core';
import { shown } from './options.js';

/**
 * One line's frames ready for decoding: probabilities renormalised over the blank and the allowed symbols
 * (disallowed ones are 0), and per frame the allowed symbols worth trying as extensions.
 */
export interface FrameScores {
  readonly frames: number;
  readonly size: number;
  /** [frames * size] p(symbol | frame, symbol allowed). */
  readonly p: Float64Array;
  /** Candidate symbols of frame t are cand[candStart[t] .. candStart[t+1]), coarsely most probable first. */
  readonly cand: Int32Array;
  /** An upper bound of each candidate's probability, non-increasing within a frame. */
  readonly candBound: Float64Array;
  readonly candStart: Int32Array;
}

export function checkFrames(
  probs: Float32Array | Float64Array,
  frames: number,
  alphabet: LineAlphabet,
): void {
  checkAlphabet(alphabet);
  const C = alphabet.size;
  if (!(probs instanceof Float32Array || probs instanceof Float64Array))
    throw new HcrError(
      'DECODE_INPUT_INVALID',
      `probs must be a Float32Array or Float64Array, got ${probs === null ? 'null' : Array.isArray(probs) ? 'an array' : typeof probs}.`,
      { hint: 'Pass the reader output for one line, row-major [frames, alphabet.size], as a typed array.' },
    );
  if (!Number.isInteger(frames) || frames < 0)
    throw new HcrError('DECODE_INPUT_INVALID', `frames must be a whole number >= 0, got ${shown(frames)}.`, {
      hint: 'Pass readerFrames(width) of the line (@hcr/model).',
    });
  if (C < 2 || C > 1024)
    throw new HcrError(
      'DECODE_INPUT_INVALID',
      `The alphabet ${alphabet.id} has ${C} symbols; 2..1024 are supported.`,
      {
        hint: 'Pass the LineAlphabet of the reader (lineAlphabet() from @hcr/core).',
      },
    );
  if (probs.length < frames * C || probs.length % C !== 0)
    throw new HcrError(
      'DECODE_INPUT_INVALID',
      `probs has ${probs.length} values; ${frames} frames of ${C} symbols (${alphabet.id}) need ${frames * C} in whole rows.`,
      {
        hint: 'Pass the reader output for one line, row-major [frames, alphabet.size], and the alphabet it was trained on.',
      },
    );
}

/** A LineAlphabet (symbols and size), or DECODE_INPUT_INVALID: a missing one was a TypeError reading `size`. */
export function checkAlphabet(alphabet: LineAlphabet): void {
  const a = alphabet as Partial<LineAlphabet> | null | undefined;
  if (typeof a !== 'object' || a === null || !Array.isArray(a.symbols) || a.symbols.length !== a.size)
    throw new HcrError(
      'DECODE_INPUT_INVALID',
      `alphabet must be a LineAlphabet, got ${a === null ? 'null' : typeof a === 'object' ? 'an object without symbols and size' : typeof a}.`,
      {
        hint: "Pass the reader's alphabet (reader.info.alphabet, or lineAlphabet() / LINE_ALPHABET_36 of @hcr/core).",
      },
    );
}

/** How far a row's sum may be from 1 (and a value above 1): float32 softmax rows are within ~1e-6. */
const ROW_SUM_TOLERANCE = 1e-3;

/** Candidate buckets: bucket b holds p below 4^-b (and, but for the last, at least about 4^-(b+1)). */
const BUCKETS = 24;
const BOUNDS = Float64Array.from({ length: BUCKETS }, (_, b) => 4 ** -b);
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0; // index of the exponent word
/** The bucket of p in (0, 1] from its binary exponent e (2^e <= p < 2^(e+1) <= 4^-b): no log, no loop. */
function bucketOf(p: number): number {
  f64[0] = p;
  const e = ((u32[HI] >>> 20) & 0x7ff) - 1023;
  const b = Math.floor(-(e + 1) / 2);
  return b < 0 ? 0 : b >= BUCKETS ? BUCKETS - 1 : b;
}

export function frameScores(
  probs: Float32Array | Float64Array,
  frames: number,
  C: number,
  mask: Uint8Array,
  minSymbolProb: number,
  candidates = true,
  fold?: readonly number[][],
): FrameScores {
  const out = new Float64Array(frames * C);
  const candStart = new Int32Array(frames + 1);
  const cand = new Int32Array(candidates ? frames * C : 0);
  const bound = new Float64Array(candidates ? frames * C : 0);
  const bucket = new Int32Array(C);
  const start = new Int32Array(BUCKETS + 1);
  let n = 0;
  for (let t = 0; t < frames; t++) {
    const row = t * C;
    let z = 0;
    let sum = 0;
    for (let k = 0; k < C; k++) {
      const p = probs[row + k];
      if (!(p >= 0 && p <= 1 + ROW_SUM_TOLERANCE))
        throw new HcrError(
          'DECODE_INPUT_INVALID',
          `probs[${t}, ${k}] is ${p}; probabilities must be in [0, 1].`,
          {
            hint: 'Pass the softmax output of the reader (not logits), and check the model for NaN or Infinity.',
          },
        );
      sum += p;
      if (mask[k] || (fold && fold[k]!.length > 0)) z += p;
    }
    // A softmax row sums to 1 (float32: within ~1e-6); anything else is logits, a matrix laid out for
    // another alphabet (rows of the wrong width) or a broken model, and would read as garbage.
    if (!(Math.abs(sum - 1) <= ROW_SUM_TOLERANCE))
      throw new HcrError(
        'DECODE_INPUT_INVALID',
        `probs row ${t} sums to ${sum}; each of the first ${frames} rows must be a distribution over the ${C} symbols (sum 1).`,
        {
          hint: 'Pass the softmax output of the reader for one line, row-major [frames, alphabet.size], with the alphabet it was trained on.',
        },
      );
    // Dividing every allowed symbol by the same z conditions the frame on the class.
    // A forbidden symbol with an allowed twin (see twinFold) adds its mass to the twin first.
    const inv = z > 0 ? 1 / z : 0;
    for (let k = 0; k < C; k++) if (mask[k]) out[row + k] += probs[row + k] * inv;
    // No mass on the blank or any allowed symbol (float32 underflow under a forbidden symbol holding it
    // all): the forbidden symbol loses to the blank, rather than the frame cutting every path (which made
    // the beam find nothing while best path read the rest of the line).
    if (z === 0) out[row] = 1;
    if (fold)
      for (let k = 0; k < C; k++) {
        const twins = fold[k]!;
        if (twins.length === 0) continue;
        let own = 0;
        for (const j of twins) own += probs[row + j];
        for (const j of twins) {
          const share = own > 0 ? probs[row + j] / own : 1 / twins.length;
          out[row + j] += probs[row + k] * inv * share;
        }
      }
    if (!candidates) continue;
    // Candidates coarsely most probable first (a counting sort by bucket), each with its bucket's upper
    // bound: the beam stops trying a frame's symbols at the first bucket too weak to get in.
    start.fill(0);
    for (let k = 1; k < C; k++) {
      const p = out[row + k];
      bucket[k] = p > 0 && p >= minSymbolProb ? bucketOf(p) : -1;
      if (bucket[k] >= 0) start[bucket[k] + 1]++;
    }
    for (let b = 0; b < BUCKETS; b++) start[b + 1] += start[b];
    for (let k = 1; k < C; k++) {
      const b = bucket[k];
      if (b < 0) continue;
      const at = n + start[b]++;
      cand[at] = k;
      bound[at] = BOUNDS[b];
    }
    n += start[BUCKETS - 1];
    candStart[t + 1] = n;
  }
  return { frames, size: C, p: out, cand, candBound: bound, candStart };
}
