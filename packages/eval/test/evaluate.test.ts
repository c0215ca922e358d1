import { classIndex, LABEL_SPACE_36, sourceId } from '@hcr/core';
import { describe, expect, it } from 'vitest';
import { evaluatePredictions } from '../src/evaluate.js';
import { wilsonInterval } from '../src/metrics.js';

const K = 36;
type Row = { label: string; source: Parameters<typeof sourceId>[0]; p: Record<string, number> };

function set(rows: Row[]) {
  const probs = new Float32Array(rows.length * K);
  rows.forEach((r, i) => {
    for (const [c, p] of Object.entries(r.p)) probs[i * K + classIndex(c)] = p;
  });
  return {
    probs,
    labels: Uint8Array.from(rows.map((r) => classIndex(r.label))),
    sources: Uint8Array.from(rows.map((r) => sourceId(r.source))),
    classNames: LABEL_SPACE_36.classes,
  };
}

// hand-made: 3 MNIST rows, 2 letter rows, 2 rows of the generalisation set
const rows: Row[] = [
  { label: '0', source: 'mnist', p: { '0': 0.9, O: 0.1 } }, // right
  { label: '0', source: 'mnist', p: { O: 0.6, '0': 0.3, D: 0.1 } }, // 0 -> O, own-class right
  { label: '1', source: 'mnist', p: { I: 0.5, '7': 0.3, '1': 0.2 } }, // 1 -> I, own-class 7 (wrong), top-3 right
  { label: 'A', source: 'emnist-letters-repack', p: { A: 1 } }, // right
  { label: 'O', source: 'emnist-letters-repack', p: { '0': 0.7, O: 0.3 } }, // O -> 0, own-class right
  { label: '5', source: 'emnist-digits-repack', p: { S: 0.8, '5': 0.2 } }, // 5 -> S, own-class right
  { label: '2', source: 'emnist-digits-repack', p: { '2': 0.99, Z: 0.01 } }, // right
];

describe('evaluatePredictions', () => {
  const m = evaluatePredictions(set(rows));

  it('reports every source and keeps the generalisation set out of overall', () => {
    expect(Object.keys(m.sources)).toEqual(['mnist', 'emnist-letters-repack', 'emnist-digits-repack']);
    expect(m.overall.sources).toEqual(['mnist', 'emnist-letters-repack']);
    expect(m.overall.count).toBe(5);
    expect(m.sources.mnist).toMatchObject({
      count: 3,
      accuracy: 0.333333,
      top3Accuracy: 1,
      ownClasses: 'digits',
    });
    expect(m.sources.mnist!.ownClassAccuracy).toBe(0.666667);
    expect(m.sources['emnist-letters-repack']).toMatchObject({
      count: 2,
      accuracy: 0.5,
      ownClassAccuracy: 1,
    });
    expect(m.sources['emnist-digits-repack']).toMatchObject({ count: 2, accuracy: 0.5, ownClassAccuracy: 1 });
  });

  it('computes overall accuracy, top-3, per-source own-class accuracy and ECE', () => {
    expect(m.overall).toMatchObject({ accuracy: 0.4, top3Accuracy: 1, ownClassAccuracy: 0.8, errors: 3 });
    // 2 of 5 right: a 95% interval wide enough to say five images prove little
    expect(m.overall.accuracyInterval).toEqual(wilsonInterval(2, 5));
    expect(m.sources['emnist-digits-repack']!.accuracyInterval).toEqual(wilsonInterval(1, 2));
    // confidences 0.9 (right), 0.6, 0.5, 1 (right), 0.7: gaps 0.1, 0.6, 0.5, 0, 0.7, one sample per bin
    expect(m.overall.ece).toBeCloseTo(1.9 / 5, 5);
    expect(m.calibration.ece).toBeCloseTo(1.9 / 5, 5);
    expect(m.calibration.reliability.reduce((n, b) => n + b.count, 0)).toBe(5);
  });

  it('builds the overall confusion matrix, per-class scores and top confusions', () => {
    const c0 = classIndex('0');
    const cO = classIndex('O');
    expect(m.confusion[c0]![cO]).toBe(1);
    expect(m.confusion[cO]![c0]).toBe(1);
    expect(m.confusion[classIndex('5')]![classIndex('S')]).toBe(0); // generalisation set is not in overall
    expect(m.perClass[c0]).toMatchObject({ class: '0', precision: 0.5, recall: 0.5, f1: 0.5, support: 2 });
    expect(m.perClass[classIndex('A')]).toMatchObject({ precision: 1, recall: 1, f1: 1, support: 1 });
    expect(m.overall.topConfusions[0]).toMatchObject({
      pair: '0<->O',
      aAsB: 1,
      bAsA: 1,
      total: 2,
      twin: true,
    });
    expect(m.overall.topConfusions[1]).toMatchObject({ pair: '1<->I', total: 1, twin: true });
    expect(m.sources['emnist-digits-repack']!.topConfusions[0]).toMatchObject({ pair: '5<->S', twin: true });
  });

  it('counts the share of errors between the named digit/letter twins', () => {
    expect(m.twins).toMatchObject({ errors: 3, totalErrors: 3, share: 1 });
    expect(m.twins.pairs).toContainEqual(['0', 'O']);
    const noTwins = evaluatePredictions(
      set([
        { label: '3', source: 'mnist', p: { '8': 1 } },
        { label: '0', source: 'mnist', p: { O: 1 } },
      ]),
    );
    expect(noTwins.twins).toMatchObject({ errors: 1, totalErrors: 2, share: 0.5 });
  });

  it('macro-F1 of a source averages only the classes it contains', () => {
    // letters: A right (F1 1), O wrong (F1 0) -> 0.5; the digit 0 it was mistaken for is not a letters class
    expect(m.sources['emnist-letters-repack']!.macroF1).toBe(0.5);
  });

  it('rejects probabilities of the wrong size', () => {
    const s = set(rows);
    expect(() => evaluatePredictions({ ...s, probs: s.probs.subarray(1) })).toThrow(/rows x 36 classes/);
  });
});
