import {
  DIGIT_LETTER_TWINS,
  isTwinPair,
  LABEL_SPACE_36,
  type LabelSpace,
  type LabelSpaceId,
  type SourceName,
  sourceName,
} from '@hcr/core';
import { type CaseMetrics, caseMetrics, labelSpaceOf, ownClassesOf } from './case.js';
import {
  addMatrices,
  argmaxAll,
  argmaxRow,
  type ClassScores,
  calibration,
  classScores,
  confusionMatrix,
  errorsBetween,
  inTopK,
  macroF1,
  matrixTotal,
  matrixTrace,
  type ReliabilityBin,
  round6,
  topConfusionPairs,
  wilsonInterval,
} from './metrics.js';
import { GENERALISATION_SOURCES, SOURCE_CLASSES } from './sources.js';

/** What a runtime produced for a set of labelled images. */
export interface PredictionSet {
  /** Softmax probabilities, flat [n, classNames.length]. */
  probs: Float32Array;
  labels: Uint8Array;
  /** Source id of each row (index into SOURCES of @hcr/core). */
  sources: Uint8Array;
  classNames: readonly string[];
}

/** Headline numbers of one source, or of the overall test split. */
export interface GroupMetrics {
  count: number;
  /** k-way top-1 accuracy (k = the model's classes: 36, 47 or 62). */
  accuracy: number;
  /** Its 95% Wilson interval (`wilsonInterval`): where the accuracy on more images like these would lie. */
  accuracyInterval: [number, number];
  top3Accuracy: number;
  /** Which classes the own-class accuracy allows ('per-source' for overall: each row its source's classes). */
  ownClasses: 'digits' | 'letters' | 'per-source';
  /** Accuracy with the argmax restricted to the source's own classes (comparable to 10/26-class papers). */
  ownClassAccuracy: number;
  /** Mean F1 over the classes present in the group (36-way predictions). */
  macroF1: number;
  /** Expected calibration error, 15 bins. */
  ece: number;
  errors: number;
  /** Share of the errors that fall between digit/letter twins (DIGIT_LETTER_TWINS of @hcr/core). */
  twinErrorShare: number;
  /** The most frequent confusions inside this group. */
  topConfusions: ConfusionEntry[];
}

export interface ConfusionEntry {
  /** e.g. `O<->0`. */
  pair: string;
  a: string;
  b: string;
  /** true a predicted as b, and the reverse. */
  aAsB: number;
  bAsA: number;
  total: number;
  /** Share of all errors of the group. */
  errorShare: number;
  twin: boolean;
}

export interface PerClassEntry extends Omit<ClassScores, 'predicted'> {
  class: string;
}

export interface EvalMetrics {
  /** The model's label space (hcr36, hcr47, hcr62). */
  labelSpace: LabelSpaceId;
  classNames: string[];
  /** Case-sensitive models only: folded accuracies, per-case accuracy, the case-twin table. */
  caseSensitive?: CaseMetrics;
  /** The test split: every source except the generalisation sets. */
  overall: GroupMetrics & { sources: SourceName[] };
  /** One entry per source present, generalisation sets included. */
  sources: Partial<Record<SourceName, GroupMetrics>>;
  /** Per-class scores over the overall test split. */
  perClass: PerClassEntry[];
  /** Overall test split, rows: true class, columns: predicted class. */
  confusion: number[][];
  twins: {
    pairs: [string, string][];
    errors: number;
    totalErrors: number;
    share: number;
  };
  calibration: { bins: number; ece: number; reliability: ReliabilityBin[] };
}

const TOP_CONFUSIONS = 12;
const ECE_BINS = 15;

function groupMetrics(
  set: PredictionSet,
  rows: Uint32Array,
  predicted: Int32Array,
  matrix: number[][],
  ownClasses: GroupMetrics['ownClasses'],
  restrictTo: (row: number) => readonly number[],
  space: LabelSpace,
): GroupMetrics {
  const k = set.classNames.length;
  const probRows = { probs: set.probs, k };
  let top3 = 0;
  let own = 0;
  const conf = new Float64Array(rows.length);
  const correct = new Uint8Array(rows.length);
  rows.forEach((i, j) => {
    const label = set.labels[i]!;
    if (inTopK(probRows, i, label, 3)) top3++;
    if (argmaxRow(probRows, i, restrictTo(i)) === label) own++;
    conf[j] = set.probs[i * k + predicted[i]!]!;
    correct[j] = predicted[i] === label ? 1 : 0;
  });
  const n = rows.length;
  const total = matrixTotal(matrix);
  const errors = total - matrixTrace(matrix);
  const twin = errorsBetween(matrix, (a, b) => isTwinPair(a, b, space));
  return {
    count: n,
    accuracy: round6(n ? matrixTrace(matrix) / n : 0),
    accuracyInterval: wilsonInterval(matrixTrace(matrix), n),
    top3Accuracy: round6(n ? top3 / n : 0),
    ownClasses,
    ownClassAccuracy: round6(n ? own / n : 0),
    macroF1: round6(macroF1(classScores(matrix))),
    ece: round6(calibration(conf, correct, ECE_BINS).ece),
    errors,
    twinErrorShare: round6(errors ? twin.errors / errors : 0),
    topConfusions: confusionEntries(matrix, set.classNames, errors, space),
  };
}

function confusionEntries(
  matrix: number[][],
  names: readonly string[],
  errors: number,
  space: LabelSpace,
): ConfusionEntry[] {
  return topConfusionPairs(matrix, TOP_CONFUSIONS).map((p) => ({
    pair: `${names[p.a]}<->${names[p.b]}`,
    a: names[p.a]!,
    b: names[p.b]!,
    aAsB: p.aAsB,
    bAsA: p.bAsA,
    total: p.total,
    errorShare: round6(errors ? p.total / errors : 0),
    twin: isTwinPair(p.a, p.b, space),
  }));
}

