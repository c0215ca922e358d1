import type { LineAlphabet } from '@hcr/core';

/**
 * What to tell a caller whose `pattern` names lower-case letters the reader writes as capitals: every letter
 * for a case-merged reader (hcr36-line), the 15 whose case hcr47-line merges (c i j k l m o p s u v w x y z)
 * for a 47-class one. Those letters match their capitals, so `[a-z]+` answers in capitals: said, not silent.
 * Undefined when the reader has each lower-case letter the pattern names (a range such as a-z counts each).
 * `hcr read` prints it once; POST /v1/read answers it as `note`.
 */
export function patternCaseNote(
  pattern: string,
  readerId: string,
  alphabet: LineAlphabet,
): string | undefined {
  const text = pattern.replace(/\\[a-zA-Z]/g, ''); // \d, \s are classes, not letters
  const letters = new Set<string>();
  for (const [whole, lo, hi] of text.matchAll(/([a-z])-([a-z])|[a-z]/g))
    if (lo && hi)
      for (let c = lo.charCodeAt(0); c <= hi.charCodeAt(0); c++) letters.add(String.fromCharCode(c));
    else letters.add(whole);
  if (letters.size === 0) return undefined;
  if (alphabet.caseMerged)
    return `${readerId} reads case-merged text (capitals): the pattern's lower-case letters match their capitals, and the answers are in capitals.`;
  const merged = [...letters]
    .filter((c) => !alphabet.symbols.includes(c) && alphabet.symbols.includes(c.toUpperCase()))
    .sort();
  if (merged.length === 0) return undefined;
  return `${readerId} (${alphabet.id}) merges the case of ${merged.join(' ')}: in the pattern they match their capitals, and the answers write them as capitals.`;
}
