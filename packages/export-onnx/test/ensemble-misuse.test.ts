import { HcrError } from '@hcr/core';
import { describe, expect, it } from 'vitest';
import { packReaderEnsemble } from '../src/index.js';

describe('packReaderEnsemble misuse', () => {
  it('bytes or paths instead of { bytes, name } are MODEL_INVALID saying what to pass (was "undefined is not an ONNX line reader")', () => {
    for (const [files, got] of [
      [[new Uint8Array(8), new Uint8Array(8)], 'the bytes alone'],
      [['a.onnx', 'b.onnx'], "the path 'a.onnx'"],
    ] as const) {
      let e: unknown;
      try {
        packReaderEnsemble(files as never);
      } catch (x) {
        e = x;
      }
      expect(e).toBeInstanceOf(HcrError);
      expect((e as HcrError).code).toBe('MODEL_INVALID');
      expect((e as HcrError).problem).toBe(
        `packReaderEnsemble takes { bytes, name } per reader, got ${got}.`,
      );
      expect((e as HcrError).hint).toMatch(/bytes: await readFile/);
    }
  });
});
