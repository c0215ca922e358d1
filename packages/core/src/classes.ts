import { HcrError } from './errors.js';

/**
 * Character classes: which characters an answer may hold (a postcode box wants digits, a surname letters).
 * One parser for the character recogniser (`classes=` of /v1/predict, `hcr predict --classes`) and the line
 * reader (`/v1/read`, `hcr read --classes`), so both accept and refuse the same spellings.
 *
 * Named sets are defined by characters, not by a model: they are intersected with the class list of the
 * model (or the reader's alphabet) that answers, so `lowercase` means a-z on a 62-class model and is an
 * error naming the classes on today's 36-class, case-merged one.
 */

/** The named sets, each defined by its characters. */
export const NAMED_CHARACTER_CLASSES = Object.freeze({
  digits: '0123456789',
  uppercase: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
  lowercase: 'abcdefghijklmnopqrstuvwxyz',
  letters: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz',
  alnum: '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz',
});

export type NamedCharacterClass = keyof typeof NAMED_CHARACTER_CLASSES;

/** A named set, or an explicit set of characters (`chars:0123456789.,`). */
export type CharacterClass = NamedCharacterClass | { chars: string };

const NAMES = [
  'digits',
  'letters',
  'alnum',
  'uppercase',
  'lowercase',
] as const satisfies NamedCharacterClass[];

/** Every accepted spelling, as the errors list them. */
export const CHARACTER_CLASS_CHOICES = `all, ${NAMES.join(', ')}, or chars:<set> (e.g. chars:0123456789)`;

const CHARS_PREFIX = 'chars:';

/**
 * The HTTP/CLI spelling -> a class; `undefined` means no restriction (omitted, empty or `all`).
 * Accepted: a name (any case), `chars:<set>` (the prefix in any case, the set verbatim, spaces included), or, for backward
 * compatibility, a bare list of digits such as `0123456789` (it cannot be a misspelt name). Anything else,
 * e.g. `digitz` or `ABC`, is CLASSES_INVALID listing the choices: a bare list with letters is ambiguous
 * (`digitz` would silently mean {D, I, G, T, Z}).
 */
export function parseClassOption(value: string | undefined): CharacterClass | undefined {
  if (value === undefined) return undefined;
  // a JS caller's number or list (a query parameter given twice) was a bare 'value.trim is not a function'
  if (typeof value !== 'string')
    throw new HcrError('CLASSES_INVALID', `The character class must be text, got ${JSON.stringify(value)}.`, {
      hint: `Give one of ${CHARACTER_CLASS_CHOICES}, once.`,
    });
  const v = value.trim();
  if (v === '' || v.toLowerCase() === 'all') return undefined;
  // the prefix in any case, as the names are (`Chars:12` was refused with the hint to write chars:Chars:12)
  if (value.trimStart().slice(0, CHARS_PREFIX.length).toLowerCase() === CHARS_PREFIX) {
    const chars = value.trimStart().slice(CHARS_PREFIX.length);
    if (chars.length === 0)
      throw new HcrError('CLASSES_INVALID', 'The character set chars: is empty.', {
        hint: 'List the allowed characters after chars:, e.g. chars:0123456789',
      });
    return { chars };
  }
  const lower = v.toLowerCase();
  if ((NAMES as readonly string[]).includes(lower)) return lower as NamedCharacterClass;
  if (/^[0-9]+$/.test(v)) return { chars: v };
  throw new HcrError('CLASSES_INVALID', `Unknown character class '${value}'.`, {
    hint: `Use one of ${CHARACTER_CLASS_CHOICES}.${/^\S+$/.test(v) && !/^[a-z]+$/.test(v) ? ` For exactly these characters write chars:${v}.` : ''}`,
  });
}

/** How errors name what answers: `this model` or `the alphabet hcr36-line`. */
export interface ClassOwner {
  /** e.g. `this model` or `the alphabet hcr36-line`. */
  name: string;
  /** Symbols in output order (a model's class names; a reader's alphabet, '' blank included). */
  symbols: readonly string[];
}

function listSymbols(symbols: readonly string[]): string {
  return JSON.stringify(symbols.filter((s) => s !== '').join(''));
}

