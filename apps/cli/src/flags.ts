import { HcrError } from '@hcr/core';

/** A whole number from 1 to `max` (any, when Infinity) for a CLI flag's parser, or an error naming the flag. */
export function rangeInt(flag: string, max: number) {
  return (v: string): number => wholeNumber(flag, v, 1, max);
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

/** A flag's value among `allowed`, or an error naming the flag and the values it takes. */
export function oneOf<T extends string>(
  flag: string,
  v: string,
  allowed: readonly T[],
  example = allowed[0],
): T {
  if ((allowed as readonly string[]).includes(v)) return v as T;
  throw new HcrError('BAD_OPTION', `${flag} must be one of ${allowed.join(', ')}, got '${v}'.`, {
    hint: `Pass e.g. ${flag} ${example}.`,
  });
}

/** A flag's whole number from `min` to `max` (no bound when Infinity), or an error naming the flag. */
export function wholeNumber(
  flag: string,
  v: string,
  min: number,
  max: number,
  example = Math.min(Math.max(min, 5), max),
): number {
  const n = Number(v);
  if (/^\s*\d+\s*$/.test(v) && n >= min && n <= max) return n;
  const range = Number.isFinite(max) ? `from ${min} to ${max}` : `of at least ${min}`;
  throw new HcrError('BAD_OPTION', `${flag} must be a whole number ${range}, got '${v}'.`, {
    hint: `Pass e.g. ${flag} ${example}.`,
  });
}

/** A comma-separated flag value: `a, b,c` -> ['a', 'b', 'c'] (blanks dropped). */
export function commaList(v: string): string[] {
  return v
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
}
