import {
  foldMap,
  HcrError,
  isCaseSensitive,
  LABEL_SPACE_36,
  LABEL_SPACE_47,
  type LabelSpace,
  sourceId,
} from '@hcr/core';
import { type Dataset, epochOrder, openDataset, type SplitData } from '@hcr/data/reader';
import { INPUT_SHAPE } from '@hcr/model';
import { calibrateRun } from './calibrate-run.js';
import { sameShapeCaseTwins } from './case-targets.js';
import type { TrainProgress } from './checkpoint.js';
import { resolveTrainConfig } from './config.js';
import { limitedSample } from './limit.js';
import { logitAdjustment, logitPriorGroups } from './logit-adjust.js';
import type { EvalResult, SharedSplit } from './protocol.js';
import {
  bestEpochMetrics,
  type OpenedData,
  runTraining,
  type TrainOptions,
  type TrainResult,
} from './session.js';
import { checkLabelSpace } from './start.js';

export type { StoppedAt, TrainOptions, TrainResult } from './session.js';

/**
 * A split in shared memory for the workers. With `limit` (--limit-train, smoke runs) below its size: a seeded
 * sample across the whole split, in split order. The first N would be MNIST digits only (the shards put
 * MNIST first), leaving no letters to learn.
 */
export function share(data: SplitData, limit = 0, seed = 0): SharedSplit {
  const px = 28 * 28;
  const mk = (src: Uint8Array, n: number) => {
    const out = new Uint8Array(new SharedArrayBuffer(n));
    out.set(src.subarray(0, n));
    return out;
  };
  if (!(limit > 0 && limit < data.count)) {
    const count = data.count;
    return {
      count,
      pixels: mk(data.pixels, count * px),
      labels: mk(data.labels, count),
      sources: mk(data.sources, count),
    };
  }
  const keep = limitedSample(data.count, limit, seed);
  const pixels = new Uint8Array(new SharedArrayBuffer(limit * px));
  const labels = new Uint8Array(new SharedArrayBuffer(limit));
  const sources = new Uint8Array(new SharedArrayBuffer(limit));
  keep.forEach((i, k) => {
    pixels.set(data.pixels.subarray(i * px, (i + 1) * px), k * px);
    labels[k] = data.labels[i]!;
    sources[k] = data.sources[i]!;
  });
  return { count: limit, pixels, labels, sources };
}

function accuracyWhere(pred: Uint8Array, data: SharedSplit, keep: (i: number) => boolean): number {
  let n = 0;
  let ok = 0;
  for (let i = 0; i < data.count; i++) {
    if (!keep(i)) continue;
    n++;
    if (pred[i] === data.labels[i]) ok++;
  }
  return n ? ok / n : Number.NaN;
}

interface CharacterData extends OpenedData {
  dataset: Dataset;
  space: LabelSpace;
  splits: { train: SharedSplit; val: SharedSplit; test: SharedSplit; extra: SharedSplit };
}

/**
 * Trains a character model: data-parallel replicas in worker threads, AdamW + warm-up/cosine schedule, label
 * smoothing, gradient clipping, seeded augmentation, validation each epoch, best-checkpoint keeping,
 * atomic checkpoints every K steps, exact resume (the run machinery is `runTraining`'s, shared with the line
 * reader). Writes the run directory, fits calibration and points `latest` at it.
 */
export async function train(opts: TrainOptions = {}): Promise<TrainResult> {
  return runTraining<CharacterData>(opts, {
    unit: 'img',
    config: resolveTrainConfig(opts.config),
    // Checkpoints from before these options existed trained without them.
    upgrade: (stored) => ({
      logitAdjust: stored.logitAdjust ?? 0,
      logitPrior: stored.logitPrior ?? 'class',
      caseTwinShare: stored.caseTwinShare ?? 0,
      augment: { ...stored.augment, toneProb: stored.augment.toneProb ?? 0 },
    }),
    async open(config) {
      const dataset = await openDataset(config.data);
      const space = dataset.labelSpace;
      checkLabelSpace(config.labels, space.id, dataset.dir, 'shards');
      const [trainData, valData, testData, extraData] = await Promise.all(
        (['train', 'val', 'test', 'extra'] as const).map((s) => dataset.loadSplit(s)),
      );
      const splits = {
        train: share(trainData!, config.limitTrain, config.seed),
        val: share(valData!),
        test: share(testData!),
        extra: share(extraData!),
      };
      // Validation picks the best epoch and fits the calibration: without it a whole run trained to fail at the end.
      if (splits.val.count === 0)
        throw new HcrError('DATA_EMPTY', `The dataset in ${dataset.dir} has no validation images.`, {
          hint: 'Prepare it with a validation fraction (configs/data.json valFraction, e.g. 0.05), or pass --data with one that has.',
        });
      const { dir, manifestSha256 } = dataset;
      return { dir, manifestSha256, trainCount: splits.train.count, dataset, space, splits };
    },
    task: ({ space, splits }, config) => {
      const classes = space.classes.length;
      return {
        task: 'character',
        classes,
        splits,
        labelSmoothing: config.labelSmoothing,
        logitBias: Array.from(
          logitAdjustment(
            splits.train.labels,
            classes,
            config.logitAdjust,
            logitPriorGroups(config.logitPrior, space),
          ),
        ),
        caseTwins: Array.from(sameShapeCaseTwins(space)),
        caseTwinShare: config.caseTwinShare,
      };
    },
    batchHint: 'Use a smaller --batch.',
    order: ({ splits }, config, epoch) => epochOrder(splits.train.count, true, config.seed, epoch),
    async validate(pool, { splits }) {
      const val = await pool.evaluate('val', splits.val.count);
      return { loss: val.lossSum / splits.val.count, score: accuracyWhere(val.pred, splits.val, () => true) };
    },
    test: async (pool, { space, splits }, progress, signal) => {
      const test = await pool.evaluate('test', splits.test.count);
      if (signal?.aborted) return { metrics: {}, summary: [] };
      const extra = await pool.evaluate('extra', splits.extra.count);
      const metrics = characterMetrics(space, splits, test, extra, progress);
      return { metrics, summary: characterSummary(space, metrics) };
    },
    model: ({ space, dataset }) => ({
      labelSpace: space.id,
      classNames: [...space.classes],
      inputShape: INPUT_SHAPE,
      characterNormalisation: dataset.manifest.config.normalise,
      letterSource: dataset.manifest.letterSource,
    }),
    // Confidences that mean what they say: temperatures fitted on the validation split, in metadata.json.
    async afterSave(runDir, metadata, config, log) {
      metadata.calibration = await calibrateRun(runDir, { dataDir: config.data, engine: config.engine, log });
    },
    latest: 'latest',
  });
}

