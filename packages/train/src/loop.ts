import { join } from 'node:path';
import { writeFileAtomic } from '@hcr/core';
import { type BestWeights, type EpochMetrics, saveCheckpoint, type TrainProgress } from './checkpoint.js';
import { writeLearningCurve } from './curve.js';
import { reduceShards } from './gradients.js';
import type { WorkerPool } from './pool.js';
import type { ProgressReporter } from './progress.js';
import { type ActiveWorkers, allWorkers } from './workload.js';

/** The part of a training config the loop needs; both trainers' configs have these fields. */
export interface LoopSchedule {
  epochs: number;
  batchSize: number;
  gradShards: number;
  clipNorm: number;
  checkpointEvery: number;
}

export interface ValidationResult {
  loss: number;
  /** Higher is better: accuracy for characters, exact-match rate for lines. Picks the best epoch. */
  score: number;
  /** More figures for metrics.jsonl (e.g. val_cer). */
  extra?: Record<string, number>;
}

export interface LoopOptions {
  pool: WorkerPool;
  runId: string;
  runDir: string;
  schedule: LoopSchedule;
  /** Learning rate at optimizer step t (0-based) of `total`. */
  learningRate: (t: number, total: number) => number;
  stepsPerEpoch: number;
  /** Training sample order of an epoch (seeded: the same on resume). */
  order: (epoch: number) => Uint32Array;
  progress: TrainProgress<unknown>;
  best: BestWeights | undefined;
  validate: () => Promise<ValidationResult>;
  reporter: ProgressReporter;
  log: (line: string) => void;
  /** Stop after this many optimizer steps in this process (tests: simulate an interruption). */
  maxSteps?: number;
  /** Stop at the next step once aborted (Ctrl-C): a checkpoint is saved there, and a resume continues exactly. */
  signal?: AbortSignal;
  /** How many workers compute each step's shards (default: all); the numbers do not depend on it. */
  activeWorkers?: ActiveWorkers;
  /** About how many points the learning curve keeps (default 300), fixed when a run starts. */
  curvePoints?: number;
  /** What a sample is called in logs (`img` or `lines`). */
  unit: string;
}

/**
 * The training loop both trainers share: data-parallel steps (gradients reduced in a fixed order, norm
 * clipped, AdamW applied by every replica), progress, checkpoints every K steps and at each epoch end,
 * validation, best-epoch weights, metrics.jsonl and the learning curve. Exact resume from `progress`.
 */
