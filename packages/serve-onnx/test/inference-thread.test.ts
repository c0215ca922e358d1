import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import * as core from '@hcr/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createRecognizer } from '../src/index.js';
import { FIXTURE_MODEL } from './support/models.js';

// moduleWorker is replaced per test by a worker that fails to start; the others get the real one.
vi.mock('@hcr/core', async (importOriginal) => {
  const actual = await importOriginal<typeof core>();
  return { ...actual, moduleWorker: vi.fn(actual.moduleWorker) };
});
afterEach(() => vi.mocked(core.moduleWorker).mockClear());

/** The fixture with its Relu renamed to an operator onnxruntime has not got: metadata fine, no session. */
function modelWithUnknownOp(): Uint8Array {
  const bytes = Buffer.from(readFileSync(FIXTURE_MODEL));
  const at = bytes.indexOf('Relu', 0, 'latin1');
  expect(at).toBeGreaterThan(0);
  bytes.write('Xelu', at, 'latin1');
  return new Uint8Array(bytes);
}

describe("starting onnxruntime's worker thread", () => {
  it("fails a model onnxruntime cannot load with the session's own MODEL_INVALID, as on the calling thread", async () => {
    const model = modelWithUnknownOp();
    const here = await createRecognizer({ model }).catch((e) => e);
    const there = await createRecognizer({ model, inferenceThread: true }).catch((e) => e);
    expect(here).toMatchObject({ code: 'MODEL_INVALID', problem: expect.stringMatching(/Xelu/) });
    expect(there).toBeInstanceOf(core.HcrError);
    // the same problem and fix, once: not wrapped again as "cannot load the model: cannot load the model: ..."
    expect({ code: there.code, problem: there.problem, hint: there.hint }).toEqual({
      code: here.code,
      problem: here.problem,
      hint: here.hint,
    });
    expect(there.hint).toMatch(/hcr export onnx/);
  });

  it('names a thread that throws while starting INFERENCE_THREAD_FAILED, not the model', async () => {
    vi.mocked(core.moduleWorker).mockImplementationOnce(
      () => new Worker('throw new Error("no memory for a thread")', { eval: true }),
    );
    const e = await createRecognizer({ model: FIXTURE_MODEL, inferenceThread: true }).catch((x) => x);
    expect(e).toMatchObject({
      code: 'INFERENCE_THREAD_FAILED',
      problem: expect.stringMatching(/worker thread for the model did not start: no memory for a thread/),
      hint: expect.stringMatching(/before onnxruntime read the model.*inferenceThread: false/),
      details: { what: 'model' },
    });
  });

  it('names a thread that ends before the model is loaded INFERENCE_THREAD_FAILED', async () => {
    vi.mocked(core.moduleWorker).mockImplementationOnce(() => new Worker('process.exit(3)', { eval: true }));
    const e = await createRecognizer({ model: FIXTURE_MODEL, inferenceThread: true }).catch((x) => x);
    expect(e).toMatchObject({
      code: 'INFERENCE_THREAD_FAILED',
      problem: expect.stringMatching(/exited \(code 3\) before the model was loaded/),
    });
  });

  it('a thread that stops while reading fails its batch with INFERENCE_THREAD_FAILED; the next batch gets a new thread', async () => {
    // ready, answers createRecognizer's warm-up, then is gone with the next batch (as a thread out of memory would be)
    vi.mocked(core.moduleWorker).mockImplementationOnce(
      () =>
        new Worker(
          `const { parentPort } = require('node:worker_threads');
           parentPort.postMessage({ ready: true });
           parentPort.once('message', ({ id }) => {
             parentPort.postMessage({ id, y: new Float32Array(36) });
             parentPort.on('message', () => process.exit(7));
           });`,
          { eval: true },
        ),
    );
    const r = await createRecognizer({ model: FIXTURE_MODEL, intraOpThreads: 1, inferenceThread: true });
    const reference = await createRecognizer({ model: FIXTURE_MODEL, intraOpThreads: 1 });
    try {
      const image = new Uint8Array(784).fill(0);
      for (let k = 300; k < 480; k += 29) image[k] = 255;
      await expect(r.infer([image])).rejects.toMatchObject({
        code: 'INFERENCE_THREAD_FAILED',
        problem: expect.stringMatching(/stopped \(exit code 7\) while reading/),
        hint: expect.stringMatching(/Send the request again/),
      });
      // two batches at once after the stop: one new thread serves both
      const [a, b] = await Promise.all([r.infer([image]), r.infer([image, image])]);
      const expected = Array.from(await reference.infer([image]));
      expect(Array.from(a)).toEqual(expected);
      expect(Array.from(b.subarray(36))).toEqual(expected);
      expect(core.moduleWorker).toHaveBeenCalledTimes(2);
    } finally {
      await r.close();
      await reference.close();
    }
  });

  it('starts the real thread when nothing fails, and reads with it', async () => {
    const r = await createRecognizer({ model: FIXTURE_MODEL, intraOpThreads: 1, inferenceThread: true });
    try {
      expect(core.moduleWorker).toHaveBeenCalledWith(
        expect.any(String),
        'inference-worker',
        expect.anything(),
      );
      const probs = await r.infer([new Uint8Array(784)]);
      expect(probs).toHaveLength(36);
    } finally {
      await r.close();
    }
  });
});
