import { mkdir } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { HcrError } from '@hcr/core';
import pino, { type Logger } from 'pino';
import sharp from 'sharp';
import { createLineReader, type LineReader } from '../reader/line-reader.js';
import { createRecognizer, type Recognizer, type SessionTuning } from '../recognizer.js';
import { SampleStore } from '../samples/store.js';
import { checkPrepareWorkers } from '../workers/pool.js';
import {
  type AppOptions,
  buildApp,
  type Credentials,
  DEFAULT_LIMITS,
  type HcrApp,
  type ServerLimits,
} from './app.js';
import { exposureWarnings } from './exposure.js';
import { type ApiTokens, checkApiClients } from './plugins/api-token.js';
import { checkOriginPolicy, defaultOriginPolicy, type OriginPolicy } from './plugins/origins.js';
import { checkRateLimit, checkRateLimitClients, type RateLimit } from './plugins/rate-limit.js';
import { checkTls, type TlsFiles } from './plugins/tls.js';
import { checkTrustProxy, type TrustProxy } from './plugins/trust-proxy.js';

export interface ServeOptions extends SessionTuning {
  /** Path to model.onnx (or a recognizer already made). */
  model: string | Recognizer;
  /**
   * The line reader for POST /v1/read: path to its model.onnx (several paths: readers trained alike, read as
   * one ensemble), or one already made (optional).
   */
  reader?: string | readonly string[] | LineReader;
  /** Named word lists for /v1/read's `lexicon` option (only with a reader path). */
  lexicons?: Record<string, readonly string[]>;
  /**
   * A folder where POST /v1/samples keeps corrected examples (images/ and labels.tsv, what `hcr finetune` reads);
   * needs a reader, whose alphabet the texts are checked against. Default: none (the route answers 404).
   */
  collect?: string;
  /** The most examples `collect` keeps (rows of its labels.tsv); past it POST /v1/samples is 507 `COLLECT_FULL`. Default 10,000. */
  collectMax?: number;
  /**
   * Worker threads decoding and preprocessing images, for each model given as a path (characters for
   * /v1/predict, lines for /v1/read; default 1 each, 0 = on the main thread).
   */
  prepareWorkers?: number;
  /**
   * Run the character model in a worker thread, off the HTTP thread (only with a path). Default: when the
   * process has more than one core; on one core the thread could not run beside the HTTP thread, and its
   * messages and switches cost CPU the requests need.
   */
  inferenceThread?: boolean;
  /**
   * Run the line reader (its onnxruntime runs and its decoding) in a worker thread of its own (only with a path).
   * Default: like `inferenceThread`, when the process has more than one core. The HTTP thread then answers other
   * requests while lines are read (`pnpm bench mixed`, 2 cores, reads of 16 lines: /healthz p90 20-32 -> 6-10
   * ms) and reads as many lines (`pnpm bench read --reader-thread`).
   */
  readerThread?: boolean;
  /** Default 127.0.0.1: reachable from this machine only unless asked. */
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /**
   * Host names answered besides IPs and localhost (`'any'`: all). Default: none on a loopback `host` (a web page
   * cannot reach the server by pointing its own name at 127.0.0.1), any on another address.
   */
  allowedHosts?: OriginPolicy['allowedHosts'];
  /** Web origins whose pages may call /v1/ from a browser, with CORS headers (`'*'`: any). Default none. */
  corsOrigins?: OriginPolicy['corsOrigins'];
  /**
   * Every /v1/ request must carry `Authorization: Bearer <token>` (401 otherwise; the page asks for it once): one
   * token, or one per named client (`parseApiTokens` reads a token file). At least 16 printable ASCII characters
   * each. Default: none, and a warning when `host` is not a loopback address.
   */
  apiToken?: ApiTokens;
  /** At most `max` /v1/ requests per client in each `windowMs` (429 beyond; `parseRateLimit('120/min')`). */
  rateLimit?: RateLimit;
  /** The proxies in front whose X-Forwarded-For names the client (AppOptions.trustProxy). Default none. */
  trustProxy?: TrustProxy;
  /** Serve HTTPS: a PEM certificate (with its chain) and its private key. Checked before any model loads. */
  tls?: TlsFiles;
  logLevel?: string;
  logger?: Logger;
  limits?: Partial<ServerLimits>;
  batching?: AppOptions['batching'];
  /**
   * Handle SIGTERM/SIGINT: finish in-flight requests, refuse new ones, exit; and SIGHUP when `reloadCredentials`
   * is given.
   */
  handleSignals?: boolean;
  /**
   * With `handleSignals`: on SIGHUP, read the credentials again (a rotated token, a renewed certificate) and swap
   * them in (`updateCredentials`); a read or check that fails is logged and the old ones are kept.
   */
  reloadCredentials?: () => Promise<Credentials>;
  /** On a signal, answer 503 on /readyz and new predictions this long before closing the listener. */
  drainMs?: number;
}

