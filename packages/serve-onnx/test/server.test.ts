import { readFile } from 'node:fs/promises';
import { deflateSync } from 'node:zlib';
import pino from 'pino';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildApp,
  createRecognizer,
  type HcrApp,
  MicroBatcher,
  OverloadedError,
  type Recognizer,
} from '../src/index.js';
import { FIXTURE_MODEL, HANDWRITING_DIR } from './support/models.js';
import { PHOTOS } from './support/paths.js';
import { pngWithHeader } from './support/png-bomb.js';
import { photo } from './support/synth.js';

const logger = pino({ level: 'silent' });

/** The same recognizer with a slow model, to test timeouts and shutdown with requests in flight. */
/** The recognizer with `ms` added to every inference; `onInfer` hears when one starts. */
function slowed(rec: Recognizer, ms: number, onInfer: () => void = () => {}): Recognizer {
  return {
    ...rec,
    info: rec.info,
    tuning: rec.tuning,
    infer: async (images) => {
      onInfer();
      await new Promise((r) => setTimeout(r, ms));
      return rec.infer(images);
    },
    close: async () => {},
  };
}

describe('HTTP service', () => {
  let rec: Recognizer;
  let hcr: HcrApp;
  beforeAll(async () => {
    rec = await createRecognizer({ model: FIXTURE_MODEL, intraOpThreads: 1 });
    hcr = await buildApp({
      recognizer: rec,
      logger,
      limits: { bodyLimit: 512 * 1024, maxImagesPerRequest: 8 },
      batching: { maxBatch: 16, maxWaitMs: 5 },
    });
  });
  afterAll(() => hcr.shutdown());

  const post = (body: Buffer | string | object, contentType: string, query = '') =>
    hcr.app.inject({
      method: 'POST',
      url: `/v1/predict${query}`,
      headers: { 'content-type': contentType },
      payload: typeof body === 'object' && !Buffer.isBuffer(body) ? JSON.stringify(body) : body,
    });

  it('answers health, readiness, model metadata and the page', async () => {
    expect((await hcr.app.inject('/healthz')).json()).toEqual({ status: 'ok' });
    expect((await hcr.app.inject('/readyz')).json()).toMatchObject({ status: 'ready', model: rec.info.id });
    const model = (await hcr.app.inject('/v1/model')).json();
    expect(model.classNames).toHaveLength(36);
    expect(model.normalisation).toEqual({ mean: 0.5, std: 0.5 });
    expect(model.input.dims).toEqual([-1, 28, 28, 1]);
    const page = await hcr.app.inject('/');
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.body).toContain('<canvas id="pad"');
    const js = (await hcr.app.inject('/app.js')).body;
    // Works offline: nothing is loaded from another host.
    expect(`${page.body}${js}`).not.toMatch(/https?:\/\//);
  });

  it.skipIf(!PHOTOS)(
    'recognises an image body (PNG, JPEG, WebP) and reports label, top-k, model id and timing',
    async () => {
      const res = await post(await photo('7', { paper: 200, ink: 40, noise: 5 }), 'image/png', '?top_k=3');
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.model).toBe(rec.info.id);
      expect(body.predictions[0]).toMatchObject({ label: '7', classIndex: 7 });
      expect(body.predictions[0].topK).toHaveLength(3);
      expect(body.timing.totalMs).toBeGreaterThan(0);
      const jpeg = await post(await photo('A', { format: 'jpeg', paper: 190, gradient: 50 }), 'image/jpeg');
      expect(jpeg.json().predictions[0].label).toBe('A');
      const webp = await post(await photo('X', { format: 'webp' }), 'image/webp');
      expect(webp.json().predictions[0].label).toBe('X');
      const real = await post(await readFile(`${HANDWRITING_DIR}3-0.jpg`), 'image/jpeg');
      expect(real.json().predictions[0].label).toBe('3');
    },
  );

  it('recognises the page asked for of a TIFF of several (page=N in the query, a form field or JSON), and refuses to guess one', async () => {
    // Two characters scanned as a fax of two pages, each page the size of a character photo.
    const fax = await sharp([await photo('7'), await photo('A')], { join: { animated: true } })
      .tiff()
      .toBuffer();
    expect((await post(fax, 'image/tiff', '?page=1')).json().predictions[0].label).toBe('7');
    expect((await post(fax, 'image/tiff', '?page=2')).json().predictions[0].label).toBe('A');
    const json = await post({ images: [fax.toString('base64')], page: '2' }, 'application/json');
    expect(json.json().predictions[0].label).toBe('A');
    const several = await post(fax, 'image/tiff');
    expect(several.statusCode).toBe(400);
    expect(several.json().error).toMatchObject({
      code: 'SEVERAL_PAGES',
      hint: expect.stringMatching(/page=1 to 2/),
    });
    const form = new FormData();
    form.append('image', new Blob([fax], { type: 'image/tiff' }), 'fax.tif');
    form.append('page', '2');
    const multipart = await hcr.app.inject({ method: 'POST', url: '/v1/predict', payload: form });
    expect(multipart.json().predictions[0].label).toBe('A');
    // Every page, or the pages listed, in one request: one prediction per page, each naming its page.
    const pageOf = (p: { page: number; label: string }) => [p.page, p.label];
    expect((await post(fax, 'image/tiff', '?page=all')).json().predictions.map(pageOf)).toEqual([
      [1, '7'],
      [2, 'A'],
    ]);
    const listed = await post({ images: [fax.toString('base64')], page: '2,1' }, 'application/json');
    expect(listed.json().predictions.map(pageOf)).toEqual([
      [2, 'A'],
      [1, '7'],
    ]);
    for (const [body, type, query, message] of [
      [fax, 'image/tiff', '?page=3', /Page 3 is not in the TIFF, whose pages are 1 to 2/],
      [await photo('7'), 'image/png', '?page=2', /Page 2 is not in the image: a PNG has one page/],
      [fax, 'image/tiff', '?page=first', /page=first/],
    ] as const) {
      const res = await post(body, type, query);
      expect(res.statusCode).toBe(400);
      expect(res.json().error).toMatchObject({ code: 'BAD_PAGE', message: expect.stringMatching(message) });
    }
  });

  it('takes JSON pixels and base64 batches, and restricts classes', async () => {
    const { data } = await sharp(await photo('7', { size: 28, paper: 0, ink: 255, fill: 0.8 }))
      .greyscale()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const px = await post({ pixels: Array.from(data) }, 'application/json');
    expect(px.statusCode).toBe(200);
    expect(px.json().predictions).toHaveLength(1);
    // Pixels are one image of one page, as a PNG is: page 1 reads them, page 2 is not there.
    const page1 = await post({ pixels: Array.from(data), page: 1 }, 'application/json');
    expect(page1.json().predictions[0].label).toBe(px.json().predictions[0].label);
    const page2 = await post({ pixels: Array.from(data), page: 2 }, 'application/json');
    expect(page2.statusCode).toBe(400);
    expect(page2.json().error).toMatchObject({ code: 'BAD_PAGE', message: expect.stringMatching(/pixels/) });
    const every = await post({ pixels: Array.from(data), page: 'all' }, 'application/json');
    expect(every.json().predictions.map((p: { page: number }) => p.page)).toEqual([1]);
    const images = await Promise.all(['7', 'A', 'X'].map((c) => photo(c)));
    const batch = await post(
      { images: images.map((b) => b.toString('base64')) },
      'application/json',
      '?top_k=2',
    );
    expect(batch.json().predictions.map((p: { label: string }) => p.label)).toEqual(['7', 'A', 'X']);
    const digits = await post(await photo('A'), 'image/png', '?classes=digits&top_k=10');
    expect(digits.json().predictions[0].topK.every((r: { label: string }) => /[0-9]/.test(r.label))).toBe(
      true,
    );
    const list = await post(await photo('A'), 'image/png', '?classes=chars:4A');
    expect(['4', 'A']).toContain(list.json().predictions[0].label);
    const octet = await post(await photo('X', { format: 'jpeg' }), 'application/octet-stream');
    expect(octet.json().predictions[0].label).toBe('X');
    const jpg = await post(await photo('X', { format: 'jpeg' }), 'image/jpg');
    expect(jpg.json().predictions[0].label).toBe('X');
    const dbg = await post(await photo('A'), 'image/png', '?debug=1');
    expect(dbg.json().predictions[0].input).toHaveLength(784);
  });

  it('gives every bad input its status and a JSON error naming the problem, and stays up', async () => {
    const truncated = (await photo('7')).subarray(0, 300);
    const cases: [
      string,
      Promise<{
        statusCode: number;
        json: () => { error: { code: string; message: string; hint?: string } };
      }>,
      number,
      string,
    ][] = [
      ['body too large', post(Buffer.alloc(600 * 1024, 1), 'image/png'), 413, 'BODY_TOO_LARGE'],
      ['unsupported type', post('hello', 'text/plain'), 415, 'UNSUPPORTED_MEDIA_TYPE'],
      ['svg content type', post('<svg/>', 'image/svg+xml'), 415, 'UNSUPPORTED_MEDIA_TYPE'],
      ['truncated heic', post(Buffer.from('ftyp'), 'image/heic'), 400, 'IMAGE_UNDECODABLE'],
      ['truncated pdf', post(Buffer.from('%PDF-1.7\n'), 'application/pdf'), 400, 'IMAGE_UNDECODABLE'],
      ['truncated bmp', post(Buffer.from('BM:'), 'image/bmp'), 400, 'IMAGE_UNDECODABLE'],
      ['truncated gif', post(Buffer.from('GIF89a'), 'image/gif'), 400, 'IMAGE_UNDECODABLE'],
      ['undecodable image', post(Buffer.from('definitely not a png'), 'image/png'), 400, 'IMAGE_UNDECODABLE'],
      ['truncated image', post(truncated, 'image/png'), 400, 'IMAGE_UNDECODABLE'],
      [
        'decompression bomb',
        post(pngWithHeader(30000, 30000, deflateSync(Buffer.alloc(1 << 16))), 'image/png'),
        400,
        'IMAGE_TOO_LARGE',
      ],
      ['wrong pixel count', post({ pixels: [1, 2, 3] }, 'application/json'), 400, 'BAD_PIXELS'],
      [
        'NaN pixel',
        post(`{"pixels": [${Array(784).fill('null').join(',')}]}`, 'application/json'),
        400,
        'BAD_PIXELS',
      ],
      ['string pixel', post({ pixels: Array(784).fill('NaN') }, 'application/json'), 400, 'BAD_PIXELS'],
      ['invalid JSON', post('{"pixels": [1,', 'application/json'), 400, 'BAD_JSON'],
      ['JSON without images', post({ hello: 1 }, 'application/json'), 400, 'BAD_JSON'],
      ['bad base64', post({ images: ['***'] }, 'application/json'), 400, 'BAD_IMAGES'],
      [
        'too many images',
        post({ images: Array(9).fill('AAAA') }, 'application/json'),
        400,
        'TOO_MANY_IMAGES',
      ],
      ['bad top_k', post(Buffer.alloc(10), 'image/png', '?top_k=0'), 400, 'BAD_TOP_K'],
      [
        'bad min_confidence',
        post(Buffer.alloc(10), 'image/png', '?min_confidence=2'),
        400,
        'BAD_MIN_CONFIDENCE',
      ],
      ['bad classes', post(Buffer.alloc(10), 'image/png', '?classes=digitz'), 400, 'CLASSES_INVALID'],
      // A misspelt option is refused, not read as no option at all.
      // A strip no character has the shape of (shrunk to the working size it would be a row of pixels).
      [
        'strip 50 times wider than high',
        post(
          await sharp({ create: { width: 2000, height: 40, channels: 3, background: '#e6e6e6' } })
            .png()
            .toBuffer(),
          'image/png',
        ),
        400,
        'IMAGE_TOO_ELONGATED',
      ],
      ['misspelt query option', post(Buffer.alloc(10), 'image/png', '?topk=3'), 400, 'BAD_OPTION'],
      ['misspelt JSON option', post({ images: ['AAAA'], topk: 3 }, 'application/json'), 400, 'BAD_JSON'],
      ['broken form', post('garbage', 'multipart/form-data; boundary=XX'), 400, 'BAD_FORM'],
      ['form without boundary', post('garbage', 'multipart/form-data'), 400, 'BAD_FORM'],
      [
        'octet-stream that is no image',
        post(Buffer.from('%PDF-1.4'), 'application/octet-stream'),
        400,
        'IMAGE_UNDECODABLE',
      ],
    ];
    for (const [name, pending, status, code] of cases) {
      const res = await pending;
      expect(res.statusCode, name).toBe(status);
      expect(res.json().error.code, name).toBe(code);
      expect(res.json().error.message.length, name).toBeGreaterThan(10);
      // The fix in an HTTP client's terms, not the libraries' (prepareTextLines, `page` in the limits).
      if (code === 'IMAGE_TOO_ELONGATED')
        expect(res.json().error.hint, name).toMatch(/goes to POST \/v1\/read\.$/);
      if (code === 'IMAGE_UNDECODABLE')
        expect(res.json().error.hint, name).toMatch(/\(content-type image\/png, /);
    }
    const misspelt = (await post(Buffer.alloc(10), 'image/png', '?claases=digits')).json().error;
    expect(misspelt.message).toBe('Unknown query parameter claases (did you mean classes?).');
    expect(misspelt.hint).toMatch(/top_k, classes, min_confidence, page, debug/);
    const wrongField = new FormData();
    wrongField.append('file', new Blob([await photo('7')], { type: 'image/png' }), 'seven.png');
    const form = await hcr.app.inject({ method: 'POST', url: '/v1/predict', payload: wrongField });
    expect(form.statusCode).toBe(400);
    expect(form.json().error.hint).toMatch(/file field named image/);
    // Options beside JSON images, as /v1/read takes them.
    const json = await post(
      { images: [(await photo('7')).toString('base64')], top_k: 2, classes: 'digits' },
      'application/json',
    );
    expect(json.json().predictions[0].topK.map((k: { label: string }) => k.label)).toHaveLength(2);
    expect(json.json().predictions[0].topK.every((k: { label: string }) => /[0-9]/.test(k.label))).toBe(true);
    expect((await hcr.app.inject('/healthz')).statusCode).toBe(200);
    const metrics = (await hcr.app.inject('/metrics')).body;
    expect(metrics).toMatch(/hcr_http_requests_total\{route="\/v1\/predict",method="POST",status="413"\} 1/);
    expect(metrics).toMatch(/hcr_http_request_duration_seconds_bucket\{le="60",route="\/v1\/predict"\}/);
    expect(metrics).toMatch(/hcr_inference_batch_size_count \d+/);
    // errors counted by their code, as the answers name them
    expect(metrics).toMatch(/hcr_http_errors_total\{route="\/v1\/predict",code="BODY_TOO_LARGE"\} 1/);
    // a caller's request id comes back, to find the request's log line
    const tagged = await hcr.app.inject({
      method: 'GET',
      url: '/healthz',
      headers: { 'x-request-id': 'abc-123' },
    });
    expect(tagged.headers['x-request-id']).toBe('abc-123');
    expect((await hcr.app.inject('/healthz')).headers['x-request-id']).toMatch(/\S/);
  });

  it('/metrics holds the distribution of prediction confidences, not counting images with no character', async () => {
    const metric = (m: string, name: string) =>
      Number(new RegExp(`^hcr_predict_confidence_${name} (\\S+)$`, 'm').exec(m)?.[1]);
    const before = (await hcr.app.inject('/metrics')).body;
    const seven = (await post(await photo('7', { seed: 1 }), 'image/png')).json().predictions[0];
    const blank = (await post({ pixels: new Array(784).fill(0) }, 'application/json')).json().predictions[0];
    expect(blank.label).toBeNull();
    const after = (await hcr.app.inject('/metrics')).body;
    expect(metric(after, 'count') - metric(before, 'count')).toBe(1);
    expect(metric(after, 'sum') - metric(before, 'sum')).toBeCloseTo(seven.confidence, 9);
  });

  it('micro-batches concurrent requests into one onnxruntime run', async () => {
    const before = (await hcr.app.inject('/metrics')).body;
    const count = (m: string) => Number(/hcr_inference_batch_size_count (\d+)/.exec(m)?.[1] ?? 0);
    const images = await Promise.all(
      Array.from({ length: 12 }, (_, i) => photo(i % 2 ? '7' : 'A', { seed: i })),
    );
    const results = await Promise.all(images.map((b) => post(b, 'image/png')));
    expect(results.map((r) => r.json().predictions[0].label)).toEqual(
      images.map((_, i) => (i % 2 ? '7' : 'A')),
    );
    const runs = count((await hcr.app.inject('/metrics')).body) - count(before);
    expect(runs).toBeLessThan(12);
  });
});

