import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { HcrError } from '@hcr/core';
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
  LogController,
  type RawServerDefault,
} from 'fastify';
import type { Logger } from 'pino';
import { allowedClasses, type Prediction } from '../classes.js';
import { DEFAULT_DECODE_LIMITS, IMAGE_CONTENT_TYPES } from '../preprocess/decode.js';
import type { PreparedCharacter } from '../preprocess/preprocess.js';
import type { Recognizer, RecognizerInput } from '../recognizer.js';
import { type BatcherOptions, MicroBatcher, OverloadedError } from './batcher.js';
import { createMetrics, type Metrics } from './metrics.js';

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
  '/style.css': 'style.css',
};
const MIME: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
};

/** HTTP status for an HcrError code: input problems are the client's (4xx), model problems are ours. */
function statusFor(e: HcrError): number {
  if (e.code === 'IMAGE_TOO_LARGE' || e.code === 'IMAGE_UNDECODABLE') return 400;
  if (e.code.startsWith('MODEL_')) return 500;
  if (e.code === 'OVERLOADED' || e.code === 'TIMEOUT' || e.code === 'SHUTTING_DOWN') return 503;
  if (e.code === 'UNSUPPORTED_MEDIA_TYPE') return 415;
  return 400;
}

function sendError(reply: FastifyReply, status: number, code: string, message: string, hint?: string) {
  return reply
    .code(status)
    .type('application/json')
    .send({ error: { code, message, ...(hint ? { hint } : {}) } });
}

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
      'See GET / and POST /v1/predict.',
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
    closing ? reply.code(503).send({ status: 'shutting down' }) : { status: 'ready', model: rec.info.id },
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
  }));
  app.get('/metrics', async (_req, reply) => {
    metrics.queue.set(batcher?.queued ?? 0);
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

  async function shutdown(drainMs = 0): Promise<void> {
    if (closing) return;
    closing = true;
    if (drainMs > 0) await new Promise((r) => setTimeout(r, drainMs));
    await app.close();
    await rec.close();
  }

  return { app, metrics, shutdown };
}

const JSON_HINT =
  'Send {"pixels": [784 numbers]} or {"images": ["<base64 PNG/JPEG/WebP>", ...]}, or the image itself as image/png.';

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

function parseTopK(raw: string | undefined, classes: number): number {
  if (raw === undefined || raw === '') return 5;
  const k = Number(raw);
  if (!Number.isInteger(k) || k < 1 || k > classes)
    throw new HcrError('BAD_TOP_K', `top_k=${raw} is not an integer between 1 and ${classes}.`, {
      hint: 'Use e.g. ?top_k=5.',
    });
  return k;
}

/** The images of a request: one binary image, or JSON {pixels} / {pixels: [[...]]} / {images: [base64]}. */
function parseBody(contentType: string | undefined, body: unknown, maxImages: number): RecognizerInput[] {
  if (Buffer.isBuffer(body)) return [{ image: body }];
  const jsonHint = JSON_HINT;
  if (!body || typeof body !== 'object' || Array.isArray(body))
    throw new HcrError('BAD_JSON', `The JSON body must be an object (content-type ${contentType}).`, {
      hint: jsonHint,
    });
  const b = body as { pixels?: unknown; images?: unknown };
  if (b.pixels !== undefined) {
    if (!Array.isArray(b.pixels))
      throw new HcrError('BAD_PIXELS', '"pixels" must be an array of 784 numbers.', { hint: jsonHint });
    const list = Array.isArray(b.pixels[0]) ? (b.pixels as unknown[]) : [b.pixels];
    checkCount(list.length, maxImages);
    return list.map((p, i) => {
      if (!Array.isArray(p))
        throw new HcrError('BAD_PIXELS', `pixels[${i}] is not an array of 784 numbers.`, { hint: jsonHint });
      return { pixels: p as number[] };
    });
  }
  if (b.images !== undefined) {
    if (!Array.isArray(b.images) || b.images.length === 0)
      throw new HcrError('BAD_IMAGES', '"images" must be a non-empty array of base64 strings.', {
        hint: jsonHint,
      });
    checkCount(b.images.length, maxImages);
    return b.images.map((s, i) => {
      if (typeof s !== 'string' || !/^[A-Za-z0-9+/=\s_-]*$/.test(s.replace(/^data:[^,]*,/, '')))
        throw new HcrError('BAD_IMAGES', `images[${i}] is not a base64 string.`, { hint: jsonHint });
      return { image: Buffer.from(s.replace(/^data:[^,]*,/, ''), 'base64') };
    });
  }
  throw new HcrError('BAD_JSON', 'The JSON body has neither "pixels" nor "images".', { hint: jsonHint });
}

function checkCount(n: number, max: number) {
  if (n > max)
    throw new HcrError('TOO_MANY_IMAGES', `${n} images in one request; the limit is ${max}.`, {
      hint: 'Split the batch over several requests.',
    });
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new HcrError('TIMEOUT', `The prediction took longer than ${ms} ms.`, {
            hint: 'The server is overloaded; retry later or send fewer images per request.',
          }),
        ),
      ms,
    );
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
