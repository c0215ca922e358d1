export * from './exports/reader.js';
export * from './exports/recognizer.js';
export { type AddedSample, type SampleCheck, SampleStore } from './samples/store.js';
export {
  type AppOptions,
  buildApp,
  DEFAULT_BATCHING,
  DEFAULT_LIMITS,
  type HcrApp,
  type ServerLimits,
  type TlsFiles,
} from './server/app.js';
export { type BatcherOptions, MicroBatcher, OverloadedError } from './server/batcher.js';
export { createMetrics, type Metrics } from './server/metrics.js';
export { checkApiToken, MIN_API_TOKEN_LENGTH } from './server/plugins/api-token.js';
export { checkOriginPolicy, type OriginPolicy } from './server/plugins/origins.js';
export { DEFAULT_COLLECT_MAX, type RunningServer, type ServeOptions, startServer } from './server/start.js';
export { type TritonOptions, tritonConfig, writeTritonRepository } from './triton.js';
