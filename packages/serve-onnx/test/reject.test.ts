import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRng, LABEL_SPACE_36 } from '@hcr/core';
import pino from 'pino';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildApp,
  createRecognizer,
  foldedProbabilities,
  type HcrApp,
  type Recognizer,
  rankClasses,
} from '../src/index.js';
import { FIXTURE_MODEL, HANDWRITING_DIR } from './support/models.js';
import { PHOTOS } from './support/paths.js';
import { photo } from './support/synth.js';

const names = LABEL_SPACE_36.classes;
const probsOf = (p: Record<string, number>) => Float32Array.from(names, (c) => p[c] ?? 0);

async function noise(seed: number, size = 160): Promise<Buffer> {
  const rng = createRng(seed);
  const px = Buffer.from(
    Array.from({ length: size * size }, () => Math.max(0, Math.min(255, 128 + 60 * rng.normal()))),
  );
  return sharp(px, { raw: { width: size, height: size, channels: 1 } })
    .png()
    .toBuffer();
}

/** Two characters side by side on one page: a crop of a number or a word, not one character. */
async function twoCharacters(a: string, b: string): Promise<Buffer> {
  const [left, right] = await Promise.all([photo(a, { seed: 4 }), photo(b, { seed: 5 })]);
  return sharp({ create: { width: 400, height: 200, channels: 3, background: '#ebebeb' } })
    .composite([
      { input: left, left: 0, top: 0 },
      { input: right, left: 200, top: 0 },
    ])
    .png()
    .toBuffer();
}

const blank = () =>
  sharp({ create: { width: 120, height: 90, channels: 3, background: '#d8d8d0' } })
    .jpeg()
    .toBuffer();

describe('no confident answer', () => {
  it('ranks a classes filter without renormalising; twins fold into the allowed class', () => {
    // O and 0 are twins: in a digits field the O mass is evidence for 0
    const twin = rankClasses(probsOf({ O: 0.6, '0': 0.3, X: 0.1 }), names, 3, [...Array(10).keys()], 0.5);
    expect(twin).toMatchObject({ label: '0', answer: '0', verdict: 'accepted' });
    expect(twin.confidence).toBeCloseTo(0.9, 6);
    // X is nobody's twin: a digits field does not make this 20% zero look sure
    const unsure = rankClasses(probsOf({ X: 0.7, '0': 0.2, '8': 0.1 }), names, 3, [...Array(10).keys()], 0.5);
    expect(unsure).toMatchObject({ label: '0', answer: null, verdict: 'not-confident' });
    expect(unsure.confidence).toBeCloseTo(0.2, 6);
    expect(unsure.message).toMatch(/No confident answer.*0.*20\.0%.*min_confidence 0\.5/);
    const folded = foldedProbabilities(probsOf({ B: 0.5, '8': 0.3, '6': 0.1 }), names, [...Array(10).keys()]);
    // B's twins are 8 and 6: its mass splits 3:1
    expect(folded[8]).toBeCloseTo(0.3 + 0.375, 6);
    expect(folded[6]).toBeCloseTo(0.1 + 0.125, 6);
  });
});