/** The test figures of a character model: overall, MNIST, letters, and the EMNIST digits generalisation set. */
function characterMetrics(
  space: LabelSpace,
  splits: CharacterData['splits'],
  test: EvalResult,
  extra: EvalResult,
  progress: TrainProgress,
): Record<string, number> {
  const mnist = sourceId('mnist');
  // The EMNIST digits generalisation set: the offline repack or the official test files (data config `extra`).
  const extraDigits = new Set([sourceId('emnist-digits-repack'), sourceId('emnist-digits')]);
  const isLetter = (i: number) => splits.test.sources[i] !== mnist;
  return {
    ...bestEpochMetrics(progress, 'acc'),
    test_acc: accuracyWhere(test.pred, splits.test, () => true),
    test_mnist_acc: accuracyWhere(test.pred, splits.test, (i) => splits.test.sources[i] === mnist),
    test_letters_acc: accuracyWhere(test.pred, splits.test, isLetter),
    // Letters-only argmax: the mirror of extra_digits_acc_digitsonly; the gap to test_letters_acc is
    // almost entirely letter->digit twins (L->1, O->0, I->1, Q->9, S->5, Z->2).
    test_letters_acc_lettersonly: accuracyWhere(test.predLetters, splits.test, isLetter),
    extra_digits_acc36: accuracyWhere(extra.pred, splits.extra, (i) =>
      extraDigits.has(splits.extra.sources[i]!),
    ),
    extra_digits_acc_digitsonly: accuracyWhere(extra.predDigits, splits.extra, (i) =>
      extraDigits.has(splits.extra.sources[i]!),
    ),
    ...foldedLetterMetrics(space, test.pred, splits.test, isLetter),
  };
}

function characterSummary(space: LabelSpace, metrics: Record<string, number>): string[] {
  const pct = (x: number | undefined) => `${(x! * 100).toFixed(2)}%`;
  const lines: string[] = [];
  if (metrics.test_letters_acc_folded36 !== undefined)
    lines.push(
      `test (${space.id}): letters folded to 36 ${pct(metrics.test_letters_acc_folded36)}` +
        (metrics.test_letters_acc_folded47 === undefined
          ? ''
          : `, folded to 47 ${pct(metrics.test_letters_acc_folded47)}`),
    );
  lines.push(
    `test: mnist ${pct(metrics.test_mnist_acc)}, letters ${pct(metrics.test_letters_acc)}, ` +
      `EMNIST digits (extra) 36-way ${pct(metrics.extra_digits_acc36)}, digits-only ${pct(metrics.extra_digits_acc_digitsonly)}`,
  );
  return lines;
}

/**
 * A case-sensitive model's letters, folded to the narrower spaces: 36-way (comparable with a 36-class model
 * on the same images) and, for hcr62, 47-way (EMNIST Balanced). Empty for hcr36.
 */
function foldedLetterMetrics(
  space: LabelSpace,
  pred: Uint8Array,
  data: SharedSplit,
  keep: (i: number) => boolean,
): Record<string, number> {
  if (!isCaseSensitive(space)) return {};
  const folded = (to: LabelSpace) => {
    const map = foldMap(space, to);
    let n = 0;
    let ok = 0;
    for (let i = 0; i < data.count; i++) {
      if (!keep(i)) continue;
      n++;
      if (map[pred[i]!] === map[data.labels[i]!]) ok++;
    }
    return n ? ok / n : Number.NaN;
  };
  const out: Record<string, number> = { test_letters_acc_folded36: folded(LABEL_SPACE_36) };
  if (space.classes.length > LABEL_SPACE_47.classes.length)
    out.test_letters_acc_folded47 = folded(LABEL_SPACE_47);
  return out;
}
