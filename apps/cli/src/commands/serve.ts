import { resolve } from 'node:path';
import { HcrError } from '@hcr/core';
import type { ApiClient } from '@hcr/serve-onnx';
import { loadLexicons, parseLexiconSpec } from '@hcr/serve-onnx/reader';
import type { Command } from 'commander';
import {
  checkFlagFile,
  commaList,
  defaultModel,
  findDefault,
  oneOf,
  readFlagFile,
  wholeNumber,
} from '../flags.js';
import { DEFAULT_READER, namedReader } from './read.js';

/** Where trained models land; `latest` links to the newest run. */
export const DEFAULT_MODEL = 'artifacts/model/latest/model.onnx';
/** The character model the pipeline (`turbo run train eval`) exports. */
export const PIPELINE_MODEL = 'artifacts/model/pipeline/model.onnx';

/**
 * --model, else HCR_MODEL, else the pipeline's character model when it exists, else `latest`; the defaults are
 * found from a subfolder of the repository too (findDefault), a missing one is MODEL_MISSING naming its path.
 */
export function characterModel(flag: string | undefined): string {
  const given = flag ?? process.env.HCR_MODEL;
  if (given) return given;
  return findDefault(PIPELINE_MODEL).found ?? defaultModel(DEFAULT_MODEL, 'character model', 'HCR_MODEL');
}

/**
 * --reader, else HCR_READER, else the pipeline's reader when it exists; none with --no-reader. A
 * comma-separated list is an ensemble of readers trained alike.
 */
function lineReader(flag: string | boolean | undefined): string | string[] | undefined {
  if (flag === false) return undefined;
  return (
    namedReader([[typeof flag === 'string' ? flag : undefined, '--reader']]) ??
    findDefault(DEFAULT_READER).found
  );
}

/**
 * The API clients: --api-token-file's (one per line, `<token>`, `<client name> <token>` or with its scopes), else
 * the one token of HCR_API_TOKEN; undefined when neither is given. Read and checked, a refusal naming where the
 * token came from.
 * Never a flag's value: a command line is visible to every user of the machine (`ps`).
 */
async function apiTokens(
  file: string | undefined,
  serving: Pick<typeof import('@hcr/serve-onnx'), 'checkApiClients' | 'parseApiTokens'>,
): Promise<{ clients: ApiClient[]; from: string } | undefined> {
  if (file === undefined) {
    const env = process.env.HCR_API_TOKEN;
    if (env === undefined) return undefined;
    // one token, surrounding white space trimmed (a value pasted with its newline)
    return { clients: serving.checkApiClients(env.trim(), 'HCR_API_TOKEN'), from: 'HCR_API_TOKEN' };
  }
  const text = await readFlagFile(
    '--api-token-file',
    file,
    'API_TOKEN_FILE_MISSING',
    'Write the token into that file first, e.g. `openssl rand -hex 32 > hcr-token && chmod 600 hcr-token`.',
  );
  const from = `--api-token-file ${resolve(file)}`;
  return { clients: serving.parseApiTokens(text.toString('utf8'), from), from };
}

/** --tls-cert and --tls-key read (both or neither), for HTTPS; undefined without them. */
async function tlsFiles(cert: string | undefined, key: string | undefined) {
  if (cert === undefined && key === undefined) return undefined;
  if (cert === undefined || key === undefined)
    throw new HcrError(
      'BAD_OPTION',
      `--tls-${cert === undefined ? 'key' : 'cert'} is given without --tls-${cert === undefined ? 'cert' : 'key'}.`,
      { hint: 'HTTPS needs both: --tls-cert cert.pem --tls-key key.pem.' },
    );
  const read = (flag: string, file: string) =>
    readFlagFile(flag, file, 'TLS_FILE_MISSING', `Pass the PEM file's path to ${flag}.`);
  return { cert: await read('--tls-cert', cert), key: await read('--tls-key', key) };
}

/** As PreparePool allows (MAX_PREPARE_WORKERS): the HTTP stack is not loaded to parse the flags. */
const MAX_PREPARE_WORKERS = 64;

