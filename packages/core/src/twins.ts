import { CASE_MERGED_IN_BALANCED, classIndex, LABEL_SPACE_36, type LabelSpace } from './labels.js';

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
  // an index outside the space is no twin, as in hcr36 (it threw a bare TypeError in the wider spaces)
  const [x, y] = [space.classes[a], space.classes[b]];
  if (x === undefined || y === undefined) return false;
  return twinKeys.has(pairKey(classIndex(x, LABEL_SPACE_36), classIndex(y, LABEL_SPACE_36)));
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

const isDigit = (s: string) => s.length === 1 && s >= '0' && s <= '9';

/**
 * Allowed twins of each forbidden class: its digit/letter twins (DIGIT_LETTER_TWINS above, either case of the
 * letter) and, on a case-sensitive model, the other case of a letter written alike in both
 * (CASE_MERGED_IN_BALANCED: c/C, o/O, s/S, ...). Under `uppercase` a 62-class model's mass on o is an O whose case
 * the 28x28 image could not show; on e it is a lowercase e, which does not count for E. Measured on a quick 62-class
 * model (root README, Lowercase): the confidences then rank right answers first (at 80% of the test letters
 * answered, lowercase errors 5.2% -> 2.3%), for 0.6 (lowercase) and 0.1 (capitals) points of best guesses.
 */
function twinTargets(classNames: readonly string[], allowed: ReadonlySet<number>): number[][] {
  return classNames.map((name, c) => {
    if (allowed.has(c)) return [];
    const out: number[] = [];
    if (CASE_MERGED_IN_BALANCED.includes(name.toLowerCase())) {
      const other = classNames.indexOf(name === name.toUpperCase() ? name.toLowerCase() : name.toUpperCase());
      if (other >= 0 && other !== c && allowed.has(other)) out.push(other);
    }
    for (const [digit, letter] of DIGIT_LETTER_TWINS) {
      const twin =
        name === digit ? letter : !isDigit(name) && name.toUpperCase() === letter ? digit : undefined;
      if (twin === undefined) continue;
      classNames.forEach((n, j) => {
        if (
          allowed.has(j) &&
          (n === twin || (!isDigit(twin) && n.toUpperCase() === twin)) &&
          !out.includes(j)
        )
          out.push(j);
      });
    }
    return out;
  });
}

/**
 * twinTargets per class list and allowed set, worked out once: serving folds every image it ranks under a filter
 * and eval every test letter, with the same few (class list, filter) pairs. The filters kept per class list are
 * bounded (the least recently used goes first): `classes=chars:<set>` is a client's choice, and every distinct set
 * used to stay for the life of the server (a few KB each, without end).
 */
const MAX_FILTERS_PER_CLASS_LIST = 64;
const targetsByClasses = new WeakMap<readonly string[], Map<string, number[][]>>();
function targetsFor(classNames: readonly string[], allowed: readonly number[]): number[][] {
  let byAllowed = targetsByClasses.get(classNames);
  if (!byAllowed) {
    byAllowed = new Map();
    targetsByClasses.set(classNames, byAllowed);
  }
  const key = allowed.join(',');
  let targets = byAllowed.get(key);
  if (targets)
    byAllowed.delete(key); // inserted again below: the most recently used is last
  else {
    // checked once per filter: an index outside the class list was dropped silently (a filter allowing nothing)
    for (const c of allowed)
      if (!(Number.isInteger(c) && c >= 0 && c < classNames.length))
        throw new RangeError(
          `foldedProbabilities: allowed class ${c} is not an index of the ${classNames.length} classes; pass indices from characterClassIndices`,
        );
    targets = twinTargets(classNames, new Set(allowed));
    if (byAllowed.size >= MAX_FILTERS_PER_CLASS_LIST) byAllowed.delete(byAllowed.keys().next().value!);
  }
  byAllowed.set(key, targets);
  return targets;
}

/**
 * Probabilities of the allowed classes, with each forbidden twin's mass moved to its allowed twins (split
 * in proportion to their own probabilities when there are several) and nothing renormalised: what a
 * character model answers under a `classes` filter (serving ranks these; eval reports their argmax).
 */
export function foldedProbabilities(
  probs: ArrayLike<number>,
  classNames: readonly string[],
  allowed: readonly number[],
): Float64Array {
  // a row of another length (another model's, or a flat batch) gave NaN or another class's probabilities
  if (probs.length !== classNames.length)
    throw new RangeError(
      `foldedProbabilities: ${probs.length} probabilities for ${classNames.length} classes; pass one image's row`,
    );
  const out = new Float64Array(classNames.length);
  for (const c of allowed) out[c] = probs[c]!;
  targetsFor(classNames, allowed).forEach((targets, c) => {
    if (targets.length === 0) return;
    const own = targets.reduce((s, j) => s + probs[j]!, 0);
    for (const j of targets) out[j]! += probs[c]! * (own > 0 ? probs[j]! / own : 1 / targets.length);
  });
  return out;
}
