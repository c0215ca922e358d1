import { HcrError } from '@hcr/core';

/** A whole number from 1 to `max` (any, when Infinity) for a CLI flag, or an error naming the flag. */
export function rangeInt(flag: string, max: number) {
  const range = Number.isFinite(max) ? `from 1 to ${max}` : 'of at least 1';
  return (v: string): number => {
    const n = Number(v);
    if (!/^\s*\d+\s*$/.test(v) || n < 1 || n > max)
      throw new HcrError('BAD_OPTION', `${flag} must be a whole number ${range}, got '${v}'.`, {
        hint: `Pass e.g. ${flag} ${Math.min(5, max)}.`,
      });
    return n;
  };
}

/** `--min-confidence`: a probability from 0 to 1, or an error naming the flag. */
export function minConfidenceFlag(v: string): number {
  const p = Number(v);
  if (v.trim() === '' || !Number.isFinite(p) || p < 0 || p > 1)
    throw new HcrError('BAD_OPTION', `--min-confidence must be a number from 0 to 1, got '${v}'.`, {
      hint: 'Pass e.g. --min-confidence 0.8 (below it: no confident answer, to check by hand).',
    });
  return p;
}
