import { type ConfidenceCalibration, createRng, type SourceName } from '@hcr/core';
import { renderClassF1 } from './charts/class-f1.js';
import { renderConfusionMatrix } from './charts/confusion.js';
import { renderLearningCurves } from './charts/learning-curves.js';
import { renderReliabilityPanels } from './charts/reliability.js';
import {
  type MistakeGroup,
  renderMistakeGallery,
  renderPredictionGrid,
  type ShownSample,
} from './charts/samples.js';
import type { EvalMetrics, reliabilityBySource } from './evaluate.js';
import { argmaxAll } from './metrics.js';
import type { readTrainingMetrics } from './model-files.js';
import { type EvalImages, testRowsOf } from './report-data.js';

/** The character report's pictures, by file name. */

export const PICTURES = {
  confusion: 'confusion.png',
  confusionNormalised: 'confusion-normalised.png',
  predictions: 'predictions.png',
  mistakes: 'mistakes.png',
  classF1: 'class-f1.png',
  learningCurves: 'learning-curves.png',
  reliability: 'reliability.png',
} as const;

/** Pictures of samples: a random grid and the most confident mistakes of the top confusions. */
function samplePictures(
  images: EvalImages,
  probs: Float32Array,
  metrics: EvalMetrics,
): { grid: ShownSample[]; mistakes: MistakeGroup[] } {
  const k = metrics.classNames.length;
  const predicted = argmaxAll({ probs, k });
  const shown = (i: number): ShownSample => ({
    index: i,
    label: images.labels[i]!,
    predicted: predicted[i]!,
    confidence: probs[i * k + predicted[i]!]!,
  });
  const test = testRowsOf(images);
  const rng = createRng(7);
  const grid: ShownSample[] = [];
  const picked = new Set<number>();
  while (grid.length < Math.min(60, test.length)) {
    const i = test[rng.int(test.length)]!;
    if (picked.has(i)) continue;
    picked.add(i);
    grid.push(shown(i));
  }
  // directed confusions (true -> predicted), most frequent first
  const directed: { t: number; p: number; n: number }[] = [];
  metrics.confusion.forEach((row, t) => {
    row.forEach((n, p) => {
      if (t !== p && n > 0) directed.push({ t, p, n });
    });
  });
  directed.sort((x, y) => y.n - x.n || x.t - y.t || x.p - y.p);
  const mistakes = directed.slice(0, 6).map(({ t, p, n }) => {
    const rows = [...test].filter((i) => images.labels[i] === t && predicted[i] === p);
    rows.sort((x, y) => probs[y * k + p]! - probs[x * k + p]! || x - y);
    return {
      title: `true ${metrics.classNames[t]} -> predicted ${metrics.classNames[p]} (${n} ${n === 1 ? 'error' : 'errors'}), most confident first`,
      samples: rows.slice(0, 10).map(shown),
    };
  });
  return { grid, mistakes };
}

/**
 * Every picture of the report: confusion matrices, a random grid and the worst mistakes, per-class F1, reliability
 * per source (with the raw model's beside the calibrated one when the model has a calibration), and the learning
 * curves when the run logged its training.
 */
export function renderReportPictures({
  images,
  probs,
  metrics,
  calibratedBySource,
  rawBySource,
  applied,
  trainingRows,
  trainingConfig,
}: {
  images: EvalImages;
  probs: Float32Array;
  metrics: EvalMetrics;
  calibratedBySource: ReturnType<typeof reliabilityBySource>;
  rawBySource: ReturnType<typeof reliabilityBySource>;
  applied: ConfidenceCalibration | undefined;
  trainingRows: Awaited<ReturnType<typeof readTrainingMetrics>>;
  /** The run's training configuration: the learning curves' legend says what the train series measured. */
  trainingConfig?: Record<string, unknown>;
}): Record<string, Buffer> {
  const { grid, mistakes } = samplePictures(images, probs, metrics);
  const pictures: Record<string, Buffer> = {
    [PICTURES.confusion]: renderConfusionMatrix(metrics.confusion, metrics.classNames),
    [PICTURES.confusionNormalised]: renderConfusionMatrix(metrics.confusion, metrics.classNames, {
      normalised: true,
    }),
    [PICTURES.predictions]: renderPredictionGrid(images, grid, metrics.classNames, {
      title: 'Random test predictions (green: right, red: wrong; prediction, confidence, true class)',
    }),
    [PICTURES.mistakes]: renderMistakeGallery(images, mistakes, metrics.classNames),
    [PICTURES.classF1]: renderClassF1(metrics.perClass),
    [PICTURES.reliability]: renderReliabilityPanels(
      Object.entries(calibratedBySource).map(([name, r]) => ({
        title: name,
        bins: r!.reliability,
        ece: r!.ece,
        before: applied
          ? rawBySource[name as SourceName] && {
              bins: rawBySource[name as SourceName]!.reliability,
              ece: rawBySource[name as SourceName]!.ece,
            }
          : undefined,
      })),
      {
        title: applied
          ? 'Reliability per test source, calibrated (grey: the raw model)'
          : 'Reliability per test source (the model has no calibration)',
      },
    ),
  };
  if (trainingRows.length > 0)
    pictures[PICTURES.learningCurves] = renderLearningCurves(trainingRows, { trainingConfig });
  return pictures;
}
