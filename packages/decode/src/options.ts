import { HcrError } from '@hcr/core';

export const DEFAULT_BEAM = 8;
export const DEFAULT_TOP_K = 5;
export const MAX_BEAM = 64;
export const MAX_TOP_K = 20;
/** Weight of a language model against the image (chosen on the real names dev set: 0.3-0.5 best, 0.8 worse). */
export const DEFAULT_LM_WEIGHT = 0.5;
/** 0: every symbol is tried; the search already skips symbols too weak to enter the beam, so this costs little. */
export const DEFAULT_MIN_SYMBOL_PROB = 0;

/** Every option decodeCtc knows (DecodeOptions): anything else is a typo that would be ignored silently. */
export const DECODE_OPTION_KEYS = [
  'beam',
  'topK',
  'classes',
  'foldTwins',
  'pattern',
  'lexicon',
  'languageModel',
  'languageModelWeight',
  'minSymbolProb',
] as const;

/** The options object itself: an object whose keys are all known, or DECODE_OPTION_INVALID naming the first other. */
export function checkOptionKeys(opts: unknown): void {
  if (typeof opts !== 'object' || opts === null || Array.isArray(opts))
    throw new HcrError('DECODE_OPTION_INVALID', `Decode options must be an object, got ${shown(opts)}.`, {
      hint: 'Pass an object such as { beam: 8 }, or leave the options out.',
    });
  for (const key of Object.keys(opts))
    if (!(DECODE_OPTION_KEYS as readonly string[]).includes(key))
      throw new HcrError(
        'DECODE_OPTION_INVALID',
        `unknown option '${key}'; the options are ${DECODE_OPTION_KEYS.join(', ')}.`,
        { hint: 'Check the spelling (see DecodeOptions in the @hcr/decode README).' },
      );
}

/** A value as an error message shows it: a string quoted and called one, so '8' does not read as 8. */
export function shown(value: unknown): string {
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  if (value === null || typeof value !== 'object') return String(value);
  return Array.isArray(value) ? 'an array' : 'an object';
}

/** A whole number in lo..hi or an HcrError naming the option and its range. */
export function checkRange(
  name: string,
  value: number | undefined,
  lo: number,
  hi: number,
  dflt: number,
): number {
  if (value === undefined) return dflt;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < lo || value > hi)
    throw new HcrError(
      'DECODE_OPTION_INVALID',
      `${name} must be a whole number from ${lo} to ${hi}, got ${shown(value)}.`,
      {
        hint: `Pass ${name} between ${lo} and ${hi} (default ${dflt}).`,
      },
    );
  return value;
}

export function checkMinSymbolProb(value: number | undefined): number {
  if (value === undefined) return DEFAULT_MIN_SYMBOL_PROB;
  if (typeof value !== 'number' || !(value >= 0 && value < 1))
    throw new HcrError(
      'DECODE_OPTION_INVALID',
      `minSymbolProb must be a number in [0, 1), got ${shown(value)}.`,
      {
        hint: 'Use 0 (the default: every symbol is tried) or a small value such as 1e-5.',
      },
    );
  return value;
}
