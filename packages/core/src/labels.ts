/**
 * The one label space of hcr. Every package imports it from here; nobody re-types the class list.
 * 36 classes: digits 0-9 then letters A-Z (EMNIST Letters merges upper and lower case).
 * Wider spaces (47 balanced, 62 by-class) keep the first 36 indices so shards stay compatible.
 */
export interface LabelSpace {
  /** Stable identifier stored in manifests and model metadata. */
  readonly id: 'hcr36';
  /** Class names in class-index order. */
  readonly classes: readonly string[];
}

const DIGITS = '0123456789'.split('');
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'.split('');

export const LABEL_SPACE_36: LabelSpace = Object.freeze({
  id: 'hcr36',
  classes: Object.freeze([...DIGITS, ...UPPER]),
});
export const NUM_CLASSES = LABEL_SPACE_36.classes.length;
export const DIGIT_CLASSES: readonly number[] = DIGITS.map((_, i) => i);
export const LETTER_CLASSES: readonly number[] = UPPER.map((_, i) => 10 + i);

/** EMNIST Letters label k (1..26, A..Z) -> hcr class index (10..35). */
export function emnistLetterToClass(k: number): number {
  if (!Number.isInteger(k) || k < 1 || k > 26)
    throw new RangeError(`EMNIST letter label ${k} is outside 1..26`);
  return 9 + k;
}

export function className(index: number, space: LabelSpace = LABEL_SPACE_36): string {
  const name = space.classes[index];
  if (name === undefined)
    throw new RangeError(`class index ${index} is outside 0..${space.classes.length - 1}`);
  return name;
}

/** Class index of a character: digits and letters of either case ('a' -> A, merged case). */
export function classIndex(char: string, space: LabelSpace = LABEL_SPACE_36): number {
  const i = space.classes.indexOf(char.toUpperCase());
  if (i < 0) throw new RangeError(`'${char}' is not a class of ${space.id} (${space.classes.join('')})`);
  return i;
}

export function isDigitClass(index: number): boolean {
  return index >= 0 && index < 10;
}