describe('inputs that are not one character', () => {
  let rec: Recognizer;
  let app: HcrApp;
  beforeAll(async () => {
    rec = await createRecognizer({ model: FIXTURE_MODEL, intraOpThreads: 1 });
    app = await buildApp({ recognizer: rec, logger: pino({ level: 'silent' }), batching: false });
  });
  afterAll(() => app.shutdown());

  it('gives a blank page, noise and two characters side by side their own verdict and no answer', async () => {
    const empty = await rec.recognize(await blank());
    expect(empty).toMatchObject({ verdict: 'no-character', answer: null, label: null, topK: [] });
    for (const seed of [1, 2, 3]) {
      const n = await rec.recognize(await noise(seed), { minConfidence: 0 });
      expect(n.verdict, `noise ${seed}`).toBe('noise');
      expect(n.answer).toBeNull();
      expect(n.message).toMatch(/noise/);
    }
    for (const [a, b] of [
      ['7', 'A'],
      ['4', '1'],
      ['X', 'T'],
    ] as const) {
      const two = await rec.recognize(await twoCharacters(a, b), { minConfidence: 0 });
      expect(two.verdict, `${a}${b}`).toBe('several-characters');
      expect(two.answer).toBeNull();
      expect(two.message).toBe(
        "Not one character: 2 characters side by side (a word or a number); a line reader (@hcr/serve-onnx's createLineReader) reads those.",
      );
    }
    // one character on the same kind of page is answered
    const one = await rec.recognize(await photo('7', { seed: 4 }), { minConfidence: 0 });
    expect(one).toMatchObject({ verdict: 'accepted', answer: '7' });
  });

  it('POST /v1/predict: min_confidence, an explicit answer field, and the verdicts in a batch', async () => {
    const post = (payload: object | Buffer, query = '') =>
      app.app.inject({
        method: 'POST',
        url: `/v1/predict${query}`,
        headers: { 'content-type': Buffer.isBuffer(payload) ? 'image/png' : 'application/json' },
        payload: Buffer.isBuffer(payload) ? payload : JSON.stringify(payload),
      });
    const seven = await photo('7', { seed: 4 });
    const sure = (await post(seven, '?min_confidence=0')).json().predictions[0];
    expect(sure).toMatchObject({ answer: '7', verdict: 'accepted', label: '7' });
    const strict = await post(seven, '?min_confidence=1');
    expect(strict.statusCode).toBe(200);
    const p = strict.json().predictions[0];
    expect(p).toMatchObject({ answer: null, verdict: 'not-confident', label: '7' });
    expect(p.message).toMatch(/No confident answer/);
    const images = [seven, await blank(), await noise(1), await twoCharacters('7', 'A')].map((b) =>
      b.toString('base64'),
    );
    const batch = await post({ images, min_confidence: 0 });
    expect(batch.statusCode).toBe(200);
    expect(batch.json().predictions.map((x: { verdict: string }) => x.verdict)).toEqual([
      'accepted',
      'no-character',
      'noise',
      'several-characters',
    ]);
    // The service names its own route for words and numbers.
    expect(batch.json().predictions[3].message).toBe(
      'Not one character: 2 characters side by side (a word or a number); POST /v1/read reads those.',
    );
    const pixels = await post({ pixels: Array(784).fill(0) });
    expect(pixels.json().predictions[0]).toMatchObject({ verdict: 'no-character', answer: null });
    const bad = await post(seven, '?min_confidence=-0.1');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('BAD_MIN_CONFIDENCE');
  });
});

describe('hcr predict --min-confidence', () => {
  const ROOT = resolve(fileURLToPath(new URL('../../../', import.meta.url)));
  const hcr = (...args: string[]) =>
    spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', 'apps/cli/src/bin.ts', ...args], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, NO_COLOR: '1' },
    });

  it.skipIf(!PHOTOS)(
    'answers "no confident answer" below the threshold, in JSON and text, and refuses a bad value',
    () => {
      const image = join(HANDWRITING_DIR, '7-0.jpg');
      const json = hcr('predict', '--model', FIXTURE_MODEL, image, '--min-confidence', '1', '--json');
      expect(json.status, json.stderr).toBe(0);
      expect(JSON.parse(json.stdout).results[0].prediction).toMatchObject({
        answer: null,
        verdict: 'not-confident',
      });
      const text = hcr('predict', '--model', FIXTURE_MODEL, image, '--min-confidence', '1');
      expect(text.stdout).toMatch(/7-0\.jpg {2}no confident answer/);
      const bad = hcr('predict', '--model', FIXTURE_MODEL, image, '--min-confidence', '2');
      expect(bad.status).not.toBe(0);
      expect(bad.stderr).toMatch(/--min-confidence must be a number from 0 to 1, got '2'/);
    },
  );
});
