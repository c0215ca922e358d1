import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRng, LABEL_SPACE_36, LABEL_SPACE_62 } from '@hcr/core';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  allowedClasses,
  buildApp,
  createRecognizer,
  type HcrApp,
  inspectModel,
  type Recognizer,
  rankClasses,
} from '../src/index.js';
import { denseOnnxModel } from './support/dense-onnx.js';
import { runHcr } from './support/run-hcr.js';
import { photo } from './support/synth.js';

/** A random single-layer model with `space`'s classes: the label space, not accuracy, is under test. */
function model(classes: readonly string[], labelSpace?: string): Uint8Array {
  const rng = createRng(11);
  const k = classes.length;
  const weights = Float32Array.from({ length: 784 * k }, () => rng.normal() * 0.05);
  const bias = Float32Array.from({ length: k }, () => rng.normal() * 0.1);
  return denseOnnxModel({
    layers: [{ weights, bias, inputs: 784, units: k }],
    classNames: [...classes],
    modelId: `random-${k}`,
    labelSpace,
  });
}

const hcr = (args: string[]) => runHcr(args);

describe('uppercase and lowercase on a 62-class model', () => {
  const names = LABEL_SPACE_62.classes;
  const rank = (p: Record<string, number>, classes: string) =>
    rankClasses(
      Float32Array.from(names, (c) => p[c] ?? 0),
      names,
      3,
      allowedClasses(classes, names),
      0.5,
    );

  it('count a letter written alike in both cases (o/O, s/S, ...) for the case the field allows', () => {
    // an o the model cannot tell from an O: the field can (it was dropped: O at 44%, no confident answer)
    const o = { o: 0.46, O: 0.44, c: 0.05, '3': 0.05 };
    const upper = rank(o, 'uppercase');
    expect(upper).toMatchObject({ label: 'O', answer: 'O', verdict: 'accepted' });
    expect(upper.confidence).toBeCloseTo(0.9, 6);
    const lower = rank(o, 'lowercase');
    expect(lower).toMatchObject({ label: 'o', answer: 'o', verdict: 'accepted' });
    expect(lower.confidence).toBeCloseTo(0.9, 6);
    // nothing else moves: c keeps its own 5%, and digits still take O's twin
    expect(lower.topK[1]).toMatchObject({ label: 'c' });
    expect(lower.topK[1]!.confidence).toBeCloseTo(0.05, 6);
    expect(rank(o, 'digits')).toMatchObject({ label: '0', verdict: 'accepted' });
  });

  it('leave a letter whose cases differ (e/E, n/N) to itself: its mass is no evidence for the other case', () => {
    const upper = rank({ e: 0.5, E: 0.3, F: 0.2 }, 'uppercase');
    expect(upper).toMatchObject({ label: 'E', answer: null, verdict: 'not-confident' });
    expect(upper.confidence).toBeCloseTo(0.3, 6);
    const lower = rank({ N: 0.6, n: 0.3, m: 0.1 }, 'lowercase');
    expect(lower).toMatchObject({ label: 'n', answer: null });
    expect(lower.confidence).toBeCloseTo(0.3, 6);
  });
});

describe('a 62-class model served', () => {
  let rec: Recognizer;
  let app: HcrApp;
  let dir: string;
  beforeAll(async () => {
    rec = await createRecognizer({ model: model(LABEL_SPACE_62.classes, 'hcr62'), intraOpThreads: 1 });
    app = await buildApp({ recognizer: rec, logger: pino({ level: 'silent' }), batching: false });
    dir = await mkdtemp(join(tmpdir(), 'hcr-labels-'));
  });
  afterAll(async () => {
    await app.shutdown();
    await rm(dir, { recursive: true, force: true });
  });

  it('reads the label space from the model and offers uppercase and lowercase', async () => {
    expect(rec.info.labelSpace).toBe('hcr62');
    const m = (await app.app.inject('/v1/model')).json();
    expect(m.labelSpace).toBe('hcr62');
    expect(m.classNames).toHaveLength(62);
    expect(m.classChoices).toEqual(['digits', 'letters', 'alnum', 'uppercase', 'lowercase']);
    // without the key, the label space follows from the class names; a 36-class model has no lowercase
    expect(inspectModel(model(LABEL_SPACE_62.classes)).labelSpace).toBe('hcr62');
    expect(inspectModel(model(LABEL_SPACE_36.classes)).labelSpace).toBe('hcr36');
    expect(() => inspectModel(model(LABEL_SPACE_36.classes, 'hcr62'))).toThrow(
      /hcr\.label_space is "hcr62" but its 36 class names are/,
    );
  });

  it('classes=lowercase answers in lowercase, classes=uppercase in capitals', async () => {
    const png = await photo('A');
    const ask = (classes: string) =>
      app.app.inject({
        method: 'POST',
        url: `/v1/predict?classes=${classes}&top_k=5`,
        headers: { 'content-type': 'image/png' },
        payload: png,
      });
    const lower = (await ask('lowercase')).json().predictions[0];
    expect(lower.label).toMatch(/^[a-z]$/);
    expect(lower.topK.every((t: { label: string }) => /^[a-z]$/.test(t.label))).toBe(true);
    const upper = (await ask('uppercase')).json().predictions[0];
    expect(upper.label).toMatch(/^[A-Z]$/);
  });

  it('a 36-class model refuses classes=lowercase with a 400 naming its classes', async () => {
    const rec36 = await createRecognizer({ model: model(LABEL_SPACE_36.classes), intraOpThreads: 1 });
    const app36 = await buildApp({ recognizer: rec36, logger: pino({ level: 'silent' }), batching: false });
    try {
      expect((await app36.app.inject('/v1/model')).json().classChoices).not.toContain('lowercase');
      const res = await app36.app.inject({
        method: 'POST',
        url: '/v1/predict?classes=lowercase',
        headers: { 'content-type': 'image/png' },
        payload: await photo('A'),
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().error.message).toMatch(
        /no lowercase characters: its classes are "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"/,
      );
    } finally {
      await app36.shutdown();
    }
  });

  it('hcr predict shows the case of the answer', { timeout: 60_000 }, async () => {
    const file = join(dir, 'm62.onnx');
    await writeFile(file, model(LABEL_SPACE_62.classes, 'hcr62'));
    const img = join(dir, 'a.png');
    await writeFile(img, await photo('A'));
    // a random model is never confident: --min-confidence 0 shows its answer
    const low = await hcr([
      'predict',
      '--model',
      file,
      img,
      '--classes',
      'lowercase',
      '--min-confidence',
      '0',
    ]);
    expect(low.code, low.stderr).toBe(0);
    expect(low.stdout).toMatch(/a\.png {2}[a-z] \(lowercase\) {2}\d/);
    const up = await hcr(['predict', '--model', file, img, '--classes', 'uppercase', '--json']);
    const doc = JSON.parse(up.stdout);
    expect(doc.labelSpace).toBe('hcr62');
    expect(doc.results[0].prediction.label).toMatch(/^[A-Z]$/);
    expect(doc.results[0].case).toBe('capital');
  });
});
