import { HcrError } from './errors.js';

/**
 * The one label space module of hcr. Every package imports class lists from here; nobody re-types them.
 * - `hcr36` (the default): digits 0-9 then letters A-Z, upper and lower case merged (EMNIST Letters).
 * - `hcr47` (EMNIST Balanced): hcr36 plus the 11 lowercase letters whose shape differs from their capital.
 * - `hcr62` (EMNIST ByClass): digits, A-Z, a-z, case-sensitive.
 * Every space starts with the same 36 classes (0-9, A-Z at indices 0..35), so a 36-class shard or model
 * means the same thing in all three, and hcr62's indices are EMNIST ByClass labels.
 */
export type LabelSpaceId = 'hcr36' | 'hcr47' | 'hcr62';

export interface LabelSpace {
  /** Stable identifier stored in manifests and model metadata. */
  readonly id: LabelSpaceId;
  /** Class names in class-index order. */
  readonly classes: readonly string[];
}

const DIGITS = '0123456789'.split('');
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'.split('');
const LOWER = 'abcdefghijklmnopqrstuvwxyz'.split('');

/**
 * The 15 lowercase letters whose handwritten shape equals their capital: EMNIST Balanced merges each into
 * its capital. The remaining 11 (a b d e f g h n q r t) keep their own class in hcr47.
 */
export const CASE_MERGED_IN_BALANCED: readonly string[] = Object.freeze('cijklmopsuvwxyz'.split(''));

function space(id: LabelSpaceId, classes: string[]): LabelSpace {
  return Object.freeze({ id, classes: Object.freeze(classes) });
}

export const LABEL_SPACE_36: LabelSpace = space('hcr36', [...DIGITS, ...UPPER]);
export const LABEL_SPACE_47: LabelSpace = space('hcr47', [
  ...DIGITS,
  ...UPPER,
  ...LOWER.filter((c) => !CASE_MERGED_IN_BALANCED.includes(c)),
]);
export const LABEL_SPACE_62: LabelSpace = space('hcr62', [...DIGITS, ...UPPER, ...LOWER]);

/** Every label space, narrowest first; the default is the first. */
export const LABEL_SPACES: readonly LabelSpace[] = Object.freeze([
  LABEL_SPACE_36,
  LABEL_SPACE_47,
  LABEL_SPACE_62,
]);
export const DEFAULT_LABEL_SPACE: LabelSpace = LABEL_SPACE_36;

/** Classes of the default (36-class) space. Wider spaces: `space.classes.length`. */
export const NUM_CLASSES = LABEL_SPACE_36.classes.length;
export const DIGIT_CLASSES: readonly number[] = DIGITS.map((_, i) => i);
/** Capitals A-Z: indices 10..35 in every space (in hcr36 they stand for both cases). */
export const LETTER_CLASSES: readonly number[] = UPPER.map((_, i) => 10 + i);

/** The value a user types (`--labels 62`, `"labels": 62` in configs/data.json): the class count. */
export type LabelSpaceChoice = 36 | 47 | 62;
export const LABEL_SPACE_CHOICES: readonly LabelSpaceChoice[] = Object.freeze([36, 47, 62]);

/**
 * A label space by class count (`36`, `'62'`) or id (`hcr47`). Anything else is an error listing the choices,
 * so `--labels 52` and a typo in a config fail the same clear way.
 */
export function labelSpace(value: string | number | LabelSpace): LabelSpace {
  if (typeof value === 'object' && value !== null) return labelSpace(value.id);
  const text = String(value).trim();
  const found = LABEL_SPACES.find((s) => s.id === text || String(s.classes.length) === text);
  if (!found)
    throw new HcrError('UNKNOWN_LABEL_SPACE', `Unknown label space ${JSON.stringify(value)}.`, {
      hint: `Choose one of ${LABEL_SPACES.map((s) => `${s.classes.length} (${describeLabelSpace(s)})`).join(', ')}.`,
    });
  return found;
}

/** One line for people: what a label space holds. */
export function describeLabelSpace(space: LabelSpace): string {
  switch (space.id) {
    case 'hcr36':
      return '0-9 and A-Z, case merged';
    case 'hcr47':
      return `EMNIST Balanced: 0-9, A-Z and ${space.classes.slice(36).join(' ')}`;
    case 'hcr62':
      return '0-9, A-Z and a-z, case-sensitive';
  }
}

