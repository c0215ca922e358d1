import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { EvalResult, ShardJob } from '../protocol.js';

/** One gradient shard as a task prepares it: the input batch, its loss, and what to report afterwards. */
export interface ShardComputation {
  x: tf.Tensor;
  /** Mean loss of the shard from the model's logits (called under tf.variableGrads). */
  loss(logits: tf.Tensor): tf.Scalar;
  /** After the loss ran (its value: `meanLoss`): loss sum and correct count (exact strings for lines). */
  stats(meanLoss: number): { lossSum: number; correct: number; count: number };
}

/**
 * What differs between training a character classifier and a line reader; the replica (weights,
 * optimizer, dropout seeding, batch-norm state) and the coordinator's loop are shared.
 */
export interface ReplicaTask {
  /** Builds the model (softmax output; a layer named `logits` feeds it). */
  buildModel(): tfl.LayersModel;
  /** Prepares a training shard: gathers (and augments) its samples. Called inside tf.tidy. */
  shard(job: ShardJob, epoch: number): ShardComputation;
  /** Predictions and summed loss over samples [start, end) of a shared split. */
  evaluate(logits: tfl.LayersModel, split: string, start: number, end: number, batchSize: number): EvalResult;
}

export const NO_PREDICTIONS = (): Pick<EvalResult, 'pred' | 'predDigits' | 'predLetters' | 'decoded'> => ({
  pred: new Uint8Array(0),
  predDigits: new Uint8Array(0),
  predLetters: new Uint8Array(0),
  decoded: [],
});
