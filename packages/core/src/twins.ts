import { classIndex, LABEL_SPACE_36, type LabelSpace } from './labels.js';

/**
 * Digit/letter twins: pairs that handwriting alone often cannot separate in a 36-class, merged-case space.
 * Defined once here; eval reports the share of errors that fall between them, serving uses them to
 * explain why a character whitelist (`classes=digits`) helps.
 */
export const DIGIT_LETTER_TWINS: readonly (readonly [string, string])[] = Object.freeze([
  ['0', 'O'], // round zero vs letter O
  ['0', 'D'], // closed zero vs D
  ['1', 'I'], // bar one vs capital I
  ['1', 'L'], // hooked one vs lowercase l (merged into L)
  ['2', 'Z'], // angular two vs Z
  ['4', 'A'], // open four vs pointed A
  ['5', 'S'], // five vs S
  ['6', 'G'], // six vs G
  ['6', 'B'], // six vs lowercase b (merged into B)
  ['7', 'T'], // seven vs T
  ['8', 'B'], // eight vs B
  ['9', 'Q'], // nine vs lowercase q (merged into Q)
  ['9', 'G'], // nine vs lowercase g (merged into G)
] as const);

const twinKeys = new Set(DIGIT_LETTER_TWINS.map(([a, b]) => pairKey(classIndex(a), classIndex(b))));

function pairKey(a: number, b: number): string {
  return a < b ? `${a}:${b}` : `${b}:${a}`;
}

/**
 * True when the two classes form a digit/letter twin (order does not matter). In a case-sensitive space
 * both cases of the letter count (`l` and `L` are both twins of `1`).
 */
export function isTwinPair(a: number, b: number, space: LabelSpace = LABEL_SPACE_36): boolean {
  if (space.id === LABEL_SPACE_36.id) return twinKeys.has(pairKey(a, b));
  const to36 = (i: number) => classIndex(space.classes[i]!, LABEL_SPACE_36);
  return twinKeys.has(pairKey(to36(a), to36(b)));
}

/**
 * Case twins: each letter and its capital, the 26 pairs a case-sensitive space must tell apart by shape.
 * For 15 of them (CASE_MERGED_IN_BALANCED: c/C, o/O, s/S, ...) the shapes are the same and only size and
 * position on a line tell them apart; a single 28x28 character has neither, so eval reports how often
 * each pair is confused.
 */
export const CASE_TWINS: readonly (readonly [string, string])[] = Object.freeze(
  [...'abcdefghijklmnopqrstuvwxyz'].map((c) => Object.freeze([c, c.toUpperCase()] as const)),
);

/** True when the two classes of `space` are a letter and its capital (order does not matter). */
export function isCaseTwinPair(a: number, b: number, space: LabelSpace): boolean {
  const x = space.classes[a];
  const y = space.classes[b];
  return x !== undefined && y !== undefined && x !== y && x.toUpperCase() === y.toUpperCase();
}