/** Every eval.json metric section from one set of predictions. */
export function evaluatePredictions(set: PredictionSet): EvalMetrics {
  const k = set.classNames.length;
  const n = set.labels.length;
  if (set.probs.length !== n * k)
    throw new RangeError(`probs has ${set.probs.length} values; expected ${n} rows x ${k} classes`);
  const predicted = argmaxAll({ probs: set.probs, k });
  // A class list hcr does not know (hand-made tests) is scored like the 36-class space's twins.
  const space = labelSpaceOf(set.classNames) ?? LABEL_SPACE_36;

  const rowsBySource = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const s = set.sources[i]!;
    const list = rowsBySource.get(s);
    if (list) list.push(i);
    else rowsBySource.set(s, [i]);
  }
  const sourceIds = [...rowsBySource.keys()].sort((a, b) => a - b);
  const ownBy = { digits: ownClassesOf('digits', k), letters: ownClassesOf('letters', k) };
  const ownOf = (row: number) => ownBy[SOURCE_CLASSES[sourceName(set.sources[row]!)].kind];

  const sources: Partial<Record<SourceName, GroupMetrics>> = {};
  const matrices = new Map<number, number[][]>();
  for (const id of sourceIds) {
    const rows = Uint32Array.from(rowsBySource.get(id)!);
    const matrix = confusionMatrix(set.labels, predicted, k, rows);
    matrices.set(id, matrix);
    const name = sourceName(id);
    sources[name] = groupMetrics(set, rows, predicted, matrix, SOURCE_CLASSES[name].kind, ownOf, space);
  }

  const testIds = sourceIds.filter((id) => !GENERALISATION_SOURCES.includes(sourceName(id)));
  const testRows = Uint32Array.from(testIds.flatMap((id) => rowsBySource.get(id)!)).sort();
  const overallMatrix = testIds.reduce(
    (m, id) => addMatrices(m, matrices.get(id)!),
    Array.from({ length: k }, () => new Array<number>(k).fill(0)),
  );
  const overall = groupMetrics(set, testRows, predicted, overallMatrix, 'per-source', ownOf, space);

  const conf = new Float64Array(testRows.length);
  const correct = new Uint8Array(testRows.length);
  testRows.forEach((i, j) => {
    conf[j] = set.probs[i * k + predicted[i]!]!;
    correct[j] = predicted[i] === set.labels[i] ? 1 : 0;
  });
  const cal = calibration(conf, correct, ECE_BINS);
  const twin = errorsBetween(overallMatrix, (a, b) => isTwinPair(a, b, space));
  const caseSensitive = caseMetrics({
    probs: set.probs,
    labels: set.labels,
    sources: set.sources,
    space,
    testRows,
    bySource: sourceIds.map((id) => ({
      name: sourceName(id),
      kind: SOURCE_CLASSES[sourceName(id)].kind,
      rows: Uint32Array.from(rowsBySource.get(id)!),
    })),
    predicted,
    confusion: overallMatrix,
  });

  return {
    labelSpace: space.id,
    classNames: [...set.classNames],
    ...(caseSensitive ? { caseSensitive } : {}),
    overall: { ...overall, sources: testIds.map(sourceName) },
    sources,
    perClass: classScores(overallMatrix).map((s, c) => ({
      class: set.classNames[c]!,
      precision: round6(s.precision),
      recall: round6(s.recall),
      f1: round6(s.f1),
      support: s.support,
    })),
    confusion: overallMatrix,
    twins: {
      pairs: DIGIT_LETTER_TWINS.map(([a, b]) => [a, b] as [string, string]),
      errors: twin.errors,
      totalErrors: twin.totalErrors,
      share: round6(twin.totalErrors ? twin.errors / twin.totalErrors : 0),
    },
    calibration: {
      bins: ECE_BINS,
      ece: round6(cal.ece),
      reliability: roundedBins(cal.bins),
    },
  };
}

/** Reliability bins as the report stores them: six decimals. */
function roundedBins(bins: readonly ReliabilityBin[]): ReliabilityBin[] {
  return bins.map((b) => ({
    lo: round6(b.lo),
    hi: round6(b.hi),
    count: b.count,
    confidence: round6(b.confidence),
    accuracy: round6(b.accuracy),
  }));
}

/** Reliability bins and ECE of each source's top-1 confidences (e.g. of the uncalibrated model). */
export function reliabilityBySource(
  set: PredictionSet,
): Partial<Record<SourceName, { ece: number; reliability: ReliabilityBin[] }>> {
  const k = set.classNames.length;
  const predicted = argmaxAll({ probs: set.probs, k });
  const rows = new Map<number, number[]>();
  for (let i = 0; i < set.labels.length; i++) {
    const list = rows.get(set.sources[i]!) ?? [];
    list.push(i);
    rows.set(set.sources[i]!, list);
  }
  const out: Partial<Record<SourceName, { ece: number; reliability: ReliabilityBin[] }>> = {};
  for (const id of [...rows.keys()].sort((a, b) => a - b)) {
    const list = rows.get(id)!;
    const conf = Float64Array.from(list, (i) => set.probs[i * k + predicted[i]!]!);
    const correct = Uint8Array.from(list, (i) => (predicted[i] === set.labels[i] ? 1 : 0));
    const cal = calibration(conf, correct, ECE_BINS);
    out[sourceName(id)] = {
      ece: round6(cal.ece),
      reliability: roundedBins(cal.bins),
    };
  }
  return out;
}
