import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HcrError } from '@hcr/core';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { RANDOM_READER } from '../../../packages/serve-onnx/test/support/paths.js';
import { inCliWords, registerServe } from '../src/commands/serve.js';
import { hcr } from './support/run-hcr.js';

/** `hcr serve ...` with a model that does not exist: a flag accepted gets as far as loading it (MODEL_...). */
const serve = (...args: string[]) =>
  hcr(
    'serve',
    '--model',
    join(mkdtempSync(join(tmpdir(), 'hcr-serve-flags-')), 'none.onnx'),
    '--port',
    '0',
    ...args,
  );

describe('hcr serve: flags whose value the server cannot use are refused before any model loads', () => {
  it.each([
    // fastify's own words ("'bodyLimit' option must be an integer > 0") and a process that never exited
    [
      '--body-limit',
      '0',
      "--body-limit must be a whole number of at least 1, got '0'. Pass e.g. --body-limit 8388608.",
    ],
    // unbounded worker threads, each with its own heap
    [
      '--prepare-workers',
      '99999',
      "--prepare-workers must be a whole number from 0 to 64, got '99999'. Pass e.g. --prepare-workers 2.",
    ],
    // 0 turns the decompression-bomb guard off in sharp; the decoder refuses it, so every image failed
    [
      '--max-pixels',
      '0',
      "--max-pixels must be a whole number of at least 1, got '0'. Pass e.g. --max-pixels 25000000.",
    ],
    // 0 is onnxruntime's own choice, which hcr neither documents nor reports; leaving the flag out is all cores
    ['--threads', '0', "--threads must be a whole number of at least 1, got '0'. Pass e.g. --threads 2."],
  ])('%s %s', async (flag, value, message) => {
    const r = await serve('--no-reader', flag, value);
    expect(r.code).toBe(1);
    expect(r.err).toContain(message);
  });

  it.each([
    ['--request-timeout-ms', 'x', 'Pass e.g. --request-timeout-ms 10000.'],
    ['--idle-timeout-ms', 'x', 'Pass e.g. --idle-timeout-ms 5000.'],
    ['--drain-ms', 'x', 'Pass e.g. --drain-ms 5000.'],
    ['--collect-max', '0', 'Pass e.g. --collect-max 10000.'],
  ])('%s %s: the example is a value of its unit', async (flag, value, hint) => {
    const r = await serve('--no-reader', flag, value);
    expect(r.code).toBe(1);
    expect(r.err).toContain(hint);
  });

  it('--prepare-workers 0 (the main thread) and 64 are taken', async () => {
    for (const n of ['0', '64']) {
      const r = await serve('--no-reader', '--prepare-workers', n);
      expect(r.code).toBe(1);
      expect(r.err).not.toContain('--prepare-workers');
    }
  });

  it('--lexicon name=<a device>: NOT_A_FILE naming it, before the models load', async () => {
    const r = await serve('--reader', RANDOM_READER, '--lexicon', 'names=/dev/null');
    expect(r.code).toBe(1);
    expect(r.err).toContain(
      '--lexicon /dev/null is a character device, not a file. Pass --lexicon the path of a file on disk.',
    );
  });
});

describe('hcr serve: a worker thread that fails to start', () => {
  it("hints the serve flag that keeps that model's onnxruntime on the HTTP thread, a flag hcr serve has", () => {
    const program = new Command();
    registerServe(program);
    const flags = program.commands.find((c) => c.name() === 'serve')!.options.map((o) => o.long);
    for (const [what, flag] of [
      ['model', '--no-inference-thread'],
      ['reader', '--no-reader-thread'],
    ] as const) {
      const e = inCliWords(
        new HcrError('INFERENCE_THREAD_FAILED', 'The worker thread did not start.', {
          hint: 'Pass inferenceThread: false.',
          details: { what },
        }),
      ) as HcrError;
      expect(e).toMatchObject({
        code: 'INFERENCE_THREAD_FAILED',
        problem: 'The worker thread did not start.',
      });
      expect(e.hint).toContain(`start with ${flag} (onnxruntime on the HTTP thread)`);
      expect(flags).toContain(flag);
    }
  });
});
