import {
  CASE_MERGED_IN_BALANCED,
  classKind,
  foldedProbabilities,
  foldMap,
  isCaseSensitive,
  isCaseTwinPair,
  LABEL_SPACES,
  type LabelSpace,
  type LabelSpaceId,
  type SourceName,
} from '@hcr/core';
import { argmaxRow, errorsBetween, round6 } from './metrics.js';

/**
 * What a case-sensitive model (hcr47, hcr62) adds to a report: the same predictions folded to the narrower
 * label spaces (so a 62-class model is compared with a 36-class model on the same images), accuracy on
 * each case alone, and how often each letter is mistaken for its own capital.
 */
export interface CaseMetrics {
  /** The model's predictions with probabilities summed over the classes each narrower space merges. */
  folded: FoldedMetrics[];
  /** Images whose true class is a lowercase letter, and those whose true class is a capital. */
  lower: CaseGroupMetrics;
  upper: CaseGroupMetrics;
  /** Every letter the space keeps in both cases: how often each case was read as the other. */
  caseTwins: CaseTwinEntry[];
  /** Test errors that only got the case wrong, and all test errors. */
  caseTwinErrors: { errors: number; totalErrors: number; share: number };
}

export interface FoldedMetrics {
  labelSpace: LabelSpaceId;
  classes: number;
  /** Test split (generalisation sets excluded), folded argmax. */
  accuracy: number;
  /** Per source: folded accuracy, and with the argmax restricted to the source's own classes. */
  sources: Partial<Record<SourceName, { count: number; accuracy: number; ownClassAccuracy: number }>>;
}

export interface CaseGroupMetrics {
  count: number;
  /** k-way argmax (k = the model's classes). */
  accuracy: number;
  /** Argmax restricted to this case's letters, the other case's probability left out. */
  restrictedAccuracy: number;
  /**
   * What `classes=lowercase` / `uppercase` answers in serving: the argmax over this case's letters after the
   * letters written alike in both cases (c/C, o/O, ...) and the digit/letter twins gave them their
   * probability (foldedProbabilities of @hcr/core).
   */
  servedAccuracy: number;
  /** Right letter, case ignored (folded to 36 classes). */
  caseFoldedAccuracy: number;
  /** Right letter, wrong case. */
  wrongCaseOnly: number;
}

export interface CaseTwinEntry {
  /** The capital, e.g. `O`. */
  letter: string;
  lowerCount: number;
  upperCount: number;
  /** true lowercase predicted as its capital, and the reverse. */
  lowerAsUpper: number;
  upperAsLower: number;
  /** (lowerAsUpper + upperAsLower) / (lowerCount + upperCount). */
  confusionRate: number;
  /** EMNIST Balanced merges this pair because the shapes are the same (CASE_MERGED_IN_BALANCED). */
  sameShape: boolean;
}

/** The label space whose class list this is; undefined for a list hcr does not know. */
export function labelSpaceOf(classNames: readonly string[]): LabelSpace | undefined {
  const joined = classNames.join('');
  return LABEL_SPACES.find((s) => s.classes.join('') === joined);
}

/** Class indices a source's images may belong to in a space of k classes: digits 0..9, letters 10..k-1. */
export function ownClassesOf(kind: 'digits' | 'letters', k: number): number[] {
  return kind === 'digits'
    ? Array.from({ length: 10 }, (_, i) => i)
    : Array.from({ length: k - 10 }, (_, i) => 10 + i);
}

/** [n, from] probabilities -> [n, to] by summing the classes the fold merges. */
export function foldProbabilities(probs: Float32Array, from: LabelSpace, to: LabelSpace): Float32Array {
  const map = foldMap(from, to);
  const kf = from.classes.length;
  const kt = to.classes.length;
  const n = probs.length / kf;
  const out = new Float32Array(n * kt);
  for (let i = 0; i < n; i++) for (let c = 0; c < kf; c++) out[i * kt + map[c]!]! += probs[i * kf + c]!;
  return out;
}

export interface CaseInput {
  probs: Float32Array;
  labels: Uint8Array;
  sources: Uint8Array;
  space: LabelSpace;
  /** Rows of the test split (generalisation sets excluded). */
  testRows: Uint32Array;
  /** Rows per source id, and the source's kind. */
  bySource: { name: SourceName; kind: 'digits' | 'letters'; rows: Uint32Array }[];
  predicted: Int32Array;
  confusion: number[][];
}

