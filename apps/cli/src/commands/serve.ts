import { HcrError } from '@hcr/core';
import { startServer } from '@hcr/serve-onnx';
import type { Command } from 'commander';

/** Where trained models land; `latest` links to the newest run. */
export const DEFAULT_MODEL = 'artifacts/model/latest/model.onnx';

function int(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0)
      throw new HcrError('BAD_OPTION', `${name} must be a non-negative integer, got '${v}'.`);
    return n;
  };
}

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description(
      'HTTP service: POST /v1/predict, a drawing page at /, /healthz, /readyz, /v1/model, /metrics',
    )
    .option('--model <file>', `ONNX model (env HCR_MODEL; default ${DEFAULT_MODEL})`)
    .option('--host <host>', 'address to listen on (env HOST; default 127.0.0.1, this machine only)')
    .option('--port <n>', 'port (env PORT; default 8080; 0 = any free port)', int('--port'))
    .option('--threads <n>', 'onnxruntime intra-op threads (default: all cores)', int('--threads'))
    .option('--max-batch <n>', 'micro-batching: most images per onnxruntime run', int('--max-batch'), 64)
    .option(
      '--max-wait-ms <n>',
      'micro-batching: how long an image may wait for company',
      int('--max-wait-ms'),
      0,
    )
    .option('--no-batching', 'run every request on its own (to measure what micro-batching brings)')
    .option('--body-limit <bytes>', 'largest request body (413 beyond)', int('--body-limit'), 8 * 1024 * 1024)
    .option(
      '--max-pixels <n>',
      'largest image in pixels before decoding (400 beyond)',
      int('--max-pixels'),
      25_000_000,
    )
    .option('--timeout-ms <n>', 'answer 503 when a prediction takes longer', int('--timeout-ms'), 10_000)
    .option(
      '--drain-ms <n>',
      'on SIGTERM, answer 503 this long before closing the listener',
      int('--drain-ms'),
      0,
    )
    .option('--log-level <level>', 'pino level: fatal, error, warn, info, debug (env HCR_LOG_LEVEL)')
    .action(async (opts) => {
      const env = process.env;
      const port = opts.port ?? (env.PORT !== undefined ? int('PORT')(env.PORT) : 8080);
      const server = await startServer({
        model: opts.model ?? env.HCR_MODEL ?? DEFAULT_MODEL,
        host: opts.host ?? env.HOST ?? '127.0.0.1',
        port,
        intraOpThreads: opts.threads,
        logLevel: opts.logLevel ?? env.HCR_LOG_LEVEL ?? 'info',
        limits: {
          bodyLimit: opts.bodyLimit,
          maxInputPixels: opts.maxPixels,
          timeoutMs: opts.timeoutMs,
        },
        batching:
          opts.batching === false
            ? false
            : { maxBatch: Math.max(1, opts.maxBatch), maxWaitMs: opts.maxWaitMs },
        handleSignals: true,
        drainMs: opts.drainMs,
      });
      process.stderr.write(`hcr serve: ${server.url} (model ${server.recognizer.info.id}); Ctrl-C to stop\n`);
    });
}