/** A flag's whole number from `min` to `max`, checked when the command line is read (before any model loads). */
function int(name: string, min = 0, max = Number.POSITIVE_INFINITY, example?: number) {
  return (v: string): number => wholeNumber(name, v, min, max, example);
}

/** A start-up error whose library hint names an option: the same problem, the fix as this command's flag. */
export function inCliWords(e: unknown): unknown {
  if (!(e instanceof HcrError) || e.code !== 'INFERENCE_THREAD_FAILED') return e;
  const reader = e.details?.what === 'reader';
  const flag = reader ? '--no-reader-thread' : '--no-inference-thread';
  return new HcrError(e.code, e.problem, {
    hint: `The thread failed before onnxruntime read the ${reader ? 'reader' : 'model'}: fix what the message names, or start with ${flag} (onnxruntime on the HTTP thread).`,
    cause: e,
  });
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description(
      'HTTP service: POST /v1/predict (characters), POST /v1/read (lines), a drawing page at /, /healthz, /readyz, /v1/model, /metrics',
    )
    .option(
      '--model <file>',
      `character ONNX model (env HCR_MODEL; default ${PIPELINE_MODEL} when it exists, else ${DEFAULT_MODEL})`,
    )
    .option(
      '--reader <files>',
      `line reader ONNX model for POST /v1/read, or several trained alike as one ensemble: a.onnx,b.onnx, or one file packed by "hcr export ensemble" (env HCR_READER; default ${DEFAULT_READER} when it exists)`,
    )
    .option('--no-reader', 'serve characters only (POST /v1/read answers 404)')
    .option(
      '--lexicon <name=file>',
      'word list for /v1/read?lexicon=name (one word per line; repeatable)',
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option(
      '--collect <folder>',
      'keep corrected examples sent to POST /v1/samples (the page: "Save as an example") in this folder, for `hcr finetune <folder>`',
    )
    .option(
      '--collect-max <n>',
      'the most examples --collect keeps (rows of its labels.tsv); past it POST /v1/samples answers 507 COLLECT_FULL (default 10000)',
      int('--collect-max', 1, Number.POSITIVE_INFINITY, 10_000),
    )
    .option(
      '--prepare-workers <n>',
      `worker threads that decode and preprocess images, for characters and for lines (0 = main thread; at most ${MAX_PREPARE_WORKERS})`,
      int('--prepare-workers', 0, MAX_PREPARE_WORKERS, 2),
      1,
    )
    .option('--host <host>', 'address to listen on (env HOST; default 127.0.0.1, this machine only)')
    .option('--port <n>', 'port (env PORT; default 8080; 0 = any free port)', int('--port', 0, 65535, 8080))
    .option(
      '--allowed-hosts <names>',
      "host names answered besides IPs and localhost, comma-separated, or 'any' (default: none when listening on 127.0.0.1, any on another --host)",
      (v: string) => (v.trim() === 'any' ? 'any' : commaList(v)),
    )
    .option(
      '--cors <origins>',
      "web origins whose pages may call the API from a browser, comma-separated (e.g. https://app.example.com), or '*' (default: only the server's own page)",
      (v: string) => (v.trim() === '*' ? '*' : commaList(v)),
    )
    .option(
      '--api-token-file <file>',
      'a file of API tokens, one per line as `<token>`, `<client name> <token>` or `<client name> <token> <scopes>` (read, collect, metrics; default read,collect): every /v1/ request must send one as `Authorization: Bearer <token>`, and GET /metrics one with the metrics scope when a client has it (env HCR_API_TOKEN: one token; default: none; read again on SIGHUP); the page asks for it once',
    )
    .option(
      '--rate-limit <n/period>',
      "at most n /v1/ requests per client (its token's name, else its IP address) per s, min or h, e.g. 120/min: 429 with Retry-After beyond (default: no limit); named clients' own after it: 120/min,scanner=1000/min",
    )
    .option(
      '--trust-proxy <addresses>',
      "the proxies in front, comma-separated addresses or CIDR ranges (or loopback): their X-Forwarded-For names the client's IP in logs and rate limits (default: none)",
    )
    .option(
      '--tls-cert <file>',
      'serve HTTPS with this PEM certificate (and its chain; read again with --tls-key on SIGHUP); needs --tls-key',
    )
    .option('--tls-key <file>', "the PEM private key of --tls-cert's certificate")
    // 0 would be onnxruntime's own choice, which hcr does not document nor report: leave the flag out for all cores
    .option(
      '--threads <n>',
      'onnxruntime intra-op threads (default: all cores)',
      int('--threads', 1, Number.POSITIVE_INFINITY, 2),
    )
    // commander makes this `inferenceThread: true` by default: only `false` is passed on, so that the library's
    // default (a thread with 2+ cores) stays one place
    .option(
      '--no-inference-thread',
      'run the character model on the HTTP thread (default: in a worker thread of its own with 2+ cores)',
    )
    // both forms, the positive first: commander then leaves `readerThread` undefined unless one is given, so the
    // library's default (a thread with 2+ cores) stays one place
    .option('--reader-thread', 'run the line reader in a worker thread of its own even on one core')
    .option(
      '--no-reader-thread',
      'run the line reader (its onnxruntime and its decoding) on the HTTP thread (default: in a worker thread of its own with 2+ cores)',
    )
    .option(
      '--max-batch <n>',
      'micro-batching: most images per onnxruntime run',
      int('--max-batch', 1, 4096, 64),
      64,
    )
    .option(
      '--max-wait-ms <n>',
      'micro-batching: how long an image may wait for company',
      int('--max-wait-ms'),
      0,
    )
    .option('--no-batching', 'run every request on its own (to measure what micro-batching brings)')
    .option(
      '--body-limit <bytes>',
      'largest request body (413 beyond)',
      int('--body-limit', 1, Number.POSITIVE_INFINITY, 8 * 1024 * 1024),
      8 * 1024 * 1024,
    )
    .option(
      '--max-pixels <n>',
      'largest image in pixels before decoding (400 beyond)',
      // 0 would turn sharp's guard against decompression bombs off: the decoder refuses it, so every image would fail
      int('--max-pixels', 1, Number.POSITIVE_INFINITY, 25_000_000),
      25_000_000,
    )
    .option(
      '--timeout-ms <n>',
      'answer 503 when a request (a prediction or a read) takes longer',
      int('--timeout-ms', 1, Number.POSITIVE_INFINITY, 30_000),
      10_000,
    )
    .option(
      '--request-timeout-ms <n>',
      'headers and body must arrive within this, else 408 and the connection is closed (0 = no limit)',
      int('--request-timeout-ms', 0, Number.POSITIVE_INFINITY, 10_000),
      10_000,
    )
    .option(
      '--idle-timeout-ms <n>',
      'close a kept-alive connection after this long without a request (behind a load balancer: above its idle timeout)',
      int('--idle-timeout-ms', 0, Number.POSITIVE_INFINITY, 5_000),
      5_000,
    )
    .option(
      '--drain-ms <n>',
      'on SIGTERM, answer 503 this long before closing the listener',
      int('--drain-ms', 0, Number.POSITIVE_INFINITY, 5_000),
      0,
    )
    .option(
      '--log-level <level>',
      `log level: ${LOG_LEVELS.join(', ')} (env HCR_LOG_LEVEL; default info)`,
      (v: string) => oneOf('--log-level', v, LOG_LEVELS, 'debug'),
    )
    .action(async (opts) => {
      const env = process.env;
      const port = opts.port ?? (env.PORT !== undefined ? int('PORT', 0, 65535)(env.PORT) : 8080);
      const reader = lineReader(opts.reader);
      const specs: string[] = opts.lexicon ?? [];
      if (specs.length > 0 && !reader)
        throw new HcrError('NO_READER', '--lexicon needs a line reader, and none is loaded.', {
          hint: `Pass --reader <model.onnx> (the pipeline writes ${DEFAULT_READER}).`,
        });
      if (opts.collectMax !== undefined && opts.collect === undefined)
        throw new HcrError(
          'BAD_OPTION',
          '--collect-max bounds the examples --collect keeps, and no --collect is given.',
          {
            hint: 'Pass --collect <folder> with it, or leave --collect-max out.',
          },
        );
      // a device (/dev/zero) or a huge file would be read without end: refused first, naming it
      for (const spec of specs) await checkFlagFile('--lexicon', parseLexiconSpec(spec).file);
      const lexicons = await loadLexicons(specs); // a missing or empty file stops here, naming it
      // the HTTP stack loads only to serve
      const serving = await import('@hcr/serve-onnx');
      const { checkTrustProxy, guardsMetrics, parseRateLimit, startServer } = serving;
      const rateLimit = opts.rateLimit === undefined ? undefined : parseRateLimit(opts.rateLimit);
      const trustProxy = opts.trustProxy === undefined ? undefined : checkTrustProxy(opts.trustProxy);
      /** The tokens and certificate, read and checked: at start, and again on SIGHUP when either is in a file. */
      const readCredentials = async () => ({
        token: await apiTokens(opts.apiTokenFile, serving),
        tls: await tlsFiles(opts.tlsCert, opts.tlsKey),
      });
      const { token, tls } = await readCredentials();
      const reloadable = opts.apiTokenFile !== undefined || tls !== undefined;
      const server = await startServer({
        model: characterModel(opts.model),
        reader,
        lexicons,
        collect: opts.collect,
        collectMax: opts.collectMax,
        prepareWorkers: opts.prepareWorkers,
        host: opts.host ?? env.HOST ?? '127.0.0.1',
        port,
        allowedHosts: opts.allowedHosts,
        corsOrigins: opts.cors,
        apiToken: token?.clients,
        rateLimit,
        trustProxy,
        tls,
        intraOpThreads: opts.threads,
        ...(opts.inferenceThread === false ? { inferenceThread: false } : {}),
        ...(opts.readerThread !== undefined ? { readerThread: opts.readerThread } : {}),
        logLevel:
          opts.logLevel ??
          (env.HCR_LOG_LEVEL ? oneOf('HCR_LOG_LEVEL', env.HCR_LOG_LEVEL, LOG_LEVELS) : 'info'),
        limits: {
          bodyLimit: opts.bodyLimit,
          maxInputPixels: opts.maxPixels,
          timeoutMs: opts.timeoutMs,
          requestTimeoutMs: opts.requestTimeoutMs,
          idleTimeoutMs: opts.idleTimeoutMs,
        },
        batching:
          opts.batching === false
            ? false
            : { maxBatch: Math.max(1, opts.maxBatch), maxWaitMs: opts.maxWaitMs },
        handleSignals: true,
        // the environment cannot change under a running process: only files are read again
        reloadCredentials: reloadable
          ? async () => {
              const again = await readCredentials();
              return {
                ...(opts.apiTokenFile !== undefined ? { apiToken: again.token?.clients } : {}),
                ...(again.tls ? { tls: again.tls } : {}),
              };
            }
          : undefined,
        drainMs: opts.drainMs,
      }).catch((e) => {
        throw inCliWords(e);
      });
      const read = server.reader
        ? `reader ${server.reader.info.id}${specs.length ? `, lexicons ${server.reader.lexiconNames.join(', ')}` : ''}`
        : 'no line reader: POST /v1/read answers 404';
      const collect = opts.collect ? `; examples kept in ${resolve(opts.collect)}` : '';
      const clients = token && token.clients.length > 1 ? ` (${token.clients.length} clients)` : '';
      const scraper = token && guardsMetrics(token.clients) ? ', /metrics one with the metrics scope' : '';
      const guarded = token ? `; /v1/ needs an API token of ${token.from}${clients}${scraper}` : '';
      // as written: `2/min per client`, then the named clients' own, `(scanner=1000/min)`
      const [everyone, ...own] = (opts.rateLimit ?? '').split(',').map((p: string) => p.trim());
      const limited = rateLimit ? `; ${everyone} per client${own.length ? ` (${own.join(', ')})` : ''}` : '';
      process.stderr.write(
        `hcr serve: ${server.url} (model ${server.recognizer.info.id}; ${read}${collect}${guarded}${limited}); Ctrl-C to stop\n`,
      );
    });
}
