import type { ModelMetadata } from '@hcr/core';
import type { TrainResult } from '../../src/session.js';

/** A run that must have finished: its model's metadata, or a failure saying where it stopped. */
export function finished(result: TrainResult): ModelMetadata {
  if (result.stoppedEarly) throw new Error(`the run stopped early, at step ${result.stoppedAt.step}`);
  return result.metadata;
}
