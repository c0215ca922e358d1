import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import SwaggerParser from '@apidevtools/swagger-parser';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp, createLineReader, createRecognizer, type HcrApp } from '../src/index.js';
import { lineScan } from './support/line-synth.js';
import { FIXTURE_MODEL } from './support/models.js';
import { RANDOM_READER } from './support/paths.js';
import { photo } from './support/synth.js';

const run = promisify(execFile);
// Answers and the OpenAPI document are checked field by field below.
// biome-ignore lint/suspicious/noExplicitAny: parsed JSON
type Json = any;

describe('multipart uploads and /openapi.json', () => {
  let hcr: HcrApp;
  let url: string;
  let dir: string;
  beforeAll(async () => {
    const recognizer = await createRecognizer({ model: FIXTURE_MODEL, intraOpThreads: 1 });
    const reader = await createLineReader({ model: RANDOM_READER, intraOpThreads: 1 });
    hcr = await buildApp({
      recognizer,
      reader,
      logger: pino({ level: 'silent' }),
      limits: { bodyLimit: 256 * 1024, maxImagesPerRequest: 4 },
    });
    await hcr.app.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(hcr.app.server.address() as { port: number }).port}`;
    dir = await mkdtemp(join(tmpdir(), 'hcr-multipart-'));
  });
  afterAll(async () => {
    await hcr.shutdown();
    await rm(dir, { recursive: true, force: true });
  });

  const form = (files: [string, Buffer][], fields: Record<string, string> = {}) => {
    const f = new FormData();
    for (const [name, bytes] of files)
      f.append(name, new Blob([bytes], { type: 'image/png' }), `${name}.png`);
    for (const [k, v] of Object.entries(fields)) f.append(k, v);
    return f;
  };
  const send = async (path: string, body: FormData) => {
    const res = await fetch(`${url}${path}`, { method: 'POST', body });
    return { status: res.status, json: (await res.json()) as Json };
  };

  it('recognises `curl -F image=@x.png .../v1/predict`', async () => {
    const file = join(dir, 'seven.png');
    await writeFile(file, await photo('7'));
    const { stdout } = await run('curl', ['-sS', '-F', `image=@${file}`, `${url}/v1/predict?top_k=2`]);
    const body = JSON.parse(stdout);
    expect(body.predictions).toHaveLength(1);
    expect(body.predictions[0]).toMatchObject({ label: '7' });
    expect(body.predictions[0].topK).toHaveLength(2);
  });

  it('takes several files and option fields in one form, and names bad forms', async () => {
    const files: [string, Buffer][] = [
      ['image', await photo('X')],
      ['image', await photo('A')],
    ];
    const two = await send('/v1/predict', form(files, { top_k: '4' }));
    expect(two.status).toBe(200);
    expect(two.json.predictions.map((p: { label: string }) => p.label)).toEqual(['X', 'A']);
    expect(two.json.predictions[0].topK).toHaveLength(4);

    const wrongField = await send('/v1/predict', form([['file', await photo('X')]]));
    expect(wrongField.status).toBe(400);
    // the file's field is named, as /v1/read names it; the hint says the field is image
    expect(wrongField.json.error.code).toBe('BAD_FORM');
    expect(wrongField.json.error.message).toContain('Unknown field file in the form');
    expect(wrongField.json.error.hint).toContain('image');
    const badTopK = await send('/v1/predict', form([['image', await photo('X')]], { top_k: '99' }));
    expect(badTopK.status).toBe(400);
    expect(badTopK.json.error).toMatchObject({
      code: 'BAD_TOP_K',
      message: expect.stringContaining('top_k=99'),
    });
    const tooMany = await send('/v1/predict', form(Array(5).fill(['image', await photo('X')])));
    expect(tooMany.status).toBe(400);
    expect(tooMany.json.error.code).toBe('TOO_MANY_IMAGES');
    const tooLarge = await send('/v1/predict', form([['image', Buffer.alloc(300 * 1024, 7)]]));
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.json.error.code).toBe('BODY_TOO_LARGE');
    expect(tooLarge.json.error.hint).toMatch(/a crop of the character.*--body-limit/);
    const tooLargeLine = await send('/v1/read', form([['image', Buffer.alloc(300 * 1024, 7)]]));
    expect(tooLargeLine.json.error).toMatchObject({
      code: 'BODY_TOO_LARGE',
      hint: expect.stringMatching(/a crop of the line or field/),
    });
    const garbage = await send('/v1/predict', form([['image', Buffer.from('not an image at all')]]));
    expect(garbage.status).toBe(400);
    expect(garbage.json.error.code).toBe('IMAGE_UNDECODABLE');
  });

  it('reads lines uploaded as a form: one `image` answers like a raw body, `images` like a JSON batch', async () => {
    const line = await lineScan('7140');
    const one = await send('/v1/read', form([['image', line]], { classes: 'digits', top_k: '2' }));
    expect(one.status).toBe(200);
    expect(one.json.text).toMatch(/^[0-9]*$/);
    expect(one.json.alternatives.length).toBeLessThanOrEqual(2);
    const many = await send(
      '/v1/read',
      form([
        ['images', line],
        ['images', await lineScan('TAX')],
      ]),
    );
    expect(many.status).toBe(200);
    expect(many.json.readings).toHaveLength(2);
    const badBeam = await send('/v1/read', form([['image', line]], { beam: '0' }));
    expect(badBeam.json.error.code).toBe('BAD_BEAM');
  });

  it('describes the API as valid OpenAPI 3, generated from the schemas that validate requests', async () => {
    const res = await fetch(`${url}/openapi.json`);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    const doc = (await res.json()) as Json;
    // Throws on anything that is not valid OpenAPI 3 (structure, $refs, parameter and schema objects).
    await SwaggerParser.validate(structuredClone(doc));
    expect(doc.openapi).toMatch(/^3\./);
    const predict = doc.paths['/v1/predict'].post;
    expect(Object.keys(predict.requestBody.content)).toEqual(
      expect.arrayContaining([
        'image/png',
        'image/jpeg',
        'image/webp',
        'multipart/form-data',
        'application/json',
      ]),
    );
    expect(predict.requestBody.content['multipart/form-data'].schema.properties.image).toMatchObject({
      type: 'string',
      format: 'binary',
    });
    // the answer is described too (and fastify serialises it with the same schema)
    const answer = predict.responses['200'].content['application/json'].schema;
    expect(answer.required).toEqual(['model', 'predictions', 'timing']);
    expect(Object.keys(answer.properties.predictions.items.properties)).toEqual(
      expect.arrayContaining(['label', 'confidence', 'topK', 'answer', 'verdict', 'message', 'input']),
    );
    expect(answer.properties.predictions.items.properties.answer.nullable).toBe(true);
    const topK = predict.parameters.find((p: { name: string }) => p.name === 'top_k');
    expect(topK).toMatchObject({ in: 'query', schema: { type: 'integer', minimum: 1, maximum: 36 } });
    // The same bound the route enforces.
    const over = await fetch(`${url}/v1/predict?top_k=37`, {
      method: 'POST',
      headers: { 'content-type': 'image/png' },
      body: await photo('7'),
    });
    expect(((await over.json()) as { error: { code: string } }).error.code).toBe('BAD_TOP_K');
    const read = doc.paths['/v1/read'].post;
    expect(read.requestBody.content['application/json'].schema.properties.images.maxItems).toBe(4);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining(['/healthz', '/readyz', '/v1/model', '/metrics', '/v1/predict', '/v1/read']),
    );
    expect(Object.keys(doc.paths)).not.toContain('/openapi.json');
  });
});
