import { randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import { HcrError, type LabelSpace, labelSpace, labelSpaceChoice } from '@hcr/core';
import { defaultDatasetDir, defaultLinesDir } from '@hcr/data/reader';
import { type BestWeights, loadCheckpoint, type TrainProgress } from './checkpoint.js';
import { resolveTrainConfig, type TrainConfig, type TrainConfigInput } from './config.js';
import type { WorkerState } from './protocol.js';
import { claimRunDir, findResumeRun, modelVersionAt, runIdFor } from './run-dir.js';

/** How a run begins, for both trainers: a new run directory, or the checkpoint of a run to continue. */
export interface RunStart {
  runId: string;
  runDir: string;
  config: TrainConfig;
  resumed?: { progress: TrainProgress; weights: WorkerState; best: BestWeights | undefined };
}

export interface StartOptions {
  resume?: string | boolean;
  run?: string;
  force?: boolean;
  /** Engine and workers may change on resume; every other option comes from the checkpoint. */
  config?: TrainConfigInput;
  /** Fills options a checkpoint from an older version did not store (they trained without them). */
  upgrade?: (stored: TrainConfig) => TrainConfigInput;
  log: (line: string) => void;
}

export async function startRun(config: TrainConfig, o: StartOptions): Promise<RunStart> {
  const out = resolve(config.out);
  if (!o.resume) {
    const runId = o.run ?? runIdFor(`${config.model}-${config.profile}`);
    await claimRunDir(out, runId, o.force ?? false);
    return { runId, runDir: join(out, runId), config };
  }
  const runId = typeof o.resume === 'string' ? o.resume : await findResumeRun(out);
  const resumed = await loadCheckpoint<TrainConfig>(join(out, runId));
  const stored = resumed.progress.config;
  // A state.json without the run's options (edited, or written by something else) cannot say how to continue.
  if (typeof stored !== 'object' || stored === null || Array.isArray(stored))
    throw new HcrError(
      'CHECKPOINT_CORRUPT',
      `Checkpoint file ${join(out, runId, 'checkpoint', 'state.json')} holds no training config to resume with.`,
      {
        hint: `Start the run over with \`hcr train --run ${runId} --force\` (same --out and options); it replaces the damaged run.`,
      },
    );
  const resumedConfig = resolveTrainConfig({
    ...stored,
    ...o.upgrade?.(stored),
    engine: o.config?.engine ?? stored.engine,
    workers: o.config?.workers ?? stored.workers,
  });
  const { epoch, batchInEpoch } = resumed.progress;
  // `--resume` alone picks an unfinished run first: say so when there was none.
  const none = typeof o.resume === 'string' ? '' : `no unfinished run under ${out}; `;
  o.log(
    epoch >= resumedConfig.epochs
      ? `${none}run ${runId} had trained all its ${resumedConfig.epochs} epochs: testing it again and writing its model`
      : `resuming run ${runId} at epoch ${epoch + 1}, batch ${batchInEpoch}`,
  );
  return { runId, runDir: join(out, runId), config: resumedConfig, resumed };
}

/** A resumed run must continue on the data it started on. */
export function checkSameData(start: RunStart, dataDir: string, manifestSha256: string): void {
  if (start.resumed && start.resumed.progress.dataManifestSha256 !== manifestSha256)
    throw new HcrError(
      'DATA_CHANGED',
      `The dataset in ${dataDir} is not the one run ${start.runId} was trained on.`,
      {
        hint: 'Resume with the same --data directory, or start a new run.',
      },
    );
}

/**
 * The progress record of a run: the checkpoint's when resuming, else a fresh one at step 0. A new run gets
 * its unique id and model version here (kept in every checkpoint, so a resumed run keeps them). Neither
 * reaches seeds, data order or weights: training stays deterministic.
 */
export function initialProgress(start: RunStart, manifestSha256: string): TrainProgress {
  const progress: TrainProgress = start.resumed?.progress ?? {
    runId: start.runId,
    uid: randomUUID(),
    modelVersion: modelVersionAt(new Date()),
    config: start.config,
    dataManifestSha256: manifestSha256,
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
  progress.config = start.config;
  // a checkpoint written before runs had an identity: the resumed run gets one now
  progress.uid ??= randomUUID();
  progress.modelVersion ??= modelVersionAt(new Date());
  return progress;
}

/**
 * `--labels N` promises a label space: a dataset prepared with another one (character shards, or lines
 * labelled in another alphabet) is an error naming both and the command that prepares the right one.
 */
export function checkLabelSpace(
  expected: number | undefined,
  actual: LabelSpace['id'],
  dir: string,
  data: 'shards' | 'lines',
): void {
  if (expected === undefined) return;
  const want = labelSpace(expected);
  if (want.id === actual) return;
  const lines = data === 'lines';
  throw new HcrError(
    'LABEL_SPACE_MISMATCH',
    `--labels ${expected} asks for ${want.id}, but the ${lines ? 'lines' : 'dataset'} in ${dir} ${lines ? 'are labelled in' : 'was prepared with'} ${actual} (${labelSpace(actual).classes.length} classes).`,
    {
      hint: `Prepare ${lines ? 'them' : 'it'} with \`hcr data ${lines ? 'lines ' : ''}prepare --labels ${expected}\` and train on ${lines ? defaultLinesDir(labelSpaceChoice(want)) : defaultDatasetDir(want)} (the default for --labels ${expected}), or drop --labels / pass the matching --data.`,
    },
  );
}
