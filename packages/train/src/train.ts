import { execFileSync } from 'node:child_process';
import { access, readdir, rename, rm, stat, symlink } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import {
  DEFAULT_INPUT_NORMALISATION,
  HcrError,
  LABEL_SPACE_36,
  type ModelMetadata,
  NUM_CLASSES,
  sourceId,
  tempPathFor,
  writeFileAtomic,
} from '@hcr/core';
import { type Dataset, epochOrder, openDataset, type SplitData } from '@hcr/data';
import { INPUT_SHAPE } from '@hcr/model';
import {
  type BestWeights,
  type EpochMetrics,
  loadCheckpoint,
  saveCheckpoint,
  type TrainProgress,
} from './checkpoint.js';
import { learningRate, resolveTrainConfig, type TrainConfig, type TrainConfigInput } from './config.js';
import { writeLearningCurve } from './curve.js';
import { logitAdjustment } from './logit-adjust.js';
import { WorkerPool } from './pool.js';
import { type ProgressReporter, progressReporter } from './progress.js';
import type { SharedSplit, WorkerState } from './protocol.js';

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

function runIdFor(c: TrainConfig, now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
  return `${c.model}-${c.profile}-${stamp}`;
}

function gitCommit(): string {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { stdio: ['ignore', 'pipe', 'ignore'] })
      .toString()
      .trim();
  } catch {
    return 'unknown';
  }
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

async function findResumeRun(out: string): Promise<string> {
  let best: { dir: string; t: number } | undefined;
  for (const name of await readdir(out).catch(() => [] as string[])) {
    if (name === 'latest') continue;
    const s = await stat(join(out, name, 'checkpoint', 'state.json')).catch(() => undefined);
    if (s && (!best || s.mtimeMs > best.t)) best = { dir: name, t: s.mtimeMs };
  }
  if (!best)
    throw new HcrError('CHECKPOINT_MISSING', `No run with a checkpoint under ${out}.`, {
      hint: 'Start a run with `hcr train` first, or name the run to resume: `hcr train --resume <run-id>`.',
    });
  return best.dir;
}