/** The class count a user types for this space (36, 47 or 62). */
export function labelSpaceChoice(space: LabelSpace): LabelSpaceChoice {
  return space.classes.length as LabelSpaceChoice;
}

/** EMNIST Letters label k (1..26, A..Z) -> hcr class index (10..35). */
export function emnistLetterToClass(k: number): number {
  if (!Number.isInteger(k) || k < 1 || k > 26)
    throw new RangeError(`EMNIST letter label ${k} is outside 1..26`);
  return 9 + k;
}

/** The name of a class index of `space`; an index that is no whole number in range is a RangeError. */
export function className(index: number, space: LabelSpace = LABEL_SPACE_36): string {
  // classes['length'] or classes['3'] (a JS caller's string) answered a number, or a name for a string
  const name = Number.isInteger(index) ? space.classes[index] : undefined;
  if (name === undefined)
    throw new RangeError(`class index ${index} is outside 0..${space.classes.length - 1}`);
  return name;
}

const indexMaps = new WeakMap<LabelSpace, Map<string, number>>();
function indexMap(space: LabelSpace): Map<string, number> {
  let m = indexMaps.get(space);
  if (!m) {
    m = new Map(space.classes.map((c, i) => [c, i] as const));
    indexMaps.set(space, m);
  }
  return m;
}

/** Class index of a character, or -1: the character's own class, else its capital's (a merged case). */
function lookup(char: string, space: LabelSpace): number {
  const m = indexMap(space);
  return m.get(char) ?? m.get(char.toUpperCase()) ?? -1;
}

/**
 * Class index of a character in a label space. A letter whose case the space merges answers with its
 * capital's class: `a` -> A in hcr36, `c` -> C but `a` -> a in hcr47, every letter its own class in hcr62.
 */
export function classIndex(char: string, space: LabelSpace = LABEL_SPACE_36): number {
  // a number (a JS caller passing a class index) was a bare 'char.toUpperCase is not a function'
  if (typeof char !== 'string')
    throw new RangeError(
      `classIndex takes a character, got ${typeof char} ${String(char)}; className(index) names a class index`,
    );
  const i = lookup(char, space);
  if (i < 0) throw new RangeError(`'${char}' is not a class of ${space.id} (${space.classes.join('')})`);
  return i;
}

/**
 * Class index mapping from a wider label space to a narrower one (62 -> 47 -> 36, or any to itself): each
 * class goes to its own name, else to its capital. Defined by names, so hcr62 -> hcr36 equals
 * hcr62 -> hcr47 -> hcr36. Widening (36 -> 62) cannot be done: a merged class has no case to give.
 */
export function foldMap(from: LabelSpace, to: LabelSpace): Uint8Array {
  if (to.classes.length > from.classes.length)
    throw new HcrError(
      'LABEL_SPACE_WIDEN',
      `Cannot map ${from.id} (${from.classes.length} classes) to the wider ${to.id} (${to.classes.length}).`,
      { hint: 'Classes only fold from a wider space into a narrower one (62 -> 47 -> 36).' },
    );
  return Uint8Array.from(from.classes, (c) => classIndex(c, to));
}

/** EMNIST ByClass label (0..61: digits, A..Z, a..z) -> class index in `space`. */
export function emnistByClassToClass(label: number, space: LabelSpace = LABEL_SPACE_62): number {
  if (!Number.isInteger(label) || label < 0 || label > 61)
    throw new RangeError(`EMNIST ByClass label ${label} is outside 0..61`);
  return classIndex(LABEL_SPACE_62.classes[label]!, space);
}

export function isDigitClass(index: number): boolean {
  return index >= 0 && index < 10;
}

/** What a class stands for, as the per-case reports split it. */
export type ClassKind = 'digit' | 'upper' | 'lower' | 'letter';

/**
 * `digit`; `upper`/`lower` for a letter of one case; `letter` for a class that holds both cases (every
 * letter of hcr36, the 15 merged capitals of hcr47).
 */
export function classKind(index: number, space: LabelSpace = LABEL_SPACE_36): ClassKind {
  const name = className(index, space);
  if (isDigitClass(index)) return 'digit';
  if (name !== name.toUpperCase()) return 'lower';
  return indexMap(space).has(name.toLowerCase()) ? 'upper' : 'letter';
}

/** True when the space tells some lowercase letters from their capitals (hcr47, hcr62). */
export function isCaseSensitive(space: LabelSpace): boolean {
  return space.classes.some((c) => c !== c.toUpperCase());
}
