import { HcrError } from '@hcr/core';
import { describe, expect, it } from 'vitest';
import { checkParity, openSession } from '../src/index.js';

async function failure(p: Promise<unknown>): Promise<HcrError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(HcrError);
  expect((e as HcrError).hint).toBeTruthy();
  return e as HcrError;
}

describe('openSession / checkParity misuse', () => {
  it('bytes onnxruntime cannot load are MODEL_INVALID (was onnxruntime\'s bare "protobuf parsing failed")', async () => {
    const e = await failure(openSession(new Uint8Array([1, 2, 3])));
    expect(e.code).toBe('MODEL_INVALID');
    expect(e.problem).toMatch(/^onnxruntime cannot load the ONNX bytes: .*protobuf parsing failed/);
    expect((await failure(checkParity(new Uint8Array(3), () => [], []))).code).toBe('MODEL_INVALID');
  });

  it('a missing file is MODEL_NOT_FOUND naming it (was a bare ENOENT)', async () => {
    const e = await failure(openSession('/nonexistent/model.onnx'));
    expect(e.code).toBe('MODEL_NOT_FOUND');
    expect(e.problem).toMatch(/^Cannot read the ONNX model \/nonexistent\/model\.onnx: ENOENT/);
  });
});
