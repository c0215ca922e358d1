import { classIndex, LABEL_SPACE_36, LABEL_SPACE_47, LABEL_SPACE_62, sourceId } from '@hcr/core';
import { describe, expect, it } from 'vitest';
import { foldProbabilities } from '../src/case.js';
import { evaluatePredictions } from '../src/evaluate.js';

const S = LABEL_SPACE_62;
const K = 62;
type Row = { label: string; source: Parameters<typeof sourceId>[0]; p: Record<string, number> };

function set(rows: Row[]) {
  const probs = new Float32Array(rows.length * K);
  rows.forEach((r, i) => {
    for (const [c, p] of Object.entries(r.p)) probs[i * K + classIndex(c, S)] = p;
  });
  return {
    probs,
    labels: Uint8Array.from(rows.map((r) => classIndex(r.label, S))),
    sources: Uint8Array.from(rows.map((r) => sourceId(r.source))),
    classNames: S.classes,
  };
}

const L = 'emnist-byclass-repack' as const;
// hand-made 62-class predictions: 2 MNIST rows, 6 letter rows, 1 generalisation row
const rows: Row[] = [
  { label: '0', source: 'mnist', p: { '0': 0.9, O: 0.1 } }, // right
  { label: '1', source: 'mnist', p: { l: 0.6, '1': 0.4 } }, // 1 -> l: a digit/letter twin
  { label: 'a', source: L, p: { a: 0.8, A: 0.2 } }, // right
  { label: 'o', source: L, p: { O: 0.6, o: 0.4 } }, // o -> O: case only
  { label: 'O', source: L, p: { O: 0.7, o: 0.3 } }, // right
  { label: 'c', source: L, p: { C: 0.4, c: 0.35, e: 0.25 } }, // c -> C; restricted to lowercase: c
  { label: 'E', source: L, p: { e: 0.45, E: 0.3, F: 0.25 } }, // E -> e; folded to 36 (E 0.75): right
  { label: 'b', source: L, p: { '6': 0.5, b: 0.3, B: 0.2 } }, // b -> 6; folded b+B 0.5 vs 6 0.5: tie
  { label: '5', source: 'emnist-digits-repack', p: { s: 0.6, '5': 0.4 } }, // generalisation, not in overall
];

