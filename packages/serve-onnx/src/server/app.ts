import type { Server as HttpsServer } from 'node:https';
import { createRequire } from 'node:module';
import { HcrError } from '@hcr/core';
import { DEFAULT_DECODE_LIMITS } from '@hcr/image/decode';
import Fastify, { LogController } from 'fastify';
import type { Logger } from 'pino';
import type { LineReader } from '../reader/line-reader.js';
import type { Recognizer } from '../recognizer.js';
import type { SampleStore } from '../samples/store.js';
import type { BatcherOptions } from './batcher.js';
import { createCharacterInference } from './inference.js';
import { createMetrics, type Metrics } from './metrics.js';
import { type ApiTokens, checkApiClients, registerApiToken } from './plugins/api-token.js';
import { clientErrorHandler, slowClientTimeouts } from './plugins/client-timeouts.js';
import { registerContentTypes } from './plugins/content-types.js';
import { frameworkErrors, registerErrors } from './plugins/errors.js';
import { registerLifecycle } from './plugins/lifecycle.js';
import { registerMultipart } from './plugins/multipart.js';
import { registerOpenApi } from './plugins/openapi.js';
import { type OriginPolicy, registerOrigins } from './plugins/origins.js';
import { checkRateLimitClients, type RateLimit, registerRateLimit } from './plugins/rate-limit.js';
import { registerStatic } from './plugins/static.js';
import { checkTls, type TlsFiles } from './plugins/tls.js';
import { checkTrustProxy, type TrustProxy } from './plugins/trust-proxy.js';
import { registerValidation } from './plugins/validation.js';
import { registerReadRoute } from './read-route.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerMetricsRoute } from './routes/metrics.js';
import { registerModelRoute } from './routes/model.js';
import { registerPredictRoute } from './routes/predict.js';
import { registerSamplesRoute } from './samples-route.js';
import type { HcrFastify, Lifecycle } from './types.js';

const PACKAGE_VERSION: string = createRequire(import.meta.url)('../../package.json').version;

export interface ServerLimits {
  /** Largest request body in bytes (413 beyond). */
  bodyLimit: number;
  /** Largest image in pixels before decoding (decompression bombs: 400). */
  maxInputPixels: number;
  /** Most images in one JSON batch request. */
  maxImagesPerRequest: number;
  /** A prediction not answered within this many ms gets 503 (the client may retry). */
  timeoutMs: number;
  /**
   * Headers and body of a request must arrive within this many ms, or the client gets 408 and the
   * connection is closed (slow or stalled uploads would otherwise hold sockets; 0 = no limit).
   */
  requestTimeoutMs: number;
  /** A kept-alive connection with no request closes after this many ms without one. */
  idleTimeoutMs: number;
}

export const DEFAULT_LIMITS: ServerLimits = Object.freeze({
  bodyLimit: 8 * 1024 * 1024,
  maxInputPixels: DEFAULT_DECODE_LIMITS.maxInputPixels,
  maxImagesPerRequest: 64,
  timeoutMs: 10_000,
  // A character or a line is tens of kB: even a slow phone sends it in well under a second.
  requestTimeoutMs: 10_000,
  idleTimeoutMs: 5_000,
});

/**
 * maxWaitMs 0: an idle model starts at once (no added latency at low load); under load, images that arrive
 * while a run is in flight form the next batch by themselves.
 */
export const DEFAULT_BATCHING: BatcherOptions = Object.freeze({ maxBatch: 64, maxWaitMs: 0, maxQueue: 4096 });

export interface AppOptions {
  recognizer: Recognizer;
  /** The line reader behind POST /v1/read (optional: without it /v1/read says how to get one). */
  reader?: LineReader;
  /** Where POST /v1/samples keeps corrected examples (optional: without it the route answers 404). */
  samples?: SampleStore;
  logger: Logger;
  limits?: Partial<ServerLimits>;
  /** Micro-batching; `false` runs every request's images on their own. */
  batching?: Partial<BatcherOptions> | false;
  /**
   * Host names and browser origins answered (`OriginPolicy`). Default here: any host name, no other origin's
   * pages; `startServer` answers only IPs and localhost when it listens on a loopback address.
   */
  origins?: Partial<OriginPolicy>;
  /**
   * When given, every /v1/ request needs `Authorization: Bearer <token>` (401 without it); the page, health
   * probes, /metrics and /openapi.json stay open. One token, or one per named client (each at least 16 printable
   * ASCII characters; the name goes into the request log, /metrics and the rate limit). Default: no token.
   */
  apiToken?: ApiTokens;
  /**
   * At most `max` /v1/ requests per client (its token's name, else its IP address) in each `windowMs`: 429
   * RATE_LIMITED with Retry-After beyond. Default: no limit.
   */
  rateLimit?: RateLimit;
  /**
   * The proxies in front of the server (fastify's `trustProxy`: addresses or CIDR ranges, or true for any): a
   * client's IP (the log, the rate limit) and the URL's scheme are then taken from X-Forwarded-For and
   * X-Forwarded-Proto. Default: none, the peer's address is the client's.
   */
  trustProxy?: TrustProxy;
  /** Serve HTTPS with this certificate (chain) and private key, PEM. Default: plain HTTP. */
  tls?: TlsFiles;
}

/** What a running server's credentials can be swapped for (`HcrApp.updateCredentials`). */
export interface Credentials {
  apiToken?: ApiTokens;
  tls?: TlsFiles;
}

