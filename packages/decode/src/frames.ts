import { HcrError, type LineAlphabet } from '@hcr/core';

/**
 * One line's frames ready for decoding: log probabilities renormalised over the blank and the allowed
 * symbols (disallowed ones are -Infinity), and per frame the allowed symbols worth trying as extensions.
 */
export interface FrameScores {
  readonly frames: number;
  readonly size: number;
  /** [frames * size] log p(symbol | frame, symbol allowed). */
  readonly logp: Float64Array;
  /** Candidate symbols of frame t are cand[candStart[t] .. candStart[t+1]). */
  readonly cand: Int32Array;
  readonly candStart: Int32Array;
}

export function checkFrames(
  probs: Float32Array | Float64Array,
  frames: number,
  alphabet: LineAlphabet,
): void {
  const C = alphabet.size;
  if (!Number.isInteger(frames) || frames < 0)
    throw new HcrError('DECODE_INPUT_INVALID', `frames must be a whole number >= 0, got ${frames}.`, {
      hint: 'Pass readerFrames(width) of the line (@hcr/model).',
    });
  if (probs.length < frames * C || probs.length % C !== 0)
    throw new HcrError(
      'DECODE_INPUT_INVALID',
      `probs has ${probs.length} values; ${frames} frames of ${C} symbols (${alphabet.id}) need ${frames * C} in whole rows.`,
      {
        hint: 'Pass the reader output for one line, row-major [frames, alphabet.size], and the alphabet it was trained on.',
      },
    );
}

export function frameScores(
  probs: Float32Array | Float64Array,
  frames: number,
  C: number,
  mask: Uint8Array,
  minSymbolProb: number,
): FrameScores {
  const logp = new Float64Array(frames * C).fill(Number.NEGATIVE_INFINITY);
  const candStart = new Int32Array(frames + 1);
  const cand: number[] = [];
  for (let t = 0; t < frames; t++) {
    const row = t * C;
    let z = 0;
    for (let k = 0; k < C; k++) {
      const p = probs[row + k];
      if (!(p >= 0))
        throw new HcrError('DECODE_INPUT_INVALID', `probs[${t}, ${k}] is ${p}; probabilities must be >= 0.`, {
          hint: 'Pass the softmax output of the reader (not logits), and check the model for NaN.',
        });
      if (mask[k]) z += p;
    }
    // Dividing every allowed symbol by the same z conditions the frame on the class; a zero row stays -Inf.
    const logZ = z > 0 ? Math.log(z) : 0;
    const cut = minSymbolProb * z;
    for (let k = 0; k < C; k++) {
      const p = probs[row + k];
      if (!mask[k] || p <= 0) continue;
      logp[row + k] = Math.log(p) - logZ;
      if (k !== 0 && p >= cut) cand.push(k);
    }
    candStart[t + 1] = cand.length;
  }
  return { frames, size: C, logp, cand: Int32Array.from(cand), candStart };
}