describe('limits that need a slow model', () => {
  it('answers 503 TIMEOUT when a prediction takes too long, and 503 OVERLOADED when the queue is full', async () => {
    const rec = await createRecognizer({ model: FIXTURE_MODEL, intraOpThreads: 1 });
    const hcr = await buildApp({
      recognizer: slowed(rec, 300),
      logger,
      limits: { timeoutMs: 100 },
      batching: { maxBatch: 4, maxWaitMs: 1, maxQueue: 2 },
    });
    const img = await photo('7');
    const slow = await hcr.app.inject({
      method: 'POST',
      url: '/v1/predict',
      headers: { 'content-type': 'image/png' },
      payload: img,
    });
    expect(slow.statusCode).toBe(503);
    expect(slow.json().error.code).toBe('TIMEOUT');
    const many = await hcr.app.inject({
      method: 'POST',
      url: '/v1/predict',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ images: [img, img, img].map((b) => b.toString('base64')) }),
    });
    expect(many.statusCode).toBe(503);
    expect(many.json().error.code).toBe('OVERLOADED');
    await hcr.shutdown();
    await rec.close();
  });

  it('shuts down gracefully: in-flight requests finish, new ones are refused', async () => {
    const rec = await createRecognizer({ model: FIXTURE_MODEL, intraOpThreads: 1 });
    let inferring = () => {};
    const started = new Promise<void>((r) => {
      inferring = r;
    });
    const hcr = await buildApp({ recognizer: slowed(rec, 400, () => inferring()), logger });
    await hcr.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = hcr.app.server.address() as { port: number };
    const url = `http://127.0.0.1:${port}/v1/predict`;
    const img = await photo('7');
    const inFlight = fetch(url, { method: 'POST', headers: { 'content-type': 'image/png' }, body: img });
    // shut down once the request is inside the server (a fixed wait raced it on a loaded machine: 503)
    await started;
    // A drain well past the slow inference: under load the late requests below must still be answered
    // before the server closes its keep-alive connections (with 300 ms they raced it: ECONNRESET at load 9).
    const closing = hcr.shutdown(1500);
    await new Promise((r) => setTimeout(r, 50));
    expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(503);
    const late = await fetch(url, { method: 'POST', headers: { 'content-type': 'image/png' }, body: img });
    expect(late.status).toBe(503);
    expect(((await late.json()) as { error: { code: string } }).error.code).toBe('SHUTTING_DOWN');
    // the same route spelt otherwise (`%76` is `v`) is refused the same way
    const spelt = await fetch(url.replace('/v1/', '/%761/'), {
      method: 'POST',
      headers: { 'content-type': 'image/png' },
      body: img,
    });
    expect(spelt.status).toBe(503);
    const res = await inFlight;
    expect(res.status).toBe(200);
    expect(((await res.json()) as { predictions: { label: string }[] }).predictions[0].label).toBe('7');
    await closing;
    await rec.close();
  });
});

