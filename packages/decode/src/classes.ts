import {
  type CharacterClass,
  characterClassIndices,
  DIGIT_LETTER_TWINS,
  HcrError,
  type LineAlphabet,
  NAMED_CHARACTER_CLASSES,
  parseClassOption,
} from '@hcr/core';
import { checkAlphabet } from './frames.js';
import { shown } from './options.js';

/** How class errors name a reader's alphabet. */
function owner(alphabet: LineAlphabet) {
  return { name: `the alphabet ${alphabet.id}`, symbols: alphabet.symbols };
}

/**
 * The parser used by HTTP and the CLI (one spelling for the whole project, parseClassOption of
 * @hcr/core): a class name or `chars:<set>`, validated against the reader's alphabet. `all` is no class:
 * callers skip it before asking (decodeCtc takes `classes: undefined`).
 */
export function parseCharacterClass(value: string, alphabet: LineAlphabet): CharacterClass {
  if (typeof value !== 'string')
    throw new HcrError(
      'CLASSES_INVALID',
      `A character class is a string such as 'digits', not ${shown(value)}.`,
      {
        hint: 'Use one of digits, letters, alnum, uppercase, lowercase, or chars:<set> (e.g. chars:0123456789).',
      },
    );
  const cls = parseClassOption(value);
  if (cls === undefined)
    throw new HcrError('CLASSES_INVALID', `'${value}' restricts nothing.`, {
      hint: 'Leave classes out to allow every character.',
    });
  classMask(cls, alphabet); // validates against the alphabet (e.g. lowercase in a case-merged one)
  return cls;
}

/**
 * Allowed symbols as a 0/1 mask over output indices (index 0, the blank, is always 1). Named classes never
 * include the space or marks; `chars` must lie in the alphabet (upper-cased when it merges case).
 */
export function classMask(cls: CharacterClass | undefined, alphabet: LineAlphabet): Uint8Array {
  checkAlphabet(alphabet);
  const mask = new Uint8Array(alphabet.symbols.length);
  if (cls === undefined) return mask.fill(1);
  if (typeof cls === 'string' && !Object.hasOwn(NAMED_CHARACTER_CLASSES, cls)) spelledForHttp(cls);
  mask[0] = 1;
  for (const i of characterClassIndices(cls, owner(alphabet))) mask[i] = 1;
  return mask;
}

/**
 * CLASSES_INVALID for a `classes` option spelt as HTTP and the CLI write it (`'all'`, `'chars:0123'`,
 * `'DIGITS'`), saying what to pass instead; core's message listed those very spellings as the choices.
 * Anything else is left to characterClassIndices (an unknown name).
 */
function spelledForHttp(value: string): void {
  let parsed: CharacterClass | undefined;
  try {
    parsed = parseClassOption(value);
  } catch {
    return;
  }
  const instead =
    parsed === undefined
      ? 'leave classes out to allow every character'
      : `pass classes: ${typeof parsed === 'string' ? `'${parsed}'` : `{ chars: ${JSON.stringify(parsed.chars)} }`}`;
  throw new HcrError(
    'CLASSES_INVALID',
    `classes ${JSON.stringify(value)} is how HTTP and the CLI spell it: ${instead}.`,
    { hint: 'parseCharacterClass(value, alphabet) turns the HTTP/CLI spelling into the option.' },
  );
}

/**
 * Where a character the class forbids sends its probability: a forbidden letter to its allowed digit/letter
 * twins (DIGIT_LETTER_TWINS of @hcr/core): O and D -> 0, S -> 5, Z -> 2 in a digits field. A reader trained
 * without context cannot tell these shapes apart; the field can, so the mass the reader put on the forbidden
 * twin is evidence for the allowed one rather than for the blank. A symbol with two allowed twins splits its
 * mass in proportion to the twins' own probabilities at that frame. Digits do not fold into letters: in a
 * letters field what the reader calls a 1 is mostly a stray mark (a box line, a separator), and folding made
 * it an I (real names: 58.4% exact with both directions, 61.4% with letters -> digits only; amounts 53.9%
 * either way but 51.4% with no folding). In a case-sensitive alphabet a letter's other case is its twin too
 * (`uppercase` on a form's capitals takes the mass of o, c, s, which look alike in either case), and a lower-case
 * letter has its capital's digit twins (o -> 0, l -> 1). `twins[k]` lists symbol k's allowed twins (empty:
 * its mass is dropped).
 */
export function twinFold(mask: Uint8Array, alphabet: LineAlphabet): readonly number[][] {
  const { symbols } = alphabet;
  const twins = symbols.map(() => [] as number[]);
  const allow = (k: number, twin: string) => {
    const j = symbols.indexOf(twin);
    if (j > 0 && mask[j] && !twins[k]!.includes(j)) twins[k]!.push(j);
  };
  for (let k = 1; k < symbols.length; k++) {
    if (mask[k]) continue;
    const sym = symbols[k]!;
    const upper = sym.toUpperCase();
    if (upper !== sym.toLowerCase()) allow(k, sym === upper ? sym.toLowerCase() : upper);
    for (const [digit, letter] of DIGIT_LETTER_TWINS) if (upper === letter) allow(k, digit);
  }
  return twins;
}
