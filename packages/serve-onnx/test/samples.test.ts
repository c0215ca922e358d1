import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildApp,
  createLineReader,
  createRecognizer,
  type HcrApp,
  type LineReader,
  type Recognizer,
  SampleStore,
  startServer,
} from '../src/index.js';
import { lineScan, uniform } from './support/line-synth.js';
import { capturedLog } from './support/log-lines.js';
import { FIXTURE_MODEL } from './support/models.js';
import { RANDOM_READER } from './support/paths.js';

const logger = pino({ level: 'silent' });

describe('POST /v1/samples (hcr serve --collect)', () => {
  let dir: string;
  let recognizer: Recognizer;
  let reader: LineReader;
  let hcr: HcrApp;
  let bare: HcrApp;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hcr-samples-'));
    recognizer = await createRecognizer({ model: FIXTURE_MODEL, intraOpThreads: 1 });
    reader = await createLineReader({ model: RANDOM_READER, intraOpThreads: 1 });
    const samples = new SampleStore(join(dir, 'fields'), reader.info.alphabet, (b) => reader.prepare(b));
    hcr = await buildApp({ recognizer, reader, samples, logger });
    bare = await buildApp({ recognizer, reader, logger });
  });
  afterAll(async () => {
    await hcr.shutdown();
    await bare.app.close();
    await rm(dir, { recursive: true, force: true });
  });

  const post = (app: HcrApp, body: Buffer | object, query = '') =>
    app.app.inject({
      method: 'POST',
      url: `/v1/samples${query}`,
      headers: { 'content-type': Buffer.isBuffer(body) ? 'image/png' : 'application/json' },
      payload: Buffer.isBuffer(body) ? body : JSON.stringify(body),
    });

  it('keeps each example as an image and a labels.tsv row that hcr finetune reads; the same image again replaces its text', async () => {
    const tax = await lineScan('TAX');
    const first = await post(hcr, tax, '?text=TAK');
    expect(first.statusCode, first.body).toBe(201);
    const added = first.json();
    expect(added).toMatchObject({ text: 'TAK', replaced: false, examples: 1 });
    expect(added.file).toMatch(/^images\/[0-9a-f]{16}\.png$/);
    expect(await readFile(join(dir, 'fields', added.file))).toEqual(tax);
    // corrected: the latest text wins, one row per image
    const again = await post(hcr, { image: tax.toString('base64'), text: ' TAX ' });
    expect(again.json()).toMatchObject({ file: added.file, text: 'TAX', replaced: true, examples: 1 });
    // several at once: every row lands
    const texts = ['ALT', '7104', 'LAX', 'TALL', '40', 'XL', 'LÉA'];
    const answers = await Promise.all(
      texts.map(async (t, i) =>
        post(hcr, await lineScan(t.replace('É', 'A'), { seed: i + 2 }), `?text=${encodeURIComponent(t)}`),
      ),
    );
    for (const a of answers) expect(a.statusCode, a.body).toBe(201);
    const labels = await readFile(join(dir, 'fields', 'labels.tsv'), 'utf8');
    const rows = labels.trim().split('\n');
    expect(rows).toHaveLength(1 + texts.length);
    expect(rows[0]).toBe(`${added.file}\tTAX`);
    expect(rows.map((r) => r.split('\t')[1]).sort()).toEqual(['TAX', ...texts].sort());
    expect((await readdir(join(dir, 'fields', 'images'))).length).toBe(1 + texts.length);
    // no temp files left beside them
    expect((await readdir(join(dir, 'fields'))).sort()).toEqual(['images', 'labels.tsv']);
  });

  it("logs the example kept beside the client that sent it, so a client's examples can be found", async () => {
    const DESK = 'd35kd35kd35kd35kd35kd35k';
    const { logger: logged, lines: log } = capturedLog();
    const guarded = await buildApp({
      recognizer,
      reader,
      samples: new SampleStore(join(dir, 'by-client'), reader.info.alphabet),
      logger: logged,
      apiToken: [{ name: 'desk', token: DESK }],
    });
    try {
      const res = await guarded.app.inject({
        method: 'POST',
        url: '/v1/samples?text=TAX',
        headers: { 'content-type': 'image/png', authorization: `Bearer ${DESK}` },
        payload: await lineScan('TAX'),
      });
      expect(res.statusCode, res.body).toBe(201);
      expect(log.find((l) => l.route === '/v1/samples')).toMatchObject({
        status: 201,
        client: 'desk',
        sample: res.json().file,
      });
    } finally {
      await guarded.app.close();
    }
  });

  it('refuses what the reader could not learn from, with the fix, and keeps nothing of it', async () => {
    const before = await readFile(join(dir, 'fields', 'labels.tsv'), 'utf8');
    const tax = await lineScan('TAX', { seed: 99 });
    const cases = [
      [await post(hcr, tax, '?text=A%26X'), 'SAMPLE_TEXT_OUTSIDE_ALPHABET', "'&'"],
      [await post(hcr, tax, '?text=%20%20'), 'SAMPLE_TEXT_EMPTY', 'no text'],
      [await post(hcr, tax), 'SAMPLE_TEXT_EMPTY', 'no "text"'],
      [await post(hcr, await uniform(300, 60), '?text=TAX'), 'NO_INK', ''],
      [
        await post(hcr, Buffer.from('not an image at all'), '?text=TAX'),
        'SAMPLE_IMAGE_INVALID',
        'not an image',
      ],
      [await post(hcr, { text: 'TAX' }), 'BAD_IMAGES', 'no "image"'],
    ] as const;
    for (const [res, code, words] of cases) {
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json().error.code).toBe(code);
      expect(res.json().error.message).toContain(words);
      expect(res.json().error.hint).toBeTruthy();
    }
    expect(await readFile(join(dir, 'fields', 'labels.tsv'), 'utf8')).toBe(before);
    // a server that does not collect says how to make it
    const off = await post(bare, tax, '?text=TAX');
    expect(off.statusCode).toBe(404);
    expect(off.json().error).toMatchObject({ code: 'NOT_COLLECTING' });
    expect(off.json().error.hint).toContain('--collect');
    // /v1/model says which, so the page offers to save only when it can
    expect((await hcr.app.inject('/v1/model')).json().collecting).toBe(true);
    expect((await bare.app.inject('/v1/model')).json().collecting).toBe(false);
  });

  it('keeps at most maxExamples: a new image past it is 507 COLLECT_FULL and nothing is written; a correction still lands', async () => {
    const folder = join(dir, 'capped');
    const capped = new SampleStore(folder, reader.info.alphabet, (b) => reader.prepare(b), 2);
    const app = await buildApp({ recognizer, reader, samples: capped, logger });
    try {
      const tax = await lineScan('TAX', { seed: 1 });
      expect((await post(app, tax, '?text=TAX')).statusCode).toBe(201);
      expect((await post(app, await lineScan('ALT', { seed: 2 }), '?text=ALT')).statusCode).toBe(201);
      const before = await readFile(join(folder, 'labels.tsv'), 'utf8');
      const full = await post(app, await lineScan('LAX', { seed: 3 }), '?text=LAX');
      expect(full.statusCode, full.body).toBe(507);
      expect(full.json().error).toMatchObject({ code: 'COLLECT_FULL' });
      expect(full.json().error.message).toContain('holds 2 examples');
      expect(full.json().error.hint).toContain(`hcr finetune ${folder}`);
      expect(await readFile(join(folder, 'labels.tsv'), 'utf8')).toBe(before);
      expect(await readdir(join(folder, 'images'))).toHaveLength(2);
      // a kept image's text corrected is no new example
      const fixed = await post(app, tax, '?text=TAK');
      expect(fixed.statusCode, fixed.body).toBe(201);
      expect(fixed.json()).toMatchObject({ replaced: true, examples: 2 });
    } finally {
      await app.app.close();
    }
    expect(() => new SampleStore(folder, reader.info.alphabet, undefined, 0)).toThrow(/maxExamples/);
  });

  it('refuses to collect without a reader, or into a labels.tsv it could not add to, before listening', async () => {
    await expect(
      startServer({ model: FIXTURE_MODEL, collect: join(dir, 'x'), port: 0, logger }),
    ).rejects.toMatchObject({ code: 'COLLECT_NEEDS_READER' });
    // a folder that cannot be made: under a file
    await writeFile(join(dir, 'a-file'), 'x');
    await expect(
      startServer({
        model: FIXTURE_MODEL,
        reader: RANDOM_READER,
        collect: join(dir, 'a-file', 'fields'),
        port: 0,
        logger,
      }),
    ).rejects.toMatchObject({ code: 'COLLECT_NOT_WRITABLE' });
    const broken = join(dir, 'broken');
    await startServer({ model: FIXTURE_MODEL, reader: RANDOM_READER, collect: broken, port: 0, logger }).then(
      (s) => s.shutdown(),
    );
    await writeFile(join(broken, 'labels.tsv'), 'images/a.png TAX\n');
    await expect(
      startServer({ model: FIXTURE_MODEL, reader: RANDOM_READER, collect: broken, port: 0, logger }),
    ).rejects.toMatchObject({ code: 'SAMPLE_FOLDER_INVALID' });
  });
});
