export * from './exports/reader.js';
export * from './exports/recognizer.js';
export { type AddedSample, type SampleCheck, SampleStore } from './samples/store.js';
export {
  type AppOptions,
  buildApp,
  type Credentials,
  DEFAULT_BATCHING,
  DEFAULT_LIMITS,
  type HcrApp,
  type ServerLimits,
} from './server/app.js';
export { type BatcherOptions, MicroBatcher, OverloadedError } from './server/batcher.js';
export { createMetrics, type Metrics } from './server/metrics.js';
export {
  API_SCOPES,
  type ApiClient,
  type ApiScope,
  type ApiTokens,
  checkApiClients,
  checkApiToken,
  DEFAULT_API_SCOPES,
  guardsMetrics,
  MAX_TOKENS_PER_CLIENT,
  MIN_API_TOKEN_LENGTH,
} from './server/plugins/api-token.js';
export { checkOriginPolicy, type OriginPolicy } from './server/plugins/origins.js';
export {
  checkRateLimit,
  checkRateLimitClients,
  parseRateLimit,
  type RateLimit,
} from './server/plugins/rate-limit.js';
export { checkTls, type TlsFiles } from './server/plugins/tls.js';
export { checkTrustProxy, type TrustProxy } from './server/plugins/trust-proxy.js';
export { DEFAULT_COLLECT_MAX, type RunningServer, type ServeOptions, startServer } from './server/start.js';
export {
  addApiClient,
  newApiToken,
  parseApiTokens,
  removeApiClient,
  retireOldApiToken,
  rotateApiToken,
} from './server/token-file.js';
export { type TritonOptions, tritonConfig, writeTritonRepository } from './triton.js';
