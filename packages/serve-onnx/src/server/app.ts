import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { HcrError } from '@hcr/core';
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  LogController,
  type RawServerDefault,
} from 'fastify';
import type { Logger } from 'pino';
import { allowedClasses, type Prediction } from '../classes.js';
import { DEFAULT_DECODE_LIMITS, IMAGE_CONTENT_TYPES } from '../preprocess/decode.js';
import type { PreparedCharacter } from '../preprocess/preprocess.js';
import type { LineReader } from '../reader/line-reader.js';
import type { Recognizer } from '../recognizer.js';
import { type BatcherOptions, MicroBatcher, OverloadedError } from './batcher.js';
import { JSON_HINT, parseBody, parseTopK, round, sendError, statusFor, withTimeout } from './http.js';
import { createMetrics, type Metrics } from './metrics.js';
import { registerReadRoute } from './read-route.js';

export interface ServerLimits {
  /** Largest request body in bytes (413 beyond). */
  bodyLimit: number;
  /** Largest image in pixels before decoding (decompression bombs: 400). */
  maxInputPixels: number;
  /** Most images in one JSON batch request. */
  maxImagesPerRequest: number;
  /** A prediction not answered within this many ms gets 503 (the client may retry). */
  timeoutMs: number;
}

export const DEFAULT_LIMITS: ServerLimits = Object.freeze({
  bodyLimit: 8 * 1024 * 1024,
  maxInputPixels: DEFAULT_DECODE_LIMITS.maxInputPixels,
  maxImagesPerRequest: 64,
  timeoutMs: 10_000,
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
  logger: Logger;
  limits?: Partial<ServerLimits>;
  /** Micro-batching; `false` runs every request's images on their own. */
  batching?: Partial<BatcherOptions> | false;
}

export interface HcrApp {
  app: FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, Logger>;
  metrics: Metrics;
  /**
   * Stops taking new work (readyz and new predictions answer 503 for `drainMs`, so load balancers notice),
   * then closes the listener, finishes in-flight requests and frees the model.
   */
  shutdown(drainMs?: number): Promise<void>;
}

const WEB_DIR = fileURLToPath(new URL('../../web/', import.meta.url));
const WEB_FILES: Record<string, string> = {
  '/': 'index.html',
  '/app.js': 'app.js',
  '/word.js': 'word.js',
  '/style.css': 'style.css',
};
const MIME: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
};

