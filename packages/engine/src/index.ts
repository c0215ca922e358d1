export { batchNormTraining, fusedBatchNormAvailable, useFusedBatchNormInTraining } from './batch-norm.js';
export { type BenchEngineOptions, type BenchEngineResult, type BenchVariant, benchEngine } from './bench.js';
export { type EngineInfo, type EngineName, type InitEngineOptions, initEngine } from './engine.js';
export { tuning as kernelTuning } from './kernels/conv2d_backprop_filter.js';
export {
  type LstmGateActivation,
  type LstmSequenceOptions,
  lstmSequence,
  useFusedLstmInTraining,
} from './lstm.js';
export { fastKernelNames, registerFastWasmKernels } from './register.js';