describe('MicroBatcher', () => {
  it('refuses images that cannot fit in the queue before their preparation ends', async () => {
    let runs = 0;
    const b = new MicroBatcher<number, number>(
      async (xs) => {
        runs++;
        return xs;
      },
      { maxBatch: 4, maxWaitMs: 0, maxQueue: 2 },
    );
    // a preparation that never ends, then one that fails later: neither is waited for nor left unhandled
    await expect(b.submitWhenReady(3, new Promise<number[]>(() => {}))).rejects.toThrow(OverloadedError);
    let fail = (_: Error) => {};
    const failing = new Promise<number[]>((_, reject) => {
      fail = reject;
    });
    await expect(b.submitWhenReady(3, failing)).rejects.toThrow(OverloadedError);
    fail(new Error('bad image'));
    // what fits is still served
    await expect(b.submitWhenReady(2, Promise.resolve([1, 2]))).resolves.toEqual([1, 2]);
    expect(runs).toBe(1);
  });

  it('groups concurrent submissions, keeps order, and propagates failures to the whole run', async () => {
    const runs: number[][] = [];
    const b = new MicroBatcher<number, number>(
      async (xs) => {
        runs.push(xs);
        await new Promise((r) => setTimeout(r, 5));
        return xs.map((x) => x * 10);
      },
      { maxBatch: 4, maxWaitMs: 10, maxQueue: 100 },
    );
    const out = await Promise.all([b.submit([1]), b.submit([2, 3]), b.submit([4, 5, 6]), b.submit([7])]);
    expect(out).toEqual([[10], [20, 30], [40, 50, 60], [70]]);
    expect(runs.flat()).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(runs.every((r) => r.length <= 4)).toBe(true);
    expect(runs.length).toBeLessThanOrEqual(3);
    const failing = new MicroBatcher<number, number>(
      async () => {
        throw new Error('boom');
      },
      { maxBatch: 4, maxWaitMs: 0, maxQueue: 100 },
    );
    await expect(failing.submit([1, 2])).rejects.toThrow('boom');
  });

  it('waits for announced items still being prepared, but runs a lone one at once', async () => {
    const runs: number[][] = [];
    const b = new MicroBatcher<number, number>(
      async (xs) => {
        runs.push(xs);
        return xs.map((x) => x + 1);
      },
      { maxBatch: 8, maxWaitMs: 0, maxQueue: 100, maxGatherMs: 1_000 },
    );
    const later = (xs: number[], ms: number) => new Promise<number[]>((r) => setTimeout(() => r(xs), ms));
    // Three requests whose images are ready at different moments share one run (no 1 s wait: the run
    // starts when the last announced image arrives).
    const t0 = performance.now();
    const out = await Promise.all([
      b.submitWhenReady(1, later([1], 1)),
      b.submitWhenReady(2, later([2, 3], 20)),
      b.submitWhenReady(1, later([4], 40)),
    ]);
    expect(out).toEqual([[2], [3, 4], [5]]);
    expect(runs).toEqual([[1, 2, 3, 4]]);
    expect(performance.now() - t0).toBeLessThan(500);
    // Alone, nothing is announced besides it: it runs without waiting.
    const t1 = performance.now();
    await b.submitWhenReady(1, later([9], 0));
    expect(performance.now() - t1).toBeLessThan(500);
    expect(runs.at(-1)).toEqual([9]);
    // A preparation that fails is no longer waited for.
    const failed = b.submitWhenReady(1, Promise.reject(new Error('undecodable')));
    const ok = b.submitWhenReady(1, later([5], 5));
    await expect(failed).rejects.toThrow('undecodable');
    expect(await ok).toEqual([6]);
  });
});