/** Replaces `<out>/latest` atomically with a relative symlink to the run directory. */
async function pointLatest(out: string, runDir: string): Promise<void> {
  const link = join(out, 'latest');
  const tmp = tempPathFor(link);
  await symlink(relative(dirname(link), runDir), tmp);
  await rename(tmp, link);
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
  const out = resolve(config.out);

  let runId: string;
  let resumed: Awaited<ReturnType<typeof loadCheckpoint>> | undefined;
  if (opts.resume) {
    runId = typeof opts.resume === 'string' ? opts.resume : await findResumeRun(out);
    resumed = await loadCheckpoint(join(out, runId));
    // The stored config defines the run; only where it runs (engine, workers) may change.
    config = resolveTrainConfig({
      ...resumed.progress.config,
      // Checkpoints from before these options existed trained without them.
      logitAdjust: resumed.progress.config.logitAdjust ?? 0,
      augment: {
        ...resumed.progress.config.augment,
        toneProb: resumed.progress.config.augment.toneProb ?? 0,
      },
      engine: opts.config?.engine ?? resumed.progress.config.engine,
      workers: opts.config?.workers ?? resumed.progress.config.workers,
    });
    log(
      `resuming run ${runId} at epoch ${resumed.progress.epoch + 1}, batch ${resumed.progress.batchInEpoch}`,
    );
  } else {
    runId = opts.run ?? runIdFor(config);
    if (!/^[\w.-]+$/.test(runId))
      throw new HcrError(
        'TRAIN_CONFIG',
        `Run id '${runId}' has characters other than letters, digits, . _ -.`,
        {
          hint: 'Pick a simpler --run id.',
        },
      );
    const exists = await access(join(out, runId)).then(
      () => true,
      () => false,
    );
    if (exists && !opts.force)
      throw new HcrError('RUN_EXISTS', `Run directory ${join(out, runId)} already exists.`, {
        hint: `Resume it with \`hcr train --resume ${runId}\`, replace it with --force, or choose another --run id.`,
      });
    if (exists) await rm(join(out, runId), { recursive: true, force: true });
  }
  const runDir = join(out, runId);
  const commit = gitCommit(); // the code this run starts from

  const dataset: Dataset = await openDataset(config.data);
  if (resumed && resumed.progress.dataManifestSha256 !== dataset.manifestSha256)
    throw new HcrError(
      'DATA_CHANGED',
      `The dataset in ${dataset.dir} is not the one run ${runId} was trained on.`,
      {
        hint: 'Resume with the same --data directory, or start a new run.',
      },
    );
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
    model: config.model,
    modelSeed: config.seed,
    dropout: config.dropout,
    engine: config.engine,
    splits,
    normalisation,
    augment: config.augment,
    dataSeed: config.seed,
    labelSmoothing: config.labelSmoothing,
    logitBias: Array.from(logitAdjustment(splits.train.labels, NUM_CLASSES, config.logitAdjust)),
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
    const totalSteps = stepsPerEpoch * config.epochs;

    const progress: TrainProgress = resumed?.progress ?? {
      runId,
      config,
      dataManifestSha256: dataset.manifestSha256,
      epoch: 0,
      batchInEpoch: 0,
      globalStep: 0,
      epochLossSum: 0,
      epochCorrect: 0,
      epochSeen: 0,
      seconds: 0,
      epochSeconds: 0,
      history: [],
      curve: [],
      best: null,
    };
    progress.config = config;
    let best: BestWeights | undefined = resumed?.best;
    if (resumed) await pool.setState(resumed.weights);

    const checkpoint = async () => {
      const weights = await pool.getState();
      await saveCheckpoint(runDir, progress, weights, best);
      return weights;
    };
    const metricsLines = () =>
      progress.history.map((h) => JSON.stringify(h)).join('\n') + (progress.history.length ? '\n' : '');

    const reporter = opts.progress ?? progressReporter();
    const shardSize = config.batchSize / config.gradShards;
    const paramCount = pool.info.paramCount;
    let stepsThisProcess = 0;
    let stoppedEarly = false;
    let windowLoss = 0;
    let windowAcc = 0;
    let windowN = 0;
    const curveEvery = Math.max(1, Math.round(totalSteps / 300));

    for (; progress.epoch < config.epochs; ) {
      const epoch = progress.epoch;
      const order = epochOrder(splits.train.count, true, config.seed, epoch);
      reporter.start(epoch, config.epochs, stepsPerEpoch, progress.batchInEpoch);
      let tStart = performance.now();
      let imagesSinceStart = 0;
      let pendingApply: Promise<unknown> = Promise.resolve();
      while (progress.batchInEpoch < stepsPerEpoch) {
        if (opts.maxSteps !== undefined && stepsThisProcess >= opts.maxSteps) {
          stoppedEarly = true;
          break;
        }
        const b = progress.batchInEpoch;
        const shards = Array.from({ length: config.gradShards }, (_, k) => {
          const position = b * config.batchSize + k * shardSize;
          return { index: k, samples: order.slice(position, position + shardSize), position };
        });
        const results = await pool.step(epoch, progress.globalStep, shards);
        await pendingApply;
        // Fixed summation order (shard 0, 1, ...): the same sum whatever the number of workers.
        const grads = new Float32Array(paramCount);
        const state = new Float32Array(results[0]!.state.length);
        let lossSum = 0;
        let correct = 0;
        for (const r of results) {
          for (let i = 0; i < paramCount; i++) grads[i]! += r.grads[i]!;
          for (let i = 0; i < state.length; i++) state[i]! += r.state[i]!;
          lossSum += r.lossSum;
          correct += r.correct;
        }
        const inv = 1 / results.length;
        let norm2 = 0;
        for (let i = 0; i < paramCount; i++) {
          const g = grads[i]! * inv;
          grads[i] = g;
          norm2 += g * g;
        }
        for (let i = 0; i < state.length; i++) state[i]! *= inv;
        const norm = Math.sqrt(norm2);
        if (config.clipNorm > 0 && norm > config.clipNorm) {
          const s = config.clipNorm / norm;
          for (let i = 0; i < paramCount; i++) grads[i]! *= s;
        }
        const lr = learningRate(config, progress.globalStep, totalSteps);
        pendingApply = pool.apply(grads, state, lr, progress.globalStep + 1);
        progress.globalStep++;
        progress.batchInEpoch++;
        stepsThisProcess++;
        progress.epochLossSum += lossSum;
        progress.epochCorrect += correct;
        progress.epochSeen += config.batchSize;
        imagesSinceStart += config.batchSize;
        windowLoss += lossSum;
        windowAcc += correct;
        windowN += config.batchSize;
        if (progress.globalStep % curveEvery === 0) {
          progress.curve.push([progress.globalStep, windowLoss / windowN, windowAcc / windowN]);
          windowLoss = windowAcc = windowN = 0;
        }
        const elapsed = (performance.now() - tStart) / 1000;
        const ips = imagesSinceStart / Math.max(1e-9, elapsed);
        reporter.tick({
          epoch,
          epochs: config.epochs,
          step: progress.batchInEpoch,
          steps: stepsPerEpoch,
          loss: progress.epochLossSum / progress.epochSeen,
          acc: progress.epochCorrect / progress.epochSeen,
          imagesPerS: ips,
          etaS: ((totalSteps - progress.globalStep) * config.batchSize) / ips,
        });
        if (progress.globalStep % config.checkpointEvery === 0 && progress.batchInEpoch < stepsPerEpoch) {
          await pendingApply;
          progress.epochSeconds += elapsed;
          progress.seconds += elapsed;
          await checkpoint();
          tStart = performance.now();
          imagesSinceStart = 0;
        }
      }
      await pendingApply;
      reporter.stop();
      const elapsed = (performance.now() - tStart) / 1000;
      progress.epochSeconds += elapsed;
      progress.seconds += elapsed;
      if (stoppedEarly) break;

      const val = await pool.evaluate('val', splits.val.count);
      const valAcc = accuracyWhere(val.pred, splits.val, () => true);
      const metrics: EpochMetrics = {
        epoch: epoch + 1,
        step: progress.globalStep,
        lr: learningRate(config, progress.globalStep - 1, totalSteps),
        train_loss: progress.epochLossSum / progress.epochSeen,
        train_acc: progress.epochCorrect / progress.epochSeen,
        val_loss: val.lossSum / splits.val.count,
        val_acc: valAcc,
        images_per_s: progress.epochSeen / progress.epochSeconds,
        seconds: progress.epochSeconds,
      };
      progress.history.push(metrics);
      log(
        `epoch ${metrics.epoch}/${config.epochs}: train loss ${metrics.train_loss.toFixed(4)} acc ${metrics.train_acc.toFixed(4)}, ` +
          `val loss ${metrics.val_loss.toFixed(4)} acc ${metrics.val_acc.toFixed(4)}, ${Math.round(metrics.images_per_s)} img/s, ${metrics.seconds.toFixed(1)} s`,
      );
      const weights: WorkerState = await pool.getState();
      if (!progress.best || valAcc > progress.best.valAcc) {
        progress.best = { epoch: epoch + 1, valAcc, valLoss: metrics.val_loss };
        best = { params: weights.params, state: weights.state };
      }
      progress.epoch++;
      progress.batchInEpoch = 0;
      progress.epochLossSum = progress.epochCorrect = progress.epochSeen = 0;
      progress.epochSeconds = 0;
      await saveCheckpoint(runDir, progress, weights, best);
      await writeFileAtomic(join(runDir, 'metrics.jsonl'), metricsLines());
      await writeLearningCurve(
        join(runDir, 'learning-curve.png'),
        `${runId}`,
        progress.curve,
        progress.history,
      );
    }

    if (stoppedEarly) {
      await checkpoint();
      return { runDir, metadata: undefined as unknown as ModelMetadata, stoppedEarly: true };
    }

    // Test with the best weights (by validation accuracy).
    if (best) {
      const last = await pool.getState();
      await pool.setState({ params: best.params, state: best.state, m: last.m, v: last.v });
    }
    const tTest = performance.now();
    const test = await pool.evaluate('test', splits.test.count);
    const extra = await pool.evaluate('extra', splits.extra.count);
    const mnist = sourceId('mnist');
    const extraDigits = sourceId('emnist-digits-repack');
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
      extra_digits_acc36: accuracyWhere(
        extra.pred,
        splits.extra,
        (i) => splits.extra.sources[i] === extraDigits,
      ),
      extra_digits_acc_digitsonly: accuracyWhere(
        extra.predDigits,
        splits.extra,
        (i) => splits.extra.sources[i] === extraDigits,
      ),
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
      architecture: config.model,
      labelSpace: LABEL_SPACE_36.id,
      classNames: [...LABEL_SPACE_36.classes],
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
    await pointLatest(out, runDir);
    log(
      `test: mnist ${(metrics.test_mnist_acc! * 100).toFixed(2)}%, letters ${(metrics.test_letters_acc! * 100).toFixed(2)}%, ` +
        `emnist-digits-repack 36-way ${(metrics.extra_digits_acc36! * 100).toFixed(2)}%, digits-only ${(metrics.extra_digits_acc_digitsonly! * 100).toFixed(2)}%`,
    );
    log(`saved ${runDir} (model.json, weights.bin, metadata.json, metrics.jsonl, learning-curve.png)`);
    return { runDir, metadata };
  } finally {
    await pool.close();
  }
}