export interface RunningServer extends HcrApp {
  url: string;
  port: number;
  recognizer: Recognizer;
  reader?: LineReader;
}

export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  checkOriginPolicy(opts); // before any model loads
  const clients = opts.apiToken === undefined ? undefined : checkApiClients(opts.apiToken);
  if (opts.rateLimit) {
    checkRateLimit(opts.rateLimit);
    checkRateLimitClients(
      opts.rateLimit,
      clients?.map((c) => c.name),
    );
  }
  if (opts.trustProxy !== undefined) checkTrustProxy(opts.trustProxy);
  if (opts.tls) checkTls(opts.tls);
  // libvips' operation cache (50 MB by default) only helps when the same file is processed again;
  // a server sees new images, so the cache would just hold memory.
  sharp.cache(false);
  const logger = opts.logger ?? pino({ level: opts.logLevel ?? 'info', base: { service: 'hcr-serve' } });
  const prepareWorkers = opts.prepareWorkers ?? 1;
  checkPrepareWorkers(prepareWorkers); // before any model loads or thread starts
  // Once a request has had its answer (503 TIMEOUT), preparing its image is wasted work that holds a worker.
  const preparePool = (model: string) => ({
    taskTimeoutMs: opts.limits?.timeoutMs ?? DEFAULT_LIMITS.timeoutMs,
    onTimeout: (tasks: number) =>
      logger.warn({ model, tasks }, 'a preparation worker overran the request timeout: stopped and replaced'),
  });
  const tuning = {
    intraOpThreads: opts.intraOpThreads,
    interOpThreads: opts.interOpThreads,
    graphOptimizationLevel: opts.graphOptimizationLevel,
  };
  const recognizer =
    typeof opts.model === 'string'
      ? await createRecognizer({
          model: opts.model,
          prepareWorkers,
          preparePool: preparePool('characters'),
          inferenceThread: opts.inferenceThread ?? availableParallelism() > 1,
          ...tuning,
        })
      : opts.model;
  let reader: LineReader | undefined;
  try {
    const r = opts.reader;
    reader =
      r === undefined || isLineReader(r)
        ? r
        : await createLineReader({
            model: r,
            lexicons: opts.lexicons,
            prepareWorkers,
            preparePool: preparePool('reader'),
            inferenceThread: opts.readerThread ?? availableParallelism() > 1,
            ...tuning,
          });
  } catch (e) {
    await recognizer.close();
    throw e;
  }
  let samples: SampleStore | undefined;
  try {
    samples =
      opts.collect === undefined
        ? undefined
        : await openSampleStore(opts.collect, reader, opts.collectMax ?? DEFAULT_COLLECT_MAX);
  } catch (e) {
    await recognizer.close();
    await reader?.close();
    throw e;
  }
  const host = opts.host ?? '127.0.0.1';
  const policy = defaultOriginPolicy(host);
  const origins: OriginPolicy = {
    allowedHosts: opts.allowedHosts ?? policy.allowedHosts,
    corsOrigins: opts.corsOrigins ?? policy.corsOrigins,
  };
  let hcr: HcrApp;
  try {
    hcr = await buildApp({
      recognizer,
      reader,
      samples,
      logger,
      limits: opts.limits,
      batching: opts.batching,
      origins,
      apiToken: opts.apiToken,
      rateLimit: opts.rateLimit,
      trustProxy: opts.trustProxy,
      tls: opts.tls,
    });
  } catch (e) {
    // an option fastify refuses (bodyLimit: 0): the models' sessions and worker threads would keep the process alive
    await recognizer.close();
    await reader?.close();
    throw e;
  }
  try {
    await hcr.app.listen({ host, port: opts.port ?? 8080 });
  } catch (e) {
    await recognizer.close();
    await reader?.close();
    const err = e as NodeJS.ErrnoException;
    throw new HcrError('LISTEN_FAILED', `Cannot listen on ${host}:${opts.port}: ${err.message}.`, {
      hint:
        err.code === 'EADDRINUSE' ? 'Pick another port with --port (or PORT).' : 'Check --host and --port.',
      cause: e,
    });
  }
  const address = hcr.app.server.address();
  const port = typeof address === 'object' && address ? address.port : (opts.port ?? 0);
  const url = `${opts.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
  logger.info(
    {
      url,
      model: recognizer.info.id,
      classes: recognizer.info.classNames.length,
      reader: reader
        ? { id: reader.info.id, alphabet: reader.info.alphabet.id, lexicons: reader.lexiconNames }
        : null,
      session: recognizer.tuning,
    },
    'hcr serve ready',
  );
  for (const { fields, message } of exposureWarnings({
    host,
    apiToken: opts.apiToken !== undefined,
    tls: opts.tls !== undefined,
    collecting: samples !== undefined,
  }))
    logger.warn(fields, message);
  if (recognizer.info.characterNormalisation === 'none')
    logger.warn(
      { model: recognizer.info.id },
      'this model was trained without the canonical character normalisation, but served inputs get it; expect lower accuracy than a model trained on canonical shards',
    );
  if (opts.handleSignals) {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) {
        // a second signal (SIGTERM, then Ctrl-C): stop now, and say that requests were cut
        logger.warn({ signal }, 'second signal: stopping at once, requests still in flight are cut');
        process.exit(1);
      }
      stopping = true;
      logger.info({ signal }, 'shutting down: finishing in-flight requests');
      hcr.shutdown(opts.drainMs ?? 0).then(
        () => {
          logger.info('stopped');
          process.exit(0);
        },
        (e) => {
          logger.error({ err: e }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    const reload = opts.reloadCredentials;
    if (reload)
      process.on('SIGHUP', async () => {
        try {
          const c = await reload();
          hcr.updateCredentials(c);
          logger.info(
            { apiToken: c.apiToken !== undefined, tls: c.tls !== undefined },
            'SIGHUP: credentials reloaded',
          );
        } catch (e) {
          logger.error({ err: e }, 'SIGHUP: credentials not reloaded, the old ones are kept');
        }
      });
  }
  return { ...hcr, url, port, recognizer, reader };
}

function isLineReader(r: string | readonly string[] | LineReader): r is LineReader {
  return typeof r === 'object' && 'read' in r;
}

/** The most examples `--collect` keeps unless told: images of one line are small, each at most the body limit. */
export const DEFAULT_COLLECT_MAX = 10_000;

/**
 * The collecting folder, checked at start: a reader to check texts against, a folder that can be written, and a
 * labels.tsv (when there) that can be read. Each example's image must hold writing the reader's preprocessing takes.
 */
async function openSampleStore(
  folder: string,
  reader: LineReader | undefined,
  maxExamples: number,
): Promise<SampleStore> {
  if (!reader)
    throw new HcrError(
      'COLLECT_NEEDS_READER',
      `--collect ${folder} keeps examples for the line reader, and none is loaded.`,
      {
        hint: 'Start hcr serve with a reader (--reader <model.onnx>; after the pipeline it is loaded by itself).',
      },
    );
  const store = new SampleStore(folder, reader.info.alphabet, (bytes) => reader.prepare(bytes), maxExamples);
  try {
    await mkdir(join(store.folder, 'images'), { recursive: true });
  } catch (e) {
    throw new HcrError(
      'COLLECT_NOT_WRITABLE',
      `Cannot create ${join(store.folder, 'images')}: ${(e as Error).message}.`,
      {
        hint: 'Pass --collect a folder you can write to.',
      },
    );
  }
  await store.rows(); // a labels.tsv it could not add to fails now, not at the first example
  return store;
}
