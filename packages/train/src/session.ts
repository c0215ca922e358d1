import { rmdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { DEFAULT_INPUT_NORMALISATION, HcrError, type ModelMetadata } from '@hcr/core';
import type { TrainProgress } from './checkpoint.js';
import { learningRate, type TrainConfig } from './config.js';
import { checkInitModel, type InitModel, openInitModel } from './init-from.js';
import { restoreBest, runLoop, type ValidationResult } from './loop.js';
import { WorkerPool } from './pool.js';
import { type ProgressReporter, progressReporter } from './progress.js';
import type { InitMessage } from './protocol.js';
import { gitCommit, pointLatest } from './run-dir.js';
import { checkSameData, initialProgress, type RunStart, type StartOptions, startRun } from './start.js';
import { type ActiveWorkers, allWorkers, followMachineLoad } from './workload.js';

export interface TrainOptions {
  config?: StartOptions['config'];
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
  /**
   * Stop at the next optimizer step once aborted (the CLI aborts on Ctrl-C): the checkpoint is saved at that
   * step, the result has `stoppedEarly`, and resuming the run continues exactly as if it had not stopped.
   */
  signal?: AbortSignal;
  /**
   * Which of the `workers` compute each step: 'follow-load' (default) as many as the cores other processes
   * leave free, 'all' every one, or a policy of your own. Speed only: the weights and figures are the same.
   */
  activeWorkers?: 'follow-load' | 'all' | ActiveWorkers;
  /** About how many points the learning curve keeps (default 300); a resumed run keeps its first spacing. */
  curvePoints?: number;
}

/**
 * Where a stopped run's checkpoint is: epochs and optimizer steps done (resume continues from there).
 * `trained` when every epoch was done and the test, calibration or saving was stopped (resume tests it again).
 */
export interface StoppedAt {
  epoch: number;
  batchInEpoch: number;
  step: number;
  runId: string;
  trained?: boolean;
}

/** A finished run has its model's metadata; one `maxSteps` or `signal` stopped has none, only `stoppedAt`. */
export type TrainResult =
  | { runDir: string; metadata: ModelMetadata; stoppedEarly?: false; stoppedAt?: undefined }
  | { runDir: string; metadata?: undefined; stoppedEarly: true; stoppedAt: StoppedAt };

/** The training data as a trainer opened it: where it is, its identity, and how many training samples. */
export interface OpenedData {
  dir: string;
  manifestSha256: string;
  trainCount: number;
}

/** What the workers' init message needs beyond the config every run shares. */
export type TaskInit = Pick<InitMessage, 'task' | 'classes' | 'splits' | 'labelSmoothing' | 'logitBias'> &
  Partial<Pick<InitMessage, 'context' | 'caseTwins' | 'caseTwinShare'>>;

/** The metadata fields that say what a model reads (the rest is the run's and the same for every trainer). */
export type ModelDescription = Pick<
  ModelMetadata,
  'labelSpace' | 'classNames' | 'inputShape' | 'characterNormalisation' | 'letterSource'
> &
  Partial<Pick<ModelMetadata, 'task' | 'reader'>>;

/**
 * What one kind of training adds to the run every trainer shares: its data, the order of an epoch, how it
 * scores validation and test, and what its model reads.
 */
export interface Trainer<D extends OpenedData> {
  /** `img` or `lines`: what logs and metrics call a training sample (`images_per_s` / `lines_per_s`). */
  unit: 'img' | 'lines';
  /** The resolved config of a new run (a resumed run takes its checkpoint's). */
  config: TrainConfig;
  /** Fills options a checkpoint from an older version did not store. */
  upgrade?: StartOptions['upgrade'];
  /** Opens the data (after the run directory is claimed) and checks it fits the config (and the init model's). */
  open(config: TrainConfig, init: InitModel | undefined): Promise<D>;
  task(data: D, config: TrainConfig): TaskInit;
  /** Appended to the engine line of the log (parameters are already there). */
  describe?(data: D): string;
  /** The hint of the error when the batch exceeds the training samples. */
  batchHint: string;
  order(data: D, config: TrainConfig, epoch: number): Uint32Array;
  validate(pool: WorkerPool, data: D): Promise<ValidationResult>;
  /** Reads the test data with the best weights: the model's own metrics, and lines for the log. */
  test(
    pool: WorkerPool,
    data: D,
    progress: TrainProgress,
    /** Aborted: return early with any figures (the run stops and discards them). */
    signal?: AbortSignal,
  ): Promise<{ metrics: Record<string, number>; summary: string[] }>;
  model(data: D): ModelDescription;
  /** Runs after the model is saved (e.g. fitting calibration into its metadata). */
  afterSave?(
    runDir: string,
    metadata: ModelMetadata,
    config: TrainConfig,
    log: (line: string) => void,
  ): Promise<void>;
  /** The link under `out` that points at the newest run of this kind. */
  latest: 'latest' | 'latest-reader';
}

/**
 * The figures every test report starts with: the best epoch's validation (the weights being tested) and the
 * last epoch's. `score` names the validation score (`acc` for characters, `exact` for lines).
 */
export function bestEpochMetrics(progress: TrainProgress, score: string): Record<string, number> {
  const last = progress.history[progress.history.length - 1]!;
  return {
    best_epoch: progress.best?.epoch ?? last.epoch,
    [`val_${score}`]: progress.best?.valAcc ?? last.val_acc,
    val_loss: progress.best?.valLoss ?? last.val_loss,
    [`final_val_${score}`]: last.val_acc,
    final_val_loss: last.val_loss,
    final_train_loss: last.train_loss,
  };
}

/**
 * A run from start to saved model, for every trainer: claim or resume the run directory, open the data,
 * start the worker replicas, run the shared loop, test with the best weights, write the model and its
 * metadata, and point `latest` at it.
 */
export async function runTraining<D extends OpenedData>(
  opts: TrainOptions,
  trainer: Trainer<D>,
): Promise<TrainResult> {
  const log = opts.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const start = await startRun(trainer.config, { ...opts, log, upgrade: trainer.upgrade });
  try {
    return await trainFrom(start, opts, trainer, log);
  } catch (e) {
    // A new run that fails before its first checkpoint (missing data, a batch larger than the data) leaves no
    // empty directory behind; rmdir removes nothing a run wrote.
    if (!start.resumed) await rmdir(start.runDir).catch(() => {});
    throw e;
  }
}

async function trainFrom<D extends OpenedData>(
  start: RunStart,
  opts: TrainOptions,
  trainer: Trainer<D>,
  log: (line: string) => void,
): Promise<TrainResult> {
  const { runId, runDir, resumed, config } = start;
  const commit = gitCommit(); // the code this run starts from

  const init = config.init ? await openInitModel(config) : undefined;
  const data = await trainer.open(config, init);
  checkSameData(start, data.dir, data.manifestSha256);
  if (init) checkInitModel(init, config, trainer.model(data));
  const normalisation = DEFAULT_INPUT_NORMALISATION;
  const pool = await WorkerPool.start(config.workers, {
    model: config.model,
    modelSeed: config.seed,
    dropout: config.dropout,
    engine: config.engine,
    normalisation,
    augment: config.augment,
    dataSeed: config.seed,
    weightDecay: config.weightDecay,
    beta1: 0.9,
    beta2: 0.999,
    epsilon: 1e-7,
    ...trainer.task(data, config),
    // a resumed run takes its checkpoint's weights: the init model is only where a new run starts
    ...(init && !resumed ? { initFrom: init.dir } : {}),
  });
  try {
    const engine = pool.info.engine;
    const more = trainer.describe ? `, ${trainer.describe(data)}` : '';
    log(
      `engine: ${engine.name} (backend '${engine.backend}'${engine.fastKernels ? ', fast training kernels' : ''}), ` +
        `${pool.size} worker thread(s), model ${config.model} (${pool.info.paramCount} parameters)${more}, run ${runId}`,
    );
    if (init && !resumed)
      log(`fine-tuning from ${init.dir} (${init.metadata.id}), peak learning rate ${config.lr}`);
    // The workers initialise their engine silently (one line per thread would repeat): warn here, once.
    if (engine.name === 'cpu')
      log(
        'warning: engine cpu (pure JavaScript) is about 100x slower than wasm for training; use --engine wasm',
      );
    const stepsPerEpoch = Math.floor(data.trainCount / config.batchSize);
    if (stepsPerEpoch < 1)
      throw new HcrError(
        'TRAIN_CONFIG',
        `The batch size ${config.batchSize} exceeds the ${data.trainCount} training ${trainer.unit === 'img' ? 'samples' : 'lines'}.`,
        { hint: trainer.batchHint },
      );
    const progress = initialProgress(start, data.manifestSha256);
    if (resumed) await pool.setState(resumed.weights);

    const loop = await runLoop({
      pool,
      runId,
      runDir,
      schedule: config,
      learningRate: (t, total) => learningRate(config, t, total),
      stepsPerEpoch,
      order: (epoch) => trainer.order(data, config, epoch),
      progress,
      best: resumed?.best,
      validate: () => trainer.validate(pool, data),
      reporter: opts.progress ?? progressReporter(),
      log,
      maxSteps: opts.maxSteps,
      signal: opts.signal,
      activeWorkers: activeWorkersPolicy(opts.activeWorkers, pool.size),
      unit: trainer.unit,
      curvePoints: opts.curvePoints,
    });
    const stopped = (): TrainResult => {
      const { epoch, batchInEpoch, globalStep: step } = progress;
      const trained = loop.stoppedEarly ? undefined : true;
      const stoppedAt = { epoch, batchInEpoch, step, runId, ...(trained && { trained }) };
      return { runDir, stoppedEarly: true, stoppedAt };
    };
    // Ctrl-C after the last step (validation, test, calibration) stops too: the end-of-epoch checkpoint holds
    // every epoch, and resuming a finished run tests it again and writes its model.
    if (loop.stoppedEarly || opts.signal?.aborted) return stopped();

    await restoreBest(pool, loop.best);
    const tTest = performance.now();
    const test = await trainer.test(pool, data, progress, opts.signal);
    if (opts.signal?.aborted) return stopped();
    const metrics: Record<string, number> = {
      ...test.metrics,
      [trainer.unit === 'img' ? 'images_per_s' : 'lines_per_s']:
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
      ...trainer.model(data),
      inputNormalisation: { ...normalisation },
      dataManifestSha256: data.manifestSha256,
      commit,
      createdAt: new Date().toISOString(),
      engine: engine.name,
      trainingConfig: { ...config, workers: pool.size } as unknown as Record<string, unknown>,
      metrics,
    };
    await pool.save(runDir, metadata);
    // Stopped here, the model has no calibration yet and `latest` still points at the previous run.
    if (opts.signal?.aborted) return stopped();
    await trainer.afterSave?.(runDir, metadata, config, log);
    await pointLatest(resolve(config.out), runDir, trainer.latest);
    for (const line of test.summary) log(line);
    log(`saved ${runDir} (model.json, weights.bin, metadata.json, metrics.jsonl, learning-curve.png)`);
    return { runDir, metadata };
  } finally {
    await pool.close();
  }
}

function activeWorkersPolicy(choice: TrainOptions['activeWorkers'], size: number): ActiveWorkers {
  if (choice === 'all') return allWorkers(size);
  if (choice === undefined || choice === 'follow-load') return followMachineLoad(size);
  return choice;
}