/** Index of a character among the symbols: itself, else its other case when only that exists (merged case). */
function symbolIndex(ch: string, symbols: readonly string[]): number {
  const i = symbols.indexOf(ch);
  if (i >= 0) return i;
  const other = ch === ch.toUpperCase() ? ch.toLowerCase() : ch.toUpperCase();
  return other === ch ? -1 : symbols.indexOf(other);
}

/**
 * The output indices a class allows among `owner.symbols`, ascending. A named set keeps the symbols that
 * are its characters (an error naming the symbols when none is); `chars` maps each character to its symbol
 * (the other case when the model merges case) and names any character the owner lacks.
 */
export function characterClassIndices(cls: CharacterClass, owner: ClassOwner): number[] {
  const { symbols } = owner;
  if (typeof cls === 'object' && cls !== null && typeof cls.chars === 'string') {
    if (cls.chars.length === 0)
      throw new HcrError('CLASSES_INVALID', 'The character set chars: is empty.', {
        hint: 'List the allowed characters after chars:, e.g. chars:0123456789',
      });
    const set = new Set<number>();
    for (const ch of cls.chars) {
      const i = ch === '' ? -1 : symbolIndex(ch, symbols);
      if (i < 0 || symbols[i] === '')
        throw new HcrError(
          'CLASSES_INVALID',
          `'${ch}' in chars:${cls.chars} is not in ${owner.name} (it knows ${listSymbols(symbols)}).`,
          { hint: `Use only characters of ${listSymbols(symbols)}, or one of ${CHARACTER_CLASS_CHOICES}.` },
        );
      set.add(i);
    }
    return [...set].sort((a, b) => a - b);
  }
  const chars = NAMED_CHARACTER_CLASSES[cls as NamedCharacterClass];
  if (typeof chars !== 'string')
    // Not CHARACTER_CLASS_CHOICES: `all` and `chars:<set>` are spellings parseClassOption turns into classes.
    throw new HcrError('CLASSES_INVALID', `Unknown character class ${JSON.stringify(cls)}.`, {
      hint: `Pass one of ${NAMES.map((n) => `'${n}'`).join(', ')} or { chars: '0123456789' }; parseClassOption turns the HTTP/CLI spellings ('all', 'chars:<set>') into these.`,
    });
  const caseMerged = !symbols.some((s) => s !== s.toUpperCase());
  const set = new Set<number>();
  symbols.forEach((s, i) => {
    if (s.length === 1 && chars.includes(s)) set.add(i);
  });
  // A space that merges only some letters (hcr47: C stands for c and C) answers `lowercase` with the merged
  // capitals too; a fully case-merged space keeps refusing it below.
  if (!caseMerged)
    for (const ch of chars)
      if (!symbols.includes(ch)) {
        const i = symbolIndex(ch, symbols);
        if (i >= 0) set.add(i);
      }
  const out = [...set].sort((a, b) => a - b);
  if (out.length === 0) {
    throw new HcrError(
      'CLASSES_INVALID',
      `${capitalise(owner.name)} has no ${cls} characters: its classes are ${listSymbols(symbols)}.`,
      {
        hint:
          caseMerged && cls === 'lowercase'
            ? 'It merges case and answers in capitals: use letters or uppercase (or a model with lower case).'
            : `Use one of ${CHARACTER_CLASS_CHOICES} with characters it knows.`,
      },
    );
  }
  return out;
}

/** Parse and resolve in one step: the allowed indices, or undefined for no restriction. */
export function allowedSymbolIndices(value: string | undefined, owner: ClassOwner): number[] | undefined {
  const cls = parseClassOption(value);
  return cls === undefined ? undefined : characterClassIndices(cls, owner);
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/**
 * The named sets `owner` can answer, in NAMES order (digits, letters, alnum, uppercase, lowercase): what a
 * page or a help text offers for this model. `lowercase` appears only for case-sensitive models.
 */
export function availableCharacterClasses(owner: ClassOwner): NamedCharacterClass[] {
  return NAMES.filter((name) => {
    try {
      characterClassIndices(name, owner);
      return true;
    } catch {
      return false;
    }
  });
}
