import { readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { HcrError, writeDirAtomic } from '@hcr/core';
import type { TrainConfig } from './config.js';
import type { WorkerState } from './protocol.js';

export const CHECKPOINT_DIR = 'checkpoint';

export interface EpochMetrics {
  epoch: number;
  step: number;
  lr: number;
  train_loss: number;
  train_acc: number;
  val_loss: number;
  val_acc: number;
  images_per_s: number;
  seconds: number;
  /** Task-specific validation figures (e.g. val_cer for line readers). */
  [extra: string]: number;
}

/** Everything besides the tensors needed to continue exactly where a run stopped. */
export interface TrainProgress<C = TrainConfig> {
  runId: string;
  /** ModelMetadata.uid and modelVersion, made when the run started (absent in older checkpoints). */
  uid?: string;
  modelVersion?: number;
  config: C;
  dataManifestSha256: string;
  /** Epoch being trained and the next batch within it (data position). */
  epoch: number;
  batchInEpoch: number;
  /** Optimizer steps done. */
  globalStep: number;
  /** Running sums of the current epoch. */
  epochLossSum: number;
  epochCorrect: number;
  epochSeen: number;
  /** Training seconds so far (wall clock, for reporting only). */
  seconds: number;
  epochSeconds: number;
  history: EpochMetrics[];
  /** (step, smoothed train loss, smoothed train acc) points for the learning curve. */
  curve: [number, number, number][];
  /** Optimizer steps per curve point, fixed when the run starts (older checkpoints: derived as then). */
  curveEvery?: number;
  /** Loss sum, correct and samples since the last curve point (absent in older checkpoints: an empty window). */
  curveWindow?: [number, number, number];
  best: { epoch: number; valAcc: number; valLoss: number } | null;
}

interface Stored extends TrainProgress<unknown> {
  formatVersion: 1;
  lengths: { params: number; state: number };
  hasBest: boolean;
}

const STATE_JSON = 'state.json';
const TENSORS_BIN = 'tensors.bin';
const BEST_BIN = 'best.bin';

/** Best weights seen so far (by val accuracy): trainable params + batch-norm state. */
export interface BestWeights {
  params: Float32Array;
  state: Float32Array;
}

function concat(parts: Float32Array[]): Uint8Array {
  const n = parts.reduce((s, p) => s + p.length, 0);
  const out = new Float32Array(n);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return new Uint8Array(out.buffer);
}

/** Writes the checkpoint directory atomically (a kill -9 leaves the previous checkpoint whole). */
export async function saveCheckpoint(
  runDir: string,
  progress: TrainProgress<unknown>,
  weights: WorkerState,
  best: BestWeights | undefined,
): Promise<void> {
  const stored: Stored = {
    formatVersion: 1,
    ...progress,
    lengths: { params: weights.params.length, state: weights.state.length },
    hasBest: best !== undefined,
  };
  await writeDirAtomic(
    join(runDir, CHECKPOINT_DIR),
    async (tmp) => {
      await writeFile(join(tmp, TENSORS_BIN), concat([weights.params, weights.state, weights.m, weights.v]));
      if (best) await writeFile(join(tmp, BEST_BIN), concat([best.params, best.state]));
      await writeFile(join(tmp, STATE_JSON), `${JSON.stringify(stored, null, 2)}\n`);
    },
    { replace: true },
  );
}

function floats(bytes: Buffer): Float32Array {
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  return new Float32Array(copy.buffer);
}

/** The checkpoint's state.json (progress, config, tensor lengths): CHECKPOINT_MISSING when absent, CHECKPOINT_CORRUPT when damaged. */
async function readStored(dir: string): Promise<Stored> {
  const file = join(dir, STATE_JSON);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new HcrError('CHECKPOINT_MISSING', `No usable checkpoint in ${dir}: ${(e as Error).message}.`, {
      hint: 'Resume a run that has written a checkpoint (`hcr train --resume <run>`), or start a new run without --resume.',
    });
  }
  let stored: Stored;
  try {
    stored = JSON.parse(text);
  } catch (e) {
    // Written, then damaged (a full disk, a copy cut short): the run is there but cannot continue.
    throw new HcrError(
      'CHECKPOINT_CORRUPT',
      `Checkpoint file ${file} is not valid JSON: ${(e as Error).message}.`,
      {
        hint: startOver(dir),
      },
    );
  }
  // Valid JSON but not a checkpoint's (edited, or another file in its place): a TypeError further on otherwise.
  const lengths = (stored as Partial<Stored> | null)?.lengths;
  const isCount = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0;
  if (
    typeof stored !== 'object' ||
    stored === null ||
    Array.isArray(stored) ||
    !isCount(lengths?.params) ||
    !isCount(lengths?.state)
  )
    throw new HcrError(
      'CHECKPOINT_CORRUPT',
      `Checkpoint file ${file} is not a checkpoint's state (it records no tensor lengths).`,
      { hint: startOver(dir) },
    );
  return stored;
}

