export {
  type AugmentConfig,
  augmentSample,
  augmentScratch,
  blur3x3,
  DEFAULT_AUGMENT,
  sampleRng,
} from './augment.js';
export { type CalibrateRunOptions, calibrateRun } from './calibrate-run.js';
export {
  type CalibrationSet,
  ECE_BINS,
  expectedCalibrationError,
  fitCalibration,
} from './calibration-fit.js';
export { caseTwinTargets, sameShapeCaseTwins } from './case-targets.js';
export {
  type BestWeights,
  CHECKPOINT_DIR,
  type EpochMetrics,
  loadCheckpoint,
  loadCheckpointProgress,
  saveCheckpoint,
  type TrainProgress,
} from './checkpoint.js';
export {
  FINE_TUNE_LR_SHARE,
  learningRate,
  loadTrainConfigFile,
  MAX_EPOCHS,
  MODEL_DEFAULTS,
  MODEL_PROFILES,
  PROFILES,
  type ProfileName,
  READER_MODEL,
  resolveTrainConfig,
  TRAIN_OPTION_FLAGS,
  type TrainConfig,
  type TrainConfigInput,
} from './config.js';
export { writeLearningCurve } from './curve.js';
export { checkInitModel, type InitModel, openInitModel } from './init-from.js';
export { LOGIT_PRIORS, type LogitPrior, logitAdjustment, logitPriorGroups } from './logit-adjust.js';
export { WorkerPool } from './pool.js';
export { type ProgressReporter, type ProgressTick, progressReporter } from './progress.js';
export { findResumeRun } from './run-dir.js';
export { writeSyntheticDataset } from './synthetic.js';
export { type StoppedAt, type TrainOptions, type TrainResult, train } from './train.js';
export { editDistance, lineEpochOrder, lineScores, trainLines } from './train-lines.js';
export {
  type ActiveWorkers,
  allWorkers,
  type CpuSample,
  followMachineLoad,
  type LoadPolicyOptions,
  sampleCpu,
  workersFor,
} from './workload.js';