export interface HcrApp {
  app: HcrFastify;
  metrics: Metrics;
  /**
   * Stops taking new work (readyz and new predictions answer 503 for `drainMs`, so load balancers notice),
   * then closes the listener, finishes in-flight requests and frees the model.
   */
  shutdown(drainMs?: number): Promise<void>;
  /**
   * Swaps the API tokens and/or the TLS certificate of a running server (a rotation, or a renewed certificate):
   * both are checked before either is swapped; requests after it need one of the new tokens, connections after it
   * get the new certificate. A server started without a token, or without TLS, cannot be given one (BAD_OPTIONS).
   */
  updateCredentials(credentials: Credentials): void;
}

/** The HTTP service: one Fastify instance with the plugins and routes of ./plugins and ./routes. */
export async function buildApp(opts: AppOptions): Promise<HcrApp> {
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const batching = opts.batching === false ? false : { ...DEFAULT_BATCHING, ...opts.batching };
  const { recognizer, reader } = opts;
  const metrics = createMetrics();
  const state: Lifecycle = { closing: false };
  const inference = createCharacterInference(recognizer, batching, metrics);

  if (opts.tls) checkTls(opts.tls); // TLS_INVALID naming the fix, not the TLS layer's bare error
  const clients = opts.apiToken === undefined ? undefined : checkApiClients(opts.apiToken);
  // a client the limit names must be one the tokens have (a misspelt name would go unlimited by its own)
  if (opts.rateLimit)
    checkRateLimitClients(
      opts.rateLimit,
      clients?.map((c) => c.name),
    );
  const timeouts = slowClientTimeouts(limits);
  const app = Fastify({
    loggerInstance: opts.logger,
    // a caller's (or a proxy's) request id is kept, logged and sent back; else fastify numbers requests
    requestIdHeader: 'x-request-id',
    ...(opts.trustProxy !== undefined && {
      trustProxy: checkTrustProxy(opts.trustProxy),
    }),
    bodyLimit: limits.bodyLimit,
    ...timeouts,
    // https.createServer takes the http server's options beside the certificate (fastify passes `http` only to http)
    ...(opts.tls && { https: { ...timeouts.http, cert: opts.tls.cert, key: opts.tls.key } }),
    clientErrorHandler: clientErrorHandler(limits.requestTimeoutMs),
    return503OnClosing: true,
    // a malformed percent-encoded URL is answered {error: {code, message, hint}} too, not fastify's shape
    frameworkErrors,
    forceCloseConnections: 'idle',
    // One log line per request comes from the lifecycle plugin (route, status, ms).
    logController: new LogController({ disableRequestLogging: true }),
    // an HTTPS server's requests and replies are node:http's: every route and plugin is the same
  }) as unknown as HcrFastify;

  await registerOrigins(app, { allowedHosts: 'any', corsOrigins: [], ...opts.origins });
  registerValidation(app);
  registerContentTypes(app, limits.bodyLimit);
  await registerMultipart(app, limits);
  await registerOpenApi(app, PACKAGE_VERSION, {
    bearer: clients !== undefined,
    // tokenGuard is made below, before the first request asks
    metricsGuarded: () => tokenGuard?.metricsGuarded() ?? false,
    rateLimited: opts.rateLimit !== undefined,
  });
  registerLifecycle(app, state, metrics);
  const tokenGuard = opts.apiToken === undefined ? undefined : registerApiToken(app, opts.apiToken);
  // after the token guard: the limit counts requests by the client the token names
  if (opts.rateLimit) await registerRateLimit(app, opts.rateLimit);
  registerErrors(app, limits);
  await registerStatic(app);
  registerHealthRoutes(app, { recognizer, reader, state });
  registerModelRoute(app, { recognizer, reader, batching, limits, collecting: opts.samples !== undefined });
  registerPredictRoute(app, { recognizer, inference, limits, metrics });
  const readBatcher = registerReadRoute(app, { reader, limits, batching, metrics });
  registerSamplesRoute(app, opts.samples);
  registerMetricsRoute(
    app,
    metrics,
    () => (inference.batcher?.queued ?? 0) + (readBatcher?.queued ?? 0),
    () => ({ characters: recognizer.preparing, reader: reader?.preparing ?? 0 }),
  );

  async function shutdown(drainMs = 0): Promise<void> {
    if (state.closing) return;
    state.closing = true;
    if (drainMs > 0) await new Promise((r) => setTimeout(r, drainMs));
    await app.close();
    await recognizer.close();
    await reader?.close();
  }

  function updateCredentials({ apiToken, tls }: Credentials): void {
    if (apiToken !== undefined && !tokenGuard)
      throw new HcrError(
        'BAD_OPTIONS',
        'This server was started without an API token, so it cannot swap one in.',
        {
          hint: 'Start it with one (--api-token-file or HCR_API_TOKEN; apiToken in startServer) to rotate it later.',
        },
      );
    if (tls && !opts.tls)
      throw new HcrError('BAD_OPTIONS', 'This server serves plain HTTP, so it has no certificate to swap.', {
        hint: 'Start it with --tls-cert and --tls-key (tls in startServer) to renew them later.',
      });
    if (apiToken !== undefined) checkApiClients(apiToken);
    if (tls) checkTls(tls);
    if (apiToken !== undefined) tokenGuard!.setTokens(apiToken);
    if (tls) (app.server as unknown as HttpsServer).setSecureContext({ cert: tls.cert, key: tls.key });
  }

  return { app, metrics, shutdown, updateCredentials };
}
