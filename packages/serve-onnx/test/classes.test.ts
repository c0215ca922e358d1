import { join } from 'node:path';
import { CHARACTER_CLASS_CHOICES } from '@hcr/core';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, createRecognizer, type HcrApp } from '../src/index.js';
import { FIXTURE_MODEL, HANDWRITING_DIR } from './support/models.js';
import { runHcr } from './support/run-hcr.js';
import { photo } from './support/synth.js';

const hcr = (args: string[]) => runHcr(args);

const MODEL_CLASSES = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';

describe('classes are validated, never guessed', () => {
  let app: HcrApp;
  beforeAll(async () => {
    const recognizer = await createRecognizer({ model: FIXTURE_MODEL, intraOpThreads: 1 });
    app = await buildApp({ recognizer, logger: pino({ level: 'silent' }), batching: false });
  });
  afterAll(() => app.shutdown());

  const predict = async (query: string) =>
    app.app.inject({
      method: 'POST',
      url: `/v1/predict?${query}`,
      headers: { 'content-type': 'image/png' },
      payload: await photo('7'),
    });

  it('answers 400 listing the choices for classes=digitz (not the set {D, I, G, T, Z})', async () => {
    for (const bad of ['digitz', 'vowels', 'ABC']) {
      const res = await predict(`classes=${bad}`);
      expect(res.statusCode, bad).toBe(400);
      const { error } = res.json();
      expect(error.code).toBe('CLASSES_INVALID');
      expect(`${error.message} ${error.hint}`).toContain(CHARACTER_CLASS_CHOICES);
    }
  });

  it('answers 400 naming the model classes for a set the model lacks', async () => {
    const res = await predict('classes=lowercase');
    expect(res.statusCode).toBe(400);
    expect(res.json().error.message).toContain(MODEL_CLASSES);
    const ok = await predict('classes=chars:7');
    expect(ok.statusCode).toBe(200);
    expect(ok.json().predictions[0].label).toBe('7');
    expect((await predict('classes=0123456789')).statusCode).toBe(200);
  });

  it('hcr predict exits non-zero with the same list', async () => {
    const image = join(HANDWRITING_DIR, '7-0.jpg');
    const r = await hcr(['predict', '--model', FIXTURE_MODEL, image, '--classes', 'digitz']);
    expect(r.code).not.toBe(0);
    expect(r.stderr.replace(/\s+/g, ' ')).toContain(CHARACTER_CLASS_CHOICES);
    expect(r.stdout).toBe('');
    const lower = await hcr(['predict', '--model', FIXTURE_MODEL, image, '--classes', 'lowercase']);
    expect(lower.code).not.toBe(0);
    expect(lower.stderr).toContain(MODEL_CLASSES);
  });
});
