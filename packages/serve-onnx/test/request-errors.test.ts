import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, createLineReader, createRecognizer, type HcrApp, SampleStore } from '../src/index.js';
import { lineScan } from './support/line-synth.js';
import { FIXTURE_MODEL } from './support/models.js';
import { RANDOM_READER } from './support/paths.js';
import { photo } from './support/synth.js';

/**
 * Malformed requests a QA pass sent: each is answered in the service's own shape, {error: {code, message, hint}},
 * with a message that says what was wrong, never fastify's shape or a 500.
 */
describe('malformed requests answer the documented error shape', () => {
  let hcr: HcrApp;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hcr-request-errors-'));
    const recognizer = await createRecognizer({ model: FIXTURE_MODEL, intraOpThreads: 1 });
    const reader = await createLineReader({ model: RANDOM_READER, intraOpThreads: 1 });
    const samples = new SampleStore(join(dir, 'fields'), reader.info.alphabet, (b) => reader.prepare(b));
    hcr = await buildApp({ recognizer, reader, samples, logger: pino({ level: 'silent' }) });
  });
  afterAll(async () => {
    await hcr.shutdown();
    await rm(dir, { recursive: true, force: true });
  });

  const postJson = (url: string, body: string) =>
    hcr.app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload: body });
  const postForm = (url: string, form: FormData) => hcr.app.inject({ method: 'POST', url, payload: form });
  const file = (bytes: Buffer, type = 'image/png') => new Blob([new Uint8Array(bytes)], { type });
  const errorOf = (res: { statusCode: number; body: string; json(): unknown }) => {
    const body = res.json() as { error?: { code: string; message: string; hint?: string } };
    expect(body.error, res.body).toBeDefined();
    return { status: res.statusCode, ...body.error! };
  };

  it('a deeply nested JSON field is a 400 naming the field, its value shortened (not a 500 stack overflow)', async () => {
    const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
    for (const url of ['/v1/read', '/v1/predict']) {
      const e = errorOf(await postJson(url, `{"image":"x","top_k":${deep}}`));
      expect(e.status, url).toBe(400);
      expect(e.code, url).toBe('BAD_TOP_K');
      expect(e.message, url).toMatch(/^top_k=\[\[\[array\]\]\]: /);
    }
  });

  it('a huge value is shown truncated, and a number as sent (Infinity, not null)', async () => {
    const huge = errorOf(
      await postJson('/v1/read', JSON.stringify({ image: 'x', top_k: 'a'.repeat(100_000) })),
    );
    expect(huge.code).toBe('BAD_TOP_K');
    expect(huge.message.length).toBeLessThan(200);
    expect(huge.message).toMatch(/^top_k=a{50,}\.\.\.: /);
    const infinite = errorOf(await postJson('/v1/read?min_confidence=Infinity', '{"image":"x"}'));
    expect(infinite).toMatchObject({ status: 400, code: 'BAD_MIN_CONFIDENCE' });
    expect(infinite.message).toMatch(/^min_confidence=Infinity: must be <= 1/);
    const json = errorOf(await postJson('/v1/predict', '{"pixels":[],"min_confidence":1e999}'));
    expect(json.message).toMatch(/^min_confidence=Infinity: /);
  });

  it('a malformed percent-encoded URL is 400 BAD_URL with a hint', async () => {
    for (const url of ['/%', '/v1/%E0%A4%A']) {
      const res = await hcr.app.inject({ url });
      const e = errorOf(res);
      expect(e, url).toMatchObject({ status: 400, code: 'BAD_URL' });
      expect(e.message, url).toContain(url);
      expect(e.hint, url).toMatch(/percent-encode/i);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
    }
  });

  it('/v1/samples with two files says one example is one image', async () => {
    const line = await lineScan('TAX');
    const form = new FormData();
    form.append('image', file(line), 'a.png');
    form.append('image', file(line), 'b.png');
    form.append('text', 'TAX');
    const e = errorOf(await postForm('/v1/samples', form));
    expect(e.status).toBe(400);
    expect(e.message).toMatch(/one image/);
    expect(e.message).toMatch(/has 2/);
  });

  it("/v1/samples errors carry the samples route's hint (a line, no PDF or TIFF)", async () => {
    const truncated = (await lineScan('TAX')).subarray(0, 200);
    const e = errorOf(
      await hcr.app.inject({
        method: 'POST',
        url: '/v1/samples?text=TAX',
        headers: { 'content-type': 'image/png' },
        payload: truncated,
      }),
    );
    expect(e.code).toBe('IMAGE_UNDECODABLE');
    expect(e.hint).toMatch(/of the line/);
    expect(e.hint).not.toMatch(/character|PDF|TIFF|application\/pdf|image\/tiff/);
  });

  it('a JSON body with __proto__ or constructor.prototype is refused naming the field', async () => {
    const proto = errorOf(await postJson('/v1/read', '{"image":"x","__proto__":{"a":1}}'));
    expect(proto).toMatchObject({ status: 400, code: 'BAD_JSON' });
    expect(proto.message).toMatch(/"__proto__" is not allowed/);
    const ctor = errorOf(await postJson('/v1/predict', '{"pixels":[],"constructor":{"prototype":{"a":1}}}'));
    expect(ctor).toMatchObject({ status: 400, code: 'BAD_JSON' });
    expect(ctor.message).toMatch(/"constructor\.prototype" is not allowed/);
    // invalid JSON still says so
    expect(errorOf(await postJson('/v1/read', '{"image":')).message).toMatch(/not valid JSON/);
  });

  it('/v1/predict refuses pixels with images (or image), as /v1/read refuses image with images', async () => {
    const b64 = (await photo('7')).toString('base64');
    const pixels = new Array(784).fill(0);
    for (const body of [
      { pixels, images: [b64] },
      { pixels, image: b64 },
      { images: [b64], image: b64 },
    ]) {
      const e = errorOf(await postJson('/v1/predict', JSON.stringify(body)));
      expect(e).toMatchObject({ status: 400, code: 'BAD_JSON' });
      expect(e.message).toMatch(/has both/);
    }
  });

  it('a form over the fields limit says the limit; a file under another name is named', async () => {
    const many = new FormData();
    many.append('image', file(await photo('7')), 'x.png');
    for (let i = 0; i < 1000; i++) many.append(`f${i}`, 'x');
    const limit = errorOf(await postForm('/v1/predict', many));
    expect(limit).toMatchObject({ status: 400, code: 'BAD_FORM' });
    expect(limit.message).toMatch(/more than 16 fields/);
    for (const url of ['/v1/predict', '/v1/read']) {
      const misnamed = new FormData();
      misnamed.append('file', file(await photo('7')), 'x.png');
      const e = errorOf(await postForm(url, misnamed));
      expect(e, url).toMatchObject({ status: 400, code: 'BAD_FORM' });
      expect(e.message, url).toMatch(/Unknown field file in the form/);
    }
  });
});