describe('case-sensitive evaluation (62 classes)', () => {
  const m = evaluatePredictions(set(rows));
  const c = m.caseSensitive!;

  it('records the label space and scores 62-way', () => {
    expect(m.labelSpace).toBe('hcr62');
    expect(m.overall.count).toBe(8);
    expect(m.overall.accuracy).toBeCloseTo(3 / 8, 6);
    // letters-only argmax over all 52 letter classes: b -> b (B 0.2 < b 0.3), the rest as 62-way
    expect(m.sources[L]!.ownClassAccuracy).toBeCloseTo(3 / 6, 6);
  });

  it('folds probabilities to 47 and 36 classes: comparable with the smaller models on the same images', () => {
    expect(c.folded.map((f) => f.labelSpace)).toEqual(['hcr47', 'hcr36']);
    const f36 = c.folded.find((f) => f.labelSpace === 'hcr36')!;
    // letters folded to 36: a, o, O, c, E right; b: B+b 0.5 vs 6 0.5, the first class (6) wins the tie
    expect(f36.sources[L]!.count).toBe(6);
    expect(f36.sources[L]!.accuracy).toBeCloseTo(5 / 6, 5);
    expect(f36.sources[L]!.ownClassAccuracy).toBeCloseTo(1, 6);
    const f47 = c.folded.find((f) => f.labelSpace === 'hcr47')!;
    // 47 merges o/O and c/C but keeps e/E apart: a, o, O, c right; E -> e wrong; b -> 6 wrong
    expect(f47.sources[L]!.accuracy).toBeCloseTo(4 / 6, 6);
    expect(f47.sources.mnist!.accuracy).toBeCloseTo(1 / 2, 6);
  });

  it('scores each case alone, restricted to that case as classes=lowercase/uppercase would', () => {
    // lowercase truths: a (right), o (-> O), c (-> C), b (-> 6)
    expect(c.lower).toMatchObject({ count: 4, accuracy: 0.25, wrongCaseOnly: 2 });
    expect(c.lower.restrictedAccuracy).toBeCloseTo(1, 6); // a, o, c, b all win among lowercase
    expect(c.lower.caseFoldedAccuracy).toBeCloseTo(0.75, 6);
    // uppercase truths: O (right), E (-> e)
    expect(c.upper).toMatchObject({ count: 2, accuracy: 0.5, wrongCaseOnly: 1 });
    expect(c.upper.restrictedAccuracy).toBeCloseTo(1, 6);
  });

  it('reports what serving answers under classes=lowercase/uppercase: alike letters fold their other case in', () => {
    const served = evaluatePredictions(
      set([
        { label: 'u', source: L, p: { U: 0.5, v: 0.3, u: 0.2 } }, // restricted: v; served: u 0.2 + U 0.5
        { label: 'e', source: L, p: { C: 0.5, e: 0.4, c: 0.1 } }, // restricted: e; served: c 0.1 + C 0.5
        { label: 'a', source: L, p: { A: 0.6, a: 0.3, o: 0.1 } }, // A/a differ in shape: a either way
        { label: 'S', source: L, p: { '5': 0.5, s: 0.3, S: 0.2 } }, // restricted: S 0.2; served: S 0.2+0.3+0.5
        { label: 'E', source: L, p: { e: 0.45, F: 0.35, E: 0.2 } }, // e is no E: F either way
      ]),
    ).caseSensitive!;
    expect(served.lower.restrictedAccuracy).toBeCloseTo(2 / 3, 6);
    expect(served.lower.servedAccuracy).toBeCloseTo(2 / 3, 6);
    expect(served.upper.restrictedAccuracy).toBeCloseTo(1 / 2, 6);
    expect(served.upper.servedAccuracy).toBeCloseTo(1 / 2, 6);
    // which rows: u wrong -> right, e right -> wrong under the fold
    const only = (r: Row) => evaluatePredictions(set([r])).caseSensitive!.lower;
    expect(only({ label: 'u', source: L, p: { U: 0.5, v: 0.3, u: 0.2 } })).toMatchObject({
      restrictedAccuracy: 0,
      servedAccuracy: 1,
    });
    expect(only({ label: 'e', source: L, p: { C: 0.5, e: 0.4, c: 0.1 } })).toMatchObject({
      restrictedAccuracy: 1,
      servedAccuracy: 0,
    });
  });

  it('tables the case twins, worst first, and marks the same-shape pairs', () => {
    expect(c.caseTwins).toHaveLength(26);
    const o = c.caseTwins.find((t) => t.letter === 'O')!;
    expect(o).toMatchObject({
      lowerCount: 1,
      upperCount: 1,
      lowerAsUpper: 1,
      upperAsLower: 0,
      sameShape: true,
    });
    expect(o.confusionRate).toBeCloseTo(0.5, 6);
    expect(c.caseTwins.find((t) => t.letter === 'E')!.sameShape).toBe(false);
    expect(c.caseTwins[0]!.confusionRate).toBeGreaterThanOrEqual(c.caseTwins[25]!.confusionRate);
    expect(c.caseTwinErrors).toEqual({ errors: 3, totalErrors: 5, share: 0.6 });
    // 1 -> l is a digit/letter twin in a case-sensitive space too
    expect(m.twins.errors).toBe(2); // 1 -> l, b -> 6
  });

  it('a 36-class evaluation has no case section', () => {
    const probs = new Float32Array(36);
    probs[0] = 1;
    const m36 = evaluatePredictions({
      probs,
      labels: Uint8Array.of(0),
      sources: Uint8Array.of(sourceId('mnist')),
      classNames: LABEL_SPACE_36.classes,
    });
    expect(m36.labelSpace).toBe('hcr36');
    expect(m36.caseSensitive).toBeUndefined();
  });

  it('foldProbabilities sums merged classes', () => {
    const p = new Float32Array(62);
    p[classIndex('c', S)] = 0.3;
    p[classIndex('C', S)] = 0.2;
    p[classIndex('e', S)] = 0.5;
    const f = foldProbabilities(p, S, LABEL_SPACE_47);
    expect(f[classIndex('C', LABEL_SPACE_47)]).toBeCloseTo(0.5, 6);
    expect(f[classIndex('e', LABEL_SPACE_47)]).toBeCloseTo(0.5, 6);
  });
});
