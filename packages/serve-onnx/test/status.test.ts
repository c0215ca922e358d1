import { HcrError } from '@hcr/core';
import { describe, expect, it } from 'vitest';
import { statusFor } from '../src/server/http.js';

describe('the HTTP status of an error', () => {
  const status = (code: string) => statusFor(new HcrError(code, 'x'));

  it("is the client's fault for what it sent, the server's for what its model produced", () => {
    for (const code of [
      'IMAGE_UNDECODABLE',
      'IMAGE_TOO_LARGE',
      'PATTERN_INVALID',
      'BAD_TOP_K',
      'UNKNOWN_LEXICON',
    ])
      expect(status(code), code).toBe(400);
    // a request carries images, never frame probabilities: probabilities the decoder refuses came from the model
    for (const code of ['DECODE_INPUT_INVALID', 'MODEL_INVALID']) expect(status(code), code).toBe(500);
    // CLOSED: a recogniser or reader closed under a running server (the app's owner closed it early)
    // INFERENCE_THREAD_FAILED: onnxruntime's thread stopped under the request; a new one reads the next
    for (const code of [
      'OVERLOADED',
      'TIMEOUT',
      'SHUTTING_DOWN',
      'CANCELLED',
      'CLOSED',
      'INFERENCE_THREAD_FAILED',
    ])
      expect(status(code), code).toBe(503);
    expect(status('UNSUPPORTED_MEDIA_TYPE')).toBe(415);
  });
});
