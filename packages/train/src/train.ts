import { resolve } from 'node:path';
import {
  DEFAULT_INPUT_NORMALISATION,
  foldMap,
  HcrError,
  isCaseSensitive,
  LABEL_SPACE_36,
  LABEL_SPACE_47,
  type LabelSpace,
  type ModelMetadata,
  sourceId,
} from '@hcr/core';
import { type Dataset, epochOrder, openDataset, type SplitData } from '@hcr/data';
import { INPUT_SHAPE } from '@hcr/model';
import { calibrateRun } from './calibrate-run.js';
import { sameShapeCaseTwins } from './case-targets.js';
import type { BestWeights } from './checkpoint.js';
import { learningRate, resolveTrainConfig, type TrainConfigInput } from './config.js';
import { logitAdjustment, logitPriorGroups } from './logit-adjust.js';
import { restoreBest, runLoop } from './loop.js';
import { WorkerPool } from './pool.js';
import { type ProgressReporter, progressReporter } from './progress.js';
import type { SharedSplit } from './protocol.js';
import { gitCommit, pointLatest } from './run-dir.js';
import { checkLabelSpace, checkSameData, initialProgress, startRun } from './start.js';

export interface TrainOptions {
  config?: TrainConfigInput;
  /** Resume a run: its id (under `out`), or true for the most recent run with a checkpoint. */
  resume?: string | boolean;
  /** Run id for a new run (default `<model>-<profile>-<yyyymmdd-hhmmss>`). */
  run?: string;
  /** Replace an existing run directory of the same id (the pipeline re-trains into a fixed id). */
  force?: boolean;
  log?: (line: string) => void;
  progress?: ProgressReporter;
  /** Stop after this many optimizer steps in this process (tests: simulate an interruption). */
  maxSteps?: number;
}

export interface TrainResult {
  runDir: string;
  metadata: ModelMetadata;
  /** Present when `maxSteps` stopped the run before the end. */
  stoppedEarly?: boolean;
}

