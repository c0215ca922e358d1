import { HcrError } from '@hcr/core';

export const DEFAULT_BEAM = 8;
export const DEFAULT_TOP_K = 5;
export const MAX_BEAM = 64;
export const MAX_TOP_K = 20;
/** Weight of a language model against the image (chosen on the real names dev set: 0.3-0.5 best, 0.8 worse). */
export const DEFAULT_LM_WEIGHT = 0.5;
/** 0: every symbol is tried; the search already skips symbols too weak to enter the beam, so this costs little. */
export const DEFAULT_MIN_SYMBOL_PROB = 0;

/** A whole number in lo..hi or an HcrError naming the option and its range. */
export function checkRange(
  name: string,
  value: number | undefined,
  lo: number,
  hi: number,
  dflt: number,
): number {
  if (value === undefined) return dflt;
  if (!Number.isInteger(value) || value < lo || value > hi)
    throw new HcrError(
      'DECODE_OPTION_INVALID',
      `${name} must be a whole number from ${lo} to ${hi}, got ${value}.`,
      {
        hint: `Pass ${name} between ${lo} and ${hi} (default ${dflt}).`,
      },
    );
  return value;
}

export function checkMinSymbolProb(value: number | undefined): number {
  if (value === undefined) return DEFAULT_MIN_SYMBOL_PROB;
  if (!(value >= 0 && value < 1))
    throw new HcrError('DECODE_OPTION_INVALID', `minSymbolProb must be in [0, 1), got ${value}.`, {
      hint: 'Use 0 (the default: every symbol is tried) or a small value such as 1e-5.',
    });
  return value;
}