/** The float32 values of a checkpoint's tensor file: CHECKPOINT_CORRUPT when missing or cut mid-value. */
async function readTensors(dir: string, name: string): Promise<Float32Array> {
  const file = join(dir, name);
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (e) {
    throw new HcrError(
      'CHECKPOINT_CORRUPT',
      `Checkpoint file ${file} cannot be read: ${(e as Error).message}.`,
      {
        hint: startOver(dir),
      },
    );
  }
  if (bytes.length % 4 !== 0)
    throw new HcrError(
      'CHECKPOINT_CORRUPT',
      `Checkpoint file ${file} has ${bytes.length} bytes, not a whole number of float32 values.`,
      { hint: startOver(dir) },
    );
  return floats(bytes);
}

/** A damaged checkpoint cannot be resumed: the run starts over under its id (without --force: RUN_EXISTS). */
function startOver(checkpointDir: string): string {
  const runId = basename(dirname(checkpointDir));
  return `Start the run over with \`hcr train --run ${runId} --force\` (same --out and options); it replaces the damaged run.`;
}

/** A checkpoint's progress (its config among it) without its tensors: what a run will resume with. */
export async function loadCheckpointProgress<C = TrainConfig>(runDir: string): Promise<TrainProgress<C>> {
  const {
    formatVersion: _f,
    lengths: _l,
    hasBest: _h,
    ...progress
  } = await readStored(join(runDir, CHECKPOINT_DIR));
  return progress as TrainProgress<C>;
}

export async function loadCheckpoint<C = TrainConfig>(
  runDir: string,
): Promise<{ progress: TrainProgress<C>; weights: WorkerState; best: BestWeights | undefined }> {
  const dir = join(runDir, CHECKPOINT_DIR);
  const stored = await readStored(dir);
  const { params: p, state: s } = stored.lengths;
  const all = await readTensors(dir, TENSORS_BIN);
  if (all.length !== 3 * p + s)
    throw new HcrError(
      'CHECKPOINT_CORRUPT',
      `Checkpoint ${dir} has ${all.length} values, expected ${3 * p + s}.`,
      {
        hint: startOver(dir),
      },
    );
  const weights: WorkerState = {
    params: all.slice(0, p),
    state: all.slice(p, p + s),
    m: all.slice(p + s, 2 * p + s),
    v: all.slice(2 * p + s, 3 * p + s),
  };
  let best: BestWeights | undefined;
  if (stored.hasBest) {
    const file = join(dir, BEST_BIN);
    const b = await readTensors(dir, BEST_BIN);
    // A short best.bin would restore the best epoch's first layers over the last step's others.
    if (b.length !== p + s)
      throw new HcrError(
        'CHECKPOINT_CORRUPT',
        `Checkpoint file ${file} has ${b.length} values, expected ${p + s}.`,
        {
          hint: startOver(dir),
        },
      );
    best = { params: b.slice(0, p), state: b.slice(p, p + s) };
  }
  const { formatVersion: _f, lengths: _l, hasBest: _h, ...progress } = stored;
  return { progress: progress as TrainProgress<C>, weights, best };
}