/** Case metrics of a case-sensitive model; undefined for a case-merged one (hcr36). */
export function caseMetrics(input: CaseInput): CaseMetrics | undefined {
  const { space, probs, labels, predicted, testRows } = input;
  if (!isCaseSensitive(space)) return undefined;
  const k = space.classes.length;
  const narrower = LABEL_SPACES.filter((s) => s.classes.length < k).reverse();
  const folded = narrower.map((to) => foldedMetrics(input, to));

  const kinds = space.classes.map((_, c) => classKind(c, space));
  const lowerClasses = kinds.flatMap((kd, c) => (kd === 'lower' ? [c] : []));
  const upperClasses = Array.from({ length: 26 }, (_, i) => 10 + i);
  const to36 = foldMap(space, LABEL_SPACES[0]!);
  const group = (truth: (c: number) => boolean, allowed: number[]): CaseGroupMetrics => {
    let n = 0;
    let ok = 0;
    let restricted = 0;
    let served = 0;
    let foldedOk = 0;
    for (const i of testRows) {
      const t = labels[i]!;
      if (!truth(t)) continue;
      n++;
      const p = predicted[i]!;
      if (p === t) ok++;
      if (to36[p] === to36[t]) foldedOk++;
      if (argmaxRow({ probs, k }, i, allowed) === t) restricted++;
      const row = foldedProbabilities(probs.subarray(i * k, (i + 1) * k), space.classes, allowed);
      let best = allowed[0]!; // ties go to the lower class, as serving's ranking
      for (const c of allowed) if (row[c]! > row[best]!) best = c;
      if (best === t) served++;
    }
    return {
      count: n,
      accuracy: round6(n ? ok / n : 0),
      restrictedAccuracy: round6(n ? restricted / n : 0),
      servedAccuracy: round6(n ? served / n : 0),
      caseFoldedAccuracy: round6(n ? foldedOk / n : 0),
      wrongCaseOnly: foldedOk - ok,
    };
  };
  const lower = group((c) => kinds[c] === 'lower', lowerClasses);
  const upper = group((c) => c >= 10 && c < 36, upperClasses);

  const m = input.confusion;
  const caseTwins: CaseTwinEntry[] = lowerClasses.map((lc) => {
    const letter = space.classes[lc]!.toUpperCase();
    const uc = space.classes.indexOf(letter);
    const lowerCount = m[lc]!.reduce((a, b) => a + b, 0);
    const upperCount = m[uc]!.reduce((a, b) => a + b, 0);
    const lowerAsUpper = m[lc]![uc]!;
    const upperAsLower = m[uc]![lc]!;
    const total = lowerCount + upperCount;
    return {
      letter,
      lowerCount,
      upperCount,
      lowerAsUpper,
      upperAsLower,
      confusionRate: round6(total ? (lowerAsUpper + upperAsLower) / total : 0),
      sameShape: CASE_MERGED_IN_BALANCED.includes(letter.toLowerCase()),
    };
  });
  caseTwins.sort((a, b) => b.confusionRate - a.confusionRate || a.letter.localeCompare(b.letter));
  const twin = errorsBetween(m, (a, b) => isCaseTwinPair(a, b, space));
  return {
    folded,
    lower,
    upper,
    caseTwins,
    caseTwinErrors: {
      errors: twin.errors,
      totalErrors: twin.totalErrors,
      share: round6(twin.totalErrors ? twin.errors / twin.totalErrors : 0),
    },
  };
}

function foldedMetrics(input: CaseInput, to: LabelSpace): FoldedMetrics {
  const kt = to.classes.length;
  const probs = foldProbabilities(input.probs, input.space, to);
  const map = foldMap(input.space, to);
  const rows = { probs, k: kt };
  const correct = (i: number, allowed?: readonly number[]) =>
    argmaxRow(rows, i, allowed) === map[input.labels[i]!];
  const share = (list: Uint32Array, allowed?: readonly number[]) => {
    let ok = 0;
    for (const i of list) if (correct(i, allowed)) ok++;
    return round6(list.length ? ok / list.length : 0);
  };
  const sources: FoldedMetrics['sources'] = {};
  for (const s of input.bySource)
    sources[s.name] = {
      count: s.rows.length,
      accuracy: share(s.rows),
      ownClassAccuracy: share(s.rows, ownClassesOf(s.kind, kt)),
    };
  return { labelSpace: to.id, classes: kt, accuracy: share(input.testRows), sources };
}
