import { DIGIT_LETTER_TWINS, HcrError, type LineAlphabet } from '@hcr/core';
import type { CharacterClass } from './types.js';

const NAMED = ['digits', 'letters', 'alnum', 'uppercase', 'lowercase'] as const;
const CHOICES = `${NAMED.join(', ')} or chars:<set> (e.g. chars:0123456789.,)`;

const isDigit = (s: string) => s >= '0' && s <= '9' && s.length === 1;
const isLetter = (s: string) => s.length === 1 && s.toUpperCase() !== s.toLowerCase();

/** The parser used by HTTP and the CLI: a class name or `chars:<set>`; anything else names the choices. */
export function parseCharacterClass(value: string, alphabet: LineAlphabet): CharacterClass {
  const v = value.trim();
  let cls: CharacterClass;
  // The set is taken verbatim (not trimmed): 'chars:AB ' allows the space.
  if (v.startsWith('chars:')) cls = { chars: value.trimStart().slice('chars:'.length) };
  else if ((NAMED as readonly string[]).includes(v.toLowerCase())) cls = v.toLowerCase() as CharacterClass;
  else
    throw new HcrError('CLASSES_INVALID', `Unknown character class '${value}'.`, {
      hint: `Use one of ${CHOICES}.`,
    });
  classMask(cls, alphabet); // validates against the alphabet (e.g. lowercase in a case-merged one)
  return cls;
}

/**
 * Allowed symbols as a 0/1 mask over output indices (index 0, the blank, is always 1). Named classes never
 * include the space or marks; `chars` is upper-cased for a case-merged alphabet and must lie in it.
 */
export function classMask(cls: CharacterClass | undefined, alphabet: LineAlphabet): Uint8Array {
  const { symbols } = alphabet;
  const mask = new Uint8Array(symbols.length);
  mask[0] = 1;
  if (cls === undefined) return mask.fill(1);
  if (typeof cls === 'object' && cls !== null && typeof cls.chars === 'string') {
    const chars = alphabet.caseMerged ? cls.chars.toUpperCase() : cls.chars;
    if (chars.length === 0)
      throw new HcrError('CLASSES_INVALID', 'The character set chars: is empty.', {
        hint: 'List the allowed characters after chars:, e.g. chars:0123456789.,',
      });
    for (const ch of chars) {
      const i = symbols.indexOf(ch);
      if (i <= 0)
        throw new HcrError(
          'CLASSES_INVALID',
          `'${ch}' in chars:${cls.chars} is not in the alphabet ${alphabet.id}.`,
          {
            hint: `Use only characters of ${JSON.stringify(symbols.slice(1).join(''))}.`,
          },
        );
      mask[i] = 1;
    }
    return mask;
  }
  const test: Record<(typeof NAMED)[number], (s: string) => boolean> = {
    digits: isDigit,
    letters: isLetter,
    alnum: (s) => isDigit(s) || isLetter(s),
    uppercase: (s) => isLetter(s) && s === s.toUpperCase(),
    lowercase: (s) => isLetter(s) && s === s.toLowerCase(),
  };
  const pick = test[cls as (typeof NAMED)[number]];
  if (!pick)
    throw new HcrError('CLASSES_INVALID', `Unknown character class ${JSON.stringify(cls)}.`, {
      hint: `Use one of ${CHOICES}.`,
    });
  let any = false;
  for (let i = 1; i < symbols.length; i++)
    if (pick(symbols[i])) {
      mask[i] = 1;
      any = true;
    }
  if (!any)
    throw new HcrError('CLASSES_INVALID', `The alphabet ${alphabet.id} has no ${cls} characters.`, {
      hint: alphabet.caseMerged
        ? 'This reader merges case and reads capitals: use letters or uppercase.'
        : `Use one of ${CHOICES}.`,
    });
  return mask;
}

/**
 * Where a character the class forbids sends its probability: to its allowed digit/letter twins
 * (DIGIT_LETTER_TWINS of @hcr/core): O -> 0 and S -> 5 in a digits field, 0 -> O and 5 -> S in a letters
 * field. A reader trained without context cannot tell these shapes apart; the field can, so the mass the
 * reader put on the forbidden twin is evidence for the allowed one rather than for the blank. A symbol with
 * two allowed twins (1 -> I or L) splits its mass in proportion to the twins' own probabilities at that
 * frame. `twins[k]` lists symbol k's allowed twins (empty: its mass is dropped, plain conditioning).
 */
export function twinFold(mask: Uint8Array, alphabet: LineAlphabet): readonly number[][] {
  const { symbols } = alphabet;
  const twins = symbols.map(() => [] as number[]);
  for (let k = 1; k < symbols.length; k++) {
    if (mask[k]) continue;
    for (const [digit, letter] of DIGIT_LETTER_TWINS) {
      const twin = symbols[k] === digit ? letter : symbols[k] === letter ? digit : undefined;
      const j = twin === undefined ? -1 : symbols.indexOf(twin);
      if (j > 0 && mask[j] && !twins[k]!.includes(j)) twins[k]!.push(j);
    }
  }
  return twins;
}