export async function runLoop(
  o: LoopOptions,
): Promise<{ stoppedEarly: boolean; best: BestWeights | undefined }> {
  const { pool, progress, schedule: c } = o;
  let best = o.best;
  const totalSteps = o.stepsPerEpoch * c.epochs;
  const shardSize = c.batchSize / c.gradShards;
  const paramCount = pool.info.paramCount;
  const checkpoint = async () => {
    const weights = await pool.getState();
    await saveCheckpoint(o.runDir, progress, weights, best);
  };
  const metricsLines = () =>
    progress.history.map((h) => JSON.stringify(h)).join('\n') + (progress.history.length ? '\n' : '');
  let stepsThisProcess = 0;
  let stoppedEarly = false;
  // Kept in the checkpoint: a resumed run's first curve point averages the same steps as an uninterrupted one's.
  progress.curveWindow ??= [0, 0, 0];
  progress.curveEvery ??= Math.max(1, Math.round(totalSteps / (o.curvePoints ?? 300)));
  const window = progress.curveWindow;
  const curveEvery = progress.curveEvery;
  const activeWorkers = o.activeWorkers ?? allWorkers(pool.size);

  for (; progress.epoch < c.epochs; ) {
    const epoch = progress.epoch;
    const order = o.order(epoch);
    o.reporter.start(epoch, c.epochs, o.stepsPerEpoch, progress.batchInEpoch);
    let tStart = performance.now();
    let samplesSinceStart = 0;
    let pendingApply: Promise<unknown> = Promise.resolve();
    while (progress.batchInEpoch < o.stepsPerEpoch) {
      if ((o.maxSteps !== undefined && stepsThisProcess >= o.maxSteps) || o.signal?.aborted) {
        stoppedEarly = true;
        break;
      }
      const b = progress.batchInEpoch;
      const shards = Array.from({ length: c.gradShards }, (_, k) => {
        const position = b * c.batchSize + k * shardSize;
        return { index: k, samples: order.slice(position, position + shardSize), position };
      });
      const busy = activeWorkers.next();
      const results = await pool.step(epoch, progress.globalStep, shards, busy);
      await pendingApply;
      const step = reduceShards(results, paramCount, c.clipNorm);
      const lr = o.learningRate(progress.globalStep, totalSteps);
      pendingApply = pool.apply(step.grads, step.state, lr, progress.globalStep + 1);
      progress.globalStep++;
      progress.batchInEpoch++;
      stepsThisProcess++;
      progress.epochLossSum += step.lossSum;
      progress.epochCorrect += step.correct;
      progress.epochSeen += step.count;
      samplesSinceStart += c.batchSize;
      window[0] += step.lossSum;
      window[1] += step.correct;
      window[2] += step.count;
      if (progress.globalStep % curveEvery === 0) {
        progress.curve.push([progress.globalStep, window[0] / window[2], window[1] / window[2]]);
        window.fill(0);
      }
      const elapsed = (performance.now() - tStart) / 1000;
      const perS = samplesSinceStart / Math.max(1e-9, elapsed);
      o.reporter.tick({
        epoch,
        epochs: c.epochs,
        step: progress.batchInEpoch,
        steps: o.stepsPerEpoch,
        loss: progress.epochLossSum / progress.epochSeen,
        acc: progress.epochCorrect / progress.epochSeen,
        imagesPerS: perS,
        unit: o.unit,
        etaS: ((totalSteps - progress.globalStep) * c.batchSize) / perS,
        workers: { active: busy, size: pool.size },
      });
      if (progress.globalStep % c.checkpointEvery === 0 && progress.batchInEpoch < o.stepsPerEpoch) {
        await pendingApply;
        progress.epochSeconds += elapsed;
        progress.seconds += elapsed;
        await checkpoint();
        tStart = performance.now();
        samplesSinceStart = 0;
      }
    }
    await pendingApply;
    o.reporter.stop();
    const elapsed = (performance.now() - tStart) / 1000;
    progress.epochSeconds += elapsed;
    progress.seconds += elapsed;
    if (stoppedEarly) break;

    const val = await o.validate();
    const metrics: EpochMetrics = {
      epoch: epoch + 1,
      step: progress.globalStep,
      lr: o.learningRate(progress.globalStep - 1, totalSteps),
      train_loss: progress.epochLossSum / progress.epochSeen,
      train_acc: progress.epochCorrect / progress.epochSeen,
      val_loss: val.loss,
      val_acc: val.score,
      images_per_s: progress.epochSeen / progress.epochSeconds,
      seconds: progress.epochSeconds,
      ...val.extra,
    };
    progress.history.push(metrics);
    const extra = Object.entries(val.extra ?? {})
      .map(([k, v]) => ` ${k} ${v.toFixed(4)}`)
      .join('');
    o.log(
      `epoch ${metrics.epoch}/${c.epochs}: train loss ${metrics.train_loss.toFixed(4)} acc ${metrics.train_acc.toFixed(4)}, ` +
        `val loss ${metrics.val_loss.toFixed(4)} acc ${metrics.val_acc.toFixed(4)}${extra}, ` +
        `${Math.round(metrics.images_per_s)} ${o.unit}/s, ${metrics.seconds.toFixed(1)} s`,
    );
    const weights = await pool.getState();
    if (betterEpoch(val.score, metrics.val_loss, progress.best)) {
      progress.best = { epoch: epoch + 1, valAcc: val.score, valLoss: metrics.val_loss };
      best = { params: weights.params, state: weights.state };
    }
    progress.epoch++;
    progress.batchInEpoch = 0;
    progress.epochLossSum = progress.epochCorrect = progress.epochSeen = 0;
    progress.epochSeconds = 0;
    await saveCheckpoint(o.runDir, progress, weights, best);
    await writeFileAtomic(join(o.runDir, 'metrics.jsonl'), metricsLines());
    await writeLearningCurve(join(o.runDir, 'learning-curve.png'), o.runId, progress.curve, progress.history);
  }
  if (stoppedEarly) await checkpoint();
  return { stoppedEarly, best };
}

/**
 * Whether an epoch's validation beats the best so far: a higher score, or the same score at a lower loss (a
 * reader's exact-match rate over 1,000 lines ties often; the earlier epoch kept on a tie was the less trained).
 */
export function betterEpoch(
  score: number,
  loss: number,
  best: { valAcc: number; valLoss: number } | null | undefined,
): boolean {
  return !best || score > best.valAcc || (score === best.valAcc && loss < best.valLoss);
}

/** Loads the best epoch's weights into every replica (keeping the optimizer moments of the last step). */
export async function restoreBest(pool: WorkerPool, best: BestWeights | undefined): Promise<void> {
  if (!best) return;
  const last = await pool.getState();
  await pool.setState({ params: best.params, state: best.state, m: last.m, v: last.v });
}
