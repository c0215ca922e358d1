export { type AugmentConfig, augmentSample, augmentScratch, DEFAULT_AUGMENT, sampleRng } from './augment.js';
export {
  type BestWeights,
  CHECKPOINT_DIR,
  type EpochMetrics,
  loadCheckpoint,
  saveCheckpoint,
  type TrainProgress,
} from './checkpoint.js';
export {
  learningRate,
  loadTrainConfigFile,
  PROFILES,
  type ProfileName,
  resolveTrainConfig,
  type TrainConfig,
} from './config.js';
export { writeLearningCurve } from './curve.js';
export { WorkerPool } from './pool.js';
export { type ProgressReporter, type ProgressTick, progressReporter } from './progress.js';
export { type TrainOptions, type TrainResult, train } from './train.js';
