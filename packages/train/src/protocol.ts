import type { LineSplit } from '@hcr/data/reader';
import type { EngineName } from '@hcr/engine';
import type { ReaderContext } from '@hcr/model';
import type { AugmentConfig } from './augment.js';

/** Messages between the training coordinator (main thread) and its worker replicas. */

/** A split shared with every worker without copies (SharedArrayBuffer views). */
export interface SharedSplit {
  count: number;
  pixels: Uint8Array;
  labels: Uint8Array;
  sources: Uint8Array;
}

/** A split of text lines shared with every worker: LineSplit of @hcr/data in SharedArrayBuffers. */
export type SharedLineSplit = Pick<
  LineSplit,
  'count' | 'height' | 'widths' | 'pixelOffsets' | 'pixels' | 'labelOffsets' | 'labels'
>;

/** What a replica trains: one character -> class (cross-entropy) or a text line -> string (CTC). */
export type TaskKind = 'character' | 'line';

export interface InitMessage {
  type: 'init';
  workerIndex: number;
  task: TaskKind;
  model: string;
  /** Outputs per step of a line reader (the line alphabet's size); unused for characters. */
  classes: number;
  modelSeed: number;
  dropout: number;
  /** Line reader: its context layers (`buildReader`'s `context`). */
  context?: ReaderContext;
  engine: EngineName;
  splits: Record<string, SharedSplit | SharedLineSplit>;
  normalisation: { mean: number; std: number };
  augment: AugmentConfig;
  dataSeed: number;
  labelSmoothing: number;
  /** Added to the logits inside the training loss only (logit adjustment); length = classes. */
  logitBias: number[];
  /** Characters: class -> same-shape case twin or -1 (`sameShapeCaseTwins`), and the target share it gets. */
  caseTwins?: number[];
  caseTwinShare?: number;
  /** Start from this saved model's weights (fine-tuning a new run) instead of the seeded init. */
  initFrom?: string;
  weightDecay: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

/** One gradient shard: a fixed slice of the batch. Its index fixes the summation order. */
export interface ShardJob {
  index: number;
  /** Sample indices into the train split. */
  samples: Uint32Array;
  /** Position of the first sample within the epoch (drives the augmentation stream). */
  position: number;
}

export interface StepMessage {
  type: 'step';
  epoch: number;
  step: number;
  shards: ShardJob[];
  /** Snapshot the non-trainable state before each shard and restore it after (more than one shard here). */
}

export interface ShardResult {
  index: number;
  grads: Float32Array;
  /** Non-trainable state (batch-norm moving statistics) after this shard's forward pass. */
  state: Float32Array;
  lossSum: number;
  correct: number;
  count: number;
}

export interface ApplyMessage {
  type: 'apply';
  grads: Float32Array;
  state: Float32Array;
  lr: number;
  /** Optimizer step number after this update (1-based, for Adam's bias correction). */
  t: number;
}

export interface EvalMessage {
  type: 'eval';
  split: string;
  start: number;
  end: number;
  batchSize: number;
}

export interface EvalResult {
  /** Characters: 36-way argmax per sample. */
  pred: Uint8Array;
  /** Characters: argmax over the digit classes only (0..9) per sample. */
  predDigits: Uint8Array;
  /** Characters: argmax over the letter classes only (10..35) per sample. */
  predLetters: Uint8Array;
  /** Lines: greedy (best path) labels per line. */
  decoded: number[][];
  lossSum: number;
}

export interface WorkerState {
  params: Float32Array;
  state: Float32Array;
  m: Float32Array;
  v: Float32Array;
}

export type ToWorker =
  | InitMessage
  | StepMessage
  | ApplyMessage
  | EvalMessage
  | { type: 'getState' }
  | ({ type: 'setState' } & WorkerState)
  | { type: 'save'; dir: string; metadata?: unknown }
  | { type: 'close' };

export interface InitReply {
  engine: { name: string; backend: string; fastKernels: boolean };
  paramCount: number;
  stateCount: number;
}

export type FromWorker =
  | { type: 'reply'; value: unknown }
  | { type: 'error'; message: string; code?: string; hint?: string; stack?: string };
