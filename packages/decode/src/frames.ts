import { HcrError, type LineAlphabet } from '@hcr/core';

/**
 * One line's frames ready for decoding: probabilities renormalised over the blank and the allowed symbols
 * (disallowed ones are 0), and per frame the allowed symbols worth trying as extensions.
 */
export interface FrameScores {
  readonly frames: number;
  readonly size: number;
  /** [frames * size] p(symbol | frame, symbol allowed). */
  readonly p: Float64Array;
  /** Candidate symbols of frame t are cand[candStart[t] .. candStart[t+1]), most probable first. */
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
  candidates = true,
): FrameScores {
  const out = new Float64Array(frames * C);
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
    // Dividing every allowed symbol by the same z conditions the frame on the class; a zero row stays 0.
    const inv = z > 0 ? 1 / z : 0;
    for (let k = 0; k < C; k++) {
      if (!mask[k]) continue;
      const p = probs[row + k] * inv;
      out[row + k] = p;
      if (candidates && k !== 0 && p > 0 && p >= minSymbolProb) cand.push(k);
    }
    // Most probable first: the beam stops trying a frame's symbols at the first one too weak to get in.
    const from = candStart[t];
    for (let i = from + 1; i < cand.length; i++) {
      const k = cand[i];
      let j = i;
      for (; j > from && out[row + cand[j - 1]] < out[row + k]; j--) cand[j] = cand[j - 1];
      cand[j] = k;
    }
    candStart[t + 1] = cand.length;
  }
  return { frames, size: C, p: out, cand: Int32Array.from(cand), candStart };
}
