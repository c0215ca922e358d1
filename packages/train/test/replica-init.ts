import { DEFAULT_INPUT_NORMALISATION } from '@hcr/core';
import { DEFAULT_AUGMENT } from '../src/augment.js';
import type { InitMessage } from '../src/protocol.js';

/** A Replica's init message for tests: no augmentation, dropout or weight decay; the model, task and data given. */
export function replicaInit(
  own: Pick<InitMessage, 'task' | 'model' | 'classes' | 'splits' | 'modelSeed'>,
): InitMessage {
  return {
    type: 'init',
    workerIndex: 0,
    engine: 'wasm',
    dropout: 0,
    normalisation: DEFAULT_INPUT_NORMALISATION,
    augment: { ...DEFAULT_AUGMENT, enabled: false },
    dataSeed: 1,
    labelSmoothing: 0,
    logitBias: [],
    weightDecay: 0,
    beta1: 0.9,
    beta2: 0.999,
    epsilon: 1e-7,
    ...own,
  };
}
