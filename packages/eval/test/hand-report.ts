import { type ConfidenceCalibration, classIndex, LABEL_SPACE_36, sourceId } from '@hcr/core';
import { evaluatePredictions } from '../src/evaluate.js';
import type { EvalReport } from '../src/report.js';

const K = 36;
export type Row = { label: string; source: Parameters<typeof sourceId>[0]; p: Record<string, number> };

/** A whole eval.json from hand-made probability rows: the metrics computed, the rest filled in. */
export function report(rows: Row[], id = 'run-a'): EvalReport {
  const probs = new Float32Array(rows.length * K);
  rows.forEach((r, i) => {
    for (const [c, p] of Object.entries(r.p)) probs[i * K + classIndex(c)] = p;
  });
  const metrics = evaluatePredictions({
    probs,
    labels: Uint8Array.from(rows.map((r) => classIndex(r.label))),
    sources: Uint8Array.from(rows.map((r) => sourceId(r.source))),
    classNames: LABEL_SPACE_36.classes,
  });
  return {
    formatVersion: 1,
    ...metrics,
    model: {
      id,
      dir: `artifacts/model/${id}`,
      architecture: 'hcrnet',
      commit: 'abc1234',
      createdAt: '2026-01-01T00:00:00.000Z',
      trainedOnManifestSha256: 'a'.repeat(64),
      trainingEngine: 'wasm',
      trainingConfig: { lr: 0.003, epochs: 2, augment: { rotate: 12, scale: 0.123456789 } },
      trainingMetrics: {
        val_acc: 0.9105431309904153,
        train_seconds: 822.5483537000001,
        images_per_s: 303.44720632804786,
        steps: 1950,
      },
    },
    data: {
      dir: 'artifacts/data/shards',
      manifestSha256: 'a'.repeat(64),
      matchesTraining: true,
      letterSource: 'emnist-letters-repack',
      characterNormalisation: 'none',
      splits: { test: rows.length },
      sample: null,
    },
    runtime: 'onnx',
    runtimes: [{ runtime: 'onnx', description: 'onnxruntime-node (cpu)' }],
    agreement: null,
    pictures: {},
    calibration: { ...metrics.calibration, applied: null, uncalibrated: { ece: 0, sources: {} } },
    timing: { runtimes: [] },
  };
}

// In one confidence bin, MNIST over-confident (75% sure, half right) and the letters under-confident (78% sure,
// all right): pooled, they cancel, so the test split's ECE is below each source's own
export const MIXED: Row[] = [
  ...Array.from({ length: 3 }, () => ({ label: '0', source: 'mnist' as const, p: { '0': 0.75, O: 0.25 } })),
  ...Array.from({ length: 3 }, () => ({ label: '0', source: 'mnist' as const, p: { O: 0.75, '0': 0.25 } })),
  ...Array.from({ length: 6 }, () => ({
    label: 'A',
    source: 'emnist-letters-repack' as const,
    p: { A: 0.78, '4': 0.22 },
  })),
  { label: '5', source: 'emnist-digits-repack', p: { S: 0.9, '5': 0.1 } },
  { label: '2', source: 'emnist-digits-repack', p: { '2': 0.6, Z: 0.4 } },
];

/** A report's `calibration.applied` as `hcr calibrate` writes it (the compare tests' calibrated report). */
export const APPLIED_CALIBRATION: ConfidenceCalibration = {
  method: 'answer-kind-temperature',
  temperatures: { digit: 0.7, digitOverLetter: 0.4, letter: 0.8, letterOverDigit: 0.8 },
  singleTemperature: 0.6,
  fittedOn: 'val',
  objective: 'test',
  fit: { eceBefore: {}, eceAfter: {} },
  createdAt: '2026-01-01T00:00:00.000Z',
};