export async function buildApp(opts: AppOptions): Promise<HcrApp> {
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const rec = opts.recognizer;
  const metrics = createMetrics();
  const web = Object.fromEntries(
    await Promise.all(
      Object.entries(WEB_FILES).map(async ([route, f]) => [route, await readFile(WEB_DIR + f)]),
    ),
  ) as Record<string, Buffer>;
  let closing = false;

  const runBatch = async (images: Uint8Array[]): Promise<Float32Array[]> => {
    const probs = await rec.infer(images);
    const n = rec.info.classNames.length;
    return images.map((_, i) => probs.subarray(i * n, (i + 1) * n));
  };
  const onBatch = (size: number, seconds: number) => {
    metrics.batchSize.observe(size);
    metrics.inference.observe(seconds);
  };
  const batcher =
    opts.batching === false
      ? undefined
      : new MicroBatcher(runBatch, { ...DEFAULT_BATCHING, ...opts.batching }, onBatch);
  const infer = async (images: Uint8Array[]): Promise<Float32Array[]> => {
    if (batcher) return batcher.submit(images);
    const t0 = performance.now();
    const out = await runBatch(images);
    onBatch(images.length, (performance.now() - t0) / 1000);
    return out;
  };

  const app = Fastify({
    loggerInstance: opts.logger,
    bodyLimit: limits.bodyLimit,
    requestTimeout: limits.timeoutMs + 5_000,
    connectionTimeout: limits.timeoutMs + 10_000,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // One log line per request comes from the onResponse hook below (route, status, ms).
    logController: new LogController({ disableRequestLogging: true }),
  });

  app.removeContentTypeParser('text/plain'); // only images and JSON are accepted (415 otherwise)
  // image/jpg is a common misspelling; octet-stream bodies are sniffed (PNG/JPEG/WebP signatures).
  for (const type of [...IMAGE_CONTENT_TYPES, 'image/jpg', 'application/octet-stream'])
    app.addContentTypeParser(type, { parseAs: 'buffer', bodyLimit: limits.bodyLimit }, (_req, body, done) =>
      done(null, body),
    );

  app.addHook('onRequest', async (req, reply) => {
    (req as { startedAt?: number }).startedAt = performance.now();
    if (closing && req.url.startsWith('/v1/'))
      return sendError(
        reply,
        503,
        'SHUTTING_DOWN',
        'The server is shutting down.',
        'Retry on another instance.',
      );
  });
  // While shutting down, close each connection after its response so the listener can finish closing.
  app.addHook('onSend', async (_req, reply) => {
    if (closing) reply.header('connection', 'close');
  });
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unknown';
    const seconds =
      (performance.now() - ((req as { startedAt?: number }).startedAt ?? performance.now())) / 1000;
    metrics.requests.inc({ route, method: req.method, status: String(reply.statusCode) });
    metrics.latency.observe({ route }, seconds);
    if (reply.statusCode >= 500 && !closing)
      req.log.error({ route, status: reply.statusCode, seconds }, 'request failed');
    else req.log.info({ route, status: reply.statusCode, ms: +(seconds * 1000).toFixed(2) }, 'request');
  });

  app.setErrorHandler((err: FastifyError | HcrError | OverloadedError, req, reply) => {
    if (err instanceof HcrError) return sendError(reply, statusFor(err), err.code, err.problem, err.hint);
    if (err instanceof OverloadedError)
      return sendError(
        reply.header('retry-after', '1'),
        503,
        'OVERLOADED',
        err.message,
        'Retry in a second.',
      );
    const status = err.statusCode ?? 500;
    if (status === 413)
      return sendError(
        reply,
        413,
        'BODY_TOO_LARGE',
        `The request body is over the limit of ${limits.bodyLimit} bytes.`,
        'Send a smaller image (a crop of the character), or fewer images per request.',
      );
    if (status === 415)
      return sendError(
        reply,
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        `Content-Type ${req.headers['content-type'] ?? '(none)'} is not accepted.`,
        'Send image/png, image/jpeg, image/webp (or application/octet-stream), or application/json with {"pixels": [...]} or {"images": [...]}.',
      );
    if (err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY')
      return sendError(reply, 400, 'BAD_JSON', `The body is not valid JSON (${err.message}).`, JSON_HINT);
    if (status < 500) return sendError(reply, status, err.code ?? 'BAD_REQUEST', err.message);
    req.log.error({ err }, 'unexpected error');
    return sendError(reply, 500, 'INTERNAL', 'Internal error while handling the request.');
  });
  app.setNotFoundHandler((req, reply) =>
    sendError(
      reply,
      404,
      'NOT_FOUND',
      `No route ${req.method} ${req.url}.`,
      'See GET /, POST /v1/predict and POST /v1/read.',
    ),
  );

  for (const [route, body] of Object.entries(web)) {
    const ext = WEB_FILES[route]!.split('.').pop()!;
    app.get(route, async (_req, reply) =>
      reply.type(MIME[ext]!).header('cache-control', 'no-cache').send(body),
    );
  }
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_req, reply) =>
    closing
      ? reply.code(503).send({ status: 'shutting down' })
      : { status: 'ready', model: rec.info.id, reader: opts.reader?.info.id ?? null },
  );
  app.get('/v1/model', async () => ({
    id: rec.info.id,
    classNames: rec.info.classNames,
    normalisation: rec.info.normalisation,
    input: rec.info.input,
    output: rec.info.output,
    dynamicBatch: rec.info.dynamicBatch,
    opsetVersion: rec.info.opsetVersion,
    sizeBytes: rec.info.sizeBytes,
    metadata: rec.info.metadata ?? null,
    session: rec.tuning,
    batching: batcher ? { ...DEFAULT_BATCHING, ...(opts.batching || {}) } : false,
    limits,
    reader: opts.reader ? describeReader(opts.reader) : null,
  }));
  app.get('/metrics', async (_req, reply) => {
    metrics.queue.set((batcher?.queued ?? 0) + (readBatcher?.queued ?? 0));
    return reply.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  app.post('/v1/predict', async (req, reply) => {
    const t0 = performance.now();
    const query = req.query as Record<string, string | undefined>;
    const topK = parseTopK(query.top_k, rec.info.classNames.length);
    const classes = query.classes;
    const debug = query.debug === '1' || query.debug === 'true';
    allowedClasses(classes, rec.info.classNames); // 400 before any work
    const inputs = parseBody(req.headers['content-type'], req.body, limits.maxImagesPerRequest);
    const work = (async () => {
      const prepared: PreparedCharacter[] = await Promise.all(
        inputs.map((x) => rec.prepare(x, { maxInputPixels: limits.maxInputPixels })),
      );
      const t1 = performance.now();
      const probs = await infer(prepared.map((p) => p.pixels));
      const t2 = performance.now();
      const predictions: (Prediction & { input?: number[] })[] = probs.map((p, i) => {
        const pred = rec.rank(p, 0, { topK, classes });
        // ?debug=1: the canonical 28x28 the model saw, to show what preprocessing did.
        return debug ? { ...pred, input: Array.from(prepared[i]!.pixels) } : pred;
      });
      metrics.images.inc(predictions.length);
      return {
        model: rec.info.id,
        predictions,
        timing: {
          preprocessMs: round(t1 - t0),
          inferenceMs: round(t2 - t1),
          totalMs: round(performance.now() - t0),
        },
      };
    })();
    return reply.send(await withTimeout(work, limits.timeoutMs));
  });

  const readBatcher = registerReadRoute(app, {
    reader: opts.reader,
    limits,
    batching: opts.batching === false ? false : { ...DEFAULT_BATCHING, ...opts.batching },
    metrics,
  });

  async function shutdown(drainMs = 0): Promise<void> {
    if (closing) return;
    closing = true;
    if (drainMs > 0) await new Promise((r) => setTimeout(r, drainMs));
    await app.close();
    await rec.close();
    await opts.reader?.close();
  }

  return { app, metrics, shutdown };
}

/** The line reader as GET /v1/model shows it (under `reader`). */
function describeReader(r: LineReader) {
  return {
    id: r.info.id,
    alphabet: {
      id: r.info.alphabet.id,
      symbols: r.info.alphabet.symbols.slice(1).join(''),
      size: r.info.alphabet.size,
    },
    height: r.info.reader.height,
    stride: r.info.reader.stride,
    minWidth: r.info.reader.minWidth,
    normalisation: r.info.normalisation,
    input: r.info.input,
    output: r.info.output,
    opsetVersion: r.info.opsetVersion,
    sizeBytes: r.info.sizeBytes,
    metadata: r.info.metadata ?? null,
    lexicons: r.lexiconNames,
    prepareWorkers: r.prepareWorkers,
    session: r.tuning,
  };
}