function share(data: SplitData, limit = 0): SharedSplit {
  const count = limit > 0 ? Math.min(limit, data.count) : data.count;
  const px = 28 * 28;
  const mk = (src: Uint8Array, n: number) => {
    const out = new Uint8Array(new SharedArrayBuffer(n));
    out.set(src.subarray(0, n));
    return out;
  };
  return {
    count,
    pixels: mk(data.pixels, count * px),
    labels: mk(data.labels, count),
    sources: mk(data.sources, count),
  };
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

/**
 * Trains a model: data-parallel replicas in worker threads, AdamW + warm-up/cosine schedule, label
 * smoothing, gradient clipping, seeded augmentation, validation each epoch, best-checkpoint keeping,
 * atomic checkpoints every K steps, exact resume. Writes the run directory and points `latest` at it.
 */
export async function train(opts: TrainOptions = {}): Promise<TrainResult> {
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  let config = resolveTrainConfig(opts.config);

  const start = await startRun(config, {
    ...opts,
    log,
    // Checkpoints from before these options existed trained without them.
    upgrade: (stored) => ({
      logitAdjust: stored.logitAdjust ?? 0,
      logitPrior: stored.logitPrior ?? 'class',
      caseTwinShare: stored.caseTwinShare ?? 0,
      augment: { ...stored.augment, toneProb: stored.augment.toneProb ?? 0 },
    }),
  });
  const { runId, runDir, resumed } = start;
  config = start.config;
  const commit = gitCommit(); // the code this run starts from

  const dataset: Dataset = await openDataset(config.data);
  checkSameData(start, dataset.dir, dataset.manifestSha256);
  const space = dataset.labelSpace;
  checkLabelSpace(config.labels, space.id, dataset.dir, 'shards');
  const classes = space.classes.length;
  const normalisation = DEFAULT_INPUT_NORMALISATION;
  const [trainData, valData, testData, extraData] = await Promise.all(
    (['train', 'val', 'test', 'extra'] as const).map((s) => dataset.loadSplit(s)),
  );
  const splits = {
    train: share(trainData!, config.limitTrain),
    val: share(valData!),
    test: share(testData!),
    extra: share(extraData!),
  };

  const pool = await WorkerPool.start(config.workers, {
    task: 'character',
    model: config.model,
    classes,
    modelSeed: config.seed,
    dropout: config.dropout,
    engine: config.engine,
    splits,
    normalisation,
    augment: config.augment,
    dataSeed: config.seed,
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
    weightDecay: config.weightDecay,
    beta1: 0.9,
    beta2: 0.999,
    epsilon: 1e-7,
  });
  try {
    const engine = pool.info.engine;
    log(
      `engine: ${engine.name} (backend '${engine.backend}'${engine.fastKernels ? ', fast training kernels' : ''}), ` +
        `${pool.size} worker thread(s), model ${config.model} (${pool.info.paramCount} parameters), run ${runId}`,
    );
    const stepsPerEpoch = Math.floor(splits.train.count / config.batchSize);
    if (stepsPerEpoch < 1)
      throw new HcrError(
        'TRAIN_CONFIG',
        `The batch size ${config.batchSize} exceeds the ${splits.train.count} training samples.`,
        {
          hint: 'Use a smaller --batch.',
        },
      );
    const progress = initialProgress(start, dataset.manifestSha256);
    let best: BestWeights | undefined = resumed?.best;
    if (resumed) await pool.setState(resumed.weights);

    const loop = await runLoop({
      pool,
      runId,
      runDir,
      schedule: config,
      learningRate: (t, total) => learningRate(config, t, total),
      stepsPerEpoch,
      order: (epoch) => epochOrder(splits.train.count, true, config.seed, epoch),
      progress,
      best,
      validate: async () => {
        const val = await pool.evaluate('val', splits.val.count);
        return {
          loss: val.lossSum / splits.val.count,
          score: accuracyWhere(val.pred, splits.val, () => true),
        };
      },
      reporter: opts.progress ?? progressReporter(),
      log,
      maxSteps: opts.maxSteps,
      unit: 'img',
    });
    best = loop.best;
    if (loop.stoppedEarly)
      return { runDir, metadata: undefined as unknown as ModelMetadata, stoppedEarly: true };

    // Test with the best weights (by validation accuracy).
    await restoreBest(pool, best);
    const tTest = performance.now();
    const test = await pool.evaluate('test', splits.test.count);
    const extra = await pool.evaluate('extra', splits.extra.count);
    const mnist = sourceId('mnist');
    // The EMNIST digits generalisation set: the offline repack or the official test files (data config `extra`).
    const extraDigits = new Set([sourceId('emnist-digits-repack'), sourceId('emnist-digits')]);
    const lastMetrics = progress.history[progress.history.length - 1]!;
    const metrics: Record<string, number> = {
      best_epoch: progress.best?.epoch ?? lastMetrics.epoch,
      val_acc: progress.best?.valAcc ?? lastMetrics.val_acc,
      val_loss: progress.best?.valLoss ?? lastMetrics.val_loss,
      final_val_acc: lastMetrics.val_acc,
      final_val_loss: lastMetrics.val_loss,
      final_train_loss: lastMetrics.train_loss,
      test_acc: accuracyWhere(test.pred, splits.test, () => true),
      test_mnist_acc: accuracyWhere(test.pred, splits.test, (i) => splits.test.sources[i] === mnist),
      test_letters_acc: accuracyWhere(test.pred, splits.test, (i) => splits.test.sources[i] !== mnist),
      // Letters-only argmax: the mirror of extra_digits_acc_digitsonly; the gap to test_letters_acc is
      // almost entirely letter->digit twins (L->1, O->0, I->1, Q->9, S->5, Z->2).
      test_letters_acc_lettersonly: accuracyWhere(
        test.predLetters,
        splits.test,
        (i) => splits.test.sources[i] !== mnist,
      ),
      extra_digits_acc36: accuracyWhere(extra.pred, splits.extra, (i) =>
        extraDigits.has(splits.extra.sources[i]!),
      ),
      extra_digits_acc_digitsonly: accuracyWhere(extra.predDigits, splits.extra, (i) =>
        extraDigits.has(splits.extra.sources[i]!),
      ),
      ...foldedLetterMetrics(space, test.pred, splits.test, (i) => splits.test.sources[i] !== mnist),
      images_per_s:
        progress.history.reduce((s, h) => s + h.images_per_s * h.seconds, 0) /
        Math.max(1e-9, progress.seconds),
      train_seconds: progress.seconds,
      test_seconds: (performance.now() - tTest) / 1000,
      steps: progress.globalStep,
    };
    const metadata: ModelMetadata = {
      formatVersion: 1,
      id: runId,
      uid: progress.uid,
      modelVersion: progress.modelVersion,
      architecture: config.model,
      labelSpace: space.id,
      classNames: [...space.classes],
      inputShape: INPUT_SHAPE,
      inputNormalisation: { ...normalisation },
      characterNormalisation: dataset.manifest.config.normalise,
      letterSource: dataset.manifest.letterSource,
      dataManifestSha256: dataset.manifestSha256,
      commit,
      createdAt: new Date().toISOString(),
      engine: engine.name,
      trainingConfig: { ...config, workers: pool.size } as unknown as Record<string, unknown>,
      metrics,
    };
    await pool.save(runDir, metadata);
    // Confidences that mean what they say: temperatures fitted on the validation split, in metadata.json.
    metadata.calibration = await calibrateRun(runDir, { dataDir: config.data, engine: config.engine, log });
    await pointLatest(resolve(config.out), runDir);
    if (metrics.test_letters_acc_folded36 !== undefined)
      log(
        `test (${space.id}): letters folded to 36 ${(metrics.test_letters_acc_folded36 * 100).toFixed(2)}%` +
          (metrics.test_letters_acc_folded47 === undefined
            ? ''
            : `, folded to 47 ${(metrics.test_letters_acc_folded47 * 100).toFixed(2)}%`),
      );
    log(
      `test: mnist ${(metrics.test_mnist_acc! * 100).toFixed(2)}%, letters ${(metrics.test_letters_acc! * 100).toFixed(2)}%, ` +
        `EMNIST digits (extra) 36-way ${(metrics.extra_digits_acc36! * 100).toFixed(2)}%, digits-only ${(metrics.extra_digits_acc_digitsonly! * 100).toFixed(2)}%`,
    );
    log(`saved ${runDir} (model.json, weights.bin, metadata.json, metrics.jsonl, learning-curve.png)`);
    return { runDir, metadata };
  } finally {
    await pool.close();
  }
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
