import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { HcrError, knownLineAlphabet, LINE_ALPHABET_36 } from '@hcr/core';
import { createCharLanguageModel, DEFAULT_LM_WEIGHT, decodeCtcEnsemble } from '@hcr/decode';
import { packReaderEnsemble, restampMetadata } from '@hcr/export-onnx';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLineReader, inspectReader, type LineReader, type PreparedLine } from '../src/index.js';
import { lineScan, pageScan, uniform } from './support/line-synth.js';
import { FIXTURE_MODEL, HANDWRITING_DIR, handwritingFiles } from './support/models.js';
import { PHOTOS, RANDOM_READER, RANDOM_READER_62, RANDOM_READER_SEED4 } from './support/paths.js';
import { pngWithHeader } from './support/png-bomb.js';

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(HcrError);
    expect((e as HcrError).hint).toBeTruthy();
    return (e as HcrError).code;
  }
  throw new Error('expected an HcrError');
}

describe('createLineReader (random-weight reader)', () => {
  let reader: LineReader;
  beforeAll(async () => {
    reader = await createLineReader({
      model: RANDOM_READER,
      intraOpThreads: 1,
      lexicons: { codes: ['TAX', 'LATTE', 'TAL'], empty_ok: ['7 ', '0A'] },
    });
  });
  afterAll(() => reader?.close());

  it('reads alphabet, geometry and signature from the ONNX metadata', async () => {
    expect(reader.info.id).toBe('reader-random-seed3');
    expect(reader.info.alphabet).toBe(LINE_ALPHABET_36);
    expect(reader.info.reader).toMatchObject({ height: 32, stride: 4, minWidth: 16 });
    expect(reader.info.input.dims).toEqual([-1, 32, -1, 1]);
    expect(reader.info.output.dims).toEqual([-1, 1, -1, 43]);
    expect(reader.lexiconNames).toEqual(['codes', 'empty_ok']);
  });

  it('refuses a character model with an error saying where it belongs', async () => {
    const e = (() => {
      try {
        return inspectReader(new Uint8Array(0));
      } catch (err) {
        return err as HcrError;
      }
    })() as HcrError;
    expect(e.code).toBe('MODEL_INVALID');
    await expect(code(createLineReader({ model: FIXTURE_MODEL }))).resolves.toBe('MODEL_NOT_A_READER');
    await expect(code(createLineReader({ model: '/nonexistent/reader.onnx' }))).resolves.toBe(
      'READER_MISSING',
    );
  });

  it('prepares a scanned line to 32 rows, ink bright, and returns per-line frames of probabilities', async () => {
    const line = await reader.prepare(await lineScan('7140', { noise: 4 }));
    expect(line.height).toBe(32);
    expect(line.pixels.length).toBe(line.width * 32);
    expect(Math.max(...line.pixels)).toBeGreaterThan(200); // ink bright
    expect(line.pixels[0]).toBeLessThan(30); // background dark
    const [probs] = await reader.infer([line]);
    const frames = Math.floor(line.width / 4);
    expect(probs!.length).toBe(frames * 43);
    for (let t = 0; t < frames; t++) {
      let sum = 0;
      for (let k = 0; k < 43; k++) sum += probs![t * 43 + k]!;
      expect(sum).toBeCloseTo(1, 4);
    }
  });

  it('reads a line the same alone and batched with wider lines (guard band)', async () => {
    const narrow = await reader.prepare(await lineScan('TAX'));
    const wide = await reader.prepare(await lineScan('7140 TAX 7140'));
    const [alone] = await reader.infer([narrow]);
    const [, batched] = await reader.infer([wide, narrow, wide]);
    expect(batched!.length).toBe(alone!.length);
    let maxDiff = 0;
    for (let i = 0; i < alone!.length; i++) maxDiff = Math.max(maxDiff, Math.abs(alone![i]! - batched![i]!));
    expect(maxDiff).toBeLessThan(1e-4);
  });

  it('answers text, confidence, characters and alternatives for PNG, JPEG and WebP', async () => {
    for (const format of ['png', 'jpeg', 'webp'] as const) {
      const r = await reader.read(await lineScan('TAX', { format }), { topK: 3, beam: 4 });
      expect(typeof r.text).toBe('string');
      expect(r.confidence).toBeGreaterThanOrEqual(0);
      expect(r.confidence).toBeLessThanOrEqual(1);
      expect(r.characters.map((c) => c.char).join('')).toBe(r.text);
      expect(r.alternatives[0]?.text).toBe(r.text);
      expect(r.alternatives.length).toBeLessThanOrEqual(3);
      for (const c of r.characters) expect(c.confidence).toBeGreaterThan(0);
    }
    const batch = await reader.read([await lineScan('7140'), await lineScan('TAX')], { beam: 1 });
    expect(batch).toHaveLength(2);
  });

  it('follows the character class, the pattern and the lexicon', async () => {
    const img = await lineScan('7140 TAX');
    const digits = await reader.read(img, { classes: 'digits' });
    expect(digits.text).toMatch(/^[0-9]*$/);
    const letters = await reader.read(img, { classes: 'letters', beam: 1 });
    expect(letters.text).toMatch(/^[A-Z]*$/);
    // `all` in any spelling restricts nothing, as for the character model (it was CLASSES_INVALID)
    const all = await reader.read(img, { topK: 3 });
    for (const spelling of ['all', 'ALL', ' All ', ''])
      expect(await reader.read(img, { classes: spelling, topK: 3 })).toMatchObject({
        text: all.text,
        alternatives: all.alternatives,
      });
    const pattern = await reader.read(img, { pattern: '[0-9]{3}[A-Z]' });
    expect(pattern.text).toMatch(/^[0-9]{3}[A-Z]$/);
    for (const alt of pattern.alternatives) expect(alt.text).toMatch(/^[0-9]{3}[A-Z]$/);
    const lex = await reader.read(img, { lexicon: 'codes', topK: 5 });
    for (const alt of lex.alternatives) expect(alt.text).toMatch(/^(TAX|LATTE|TAL)([ -](TAX|LATTE|TAL))*$/);
  });

  it('ranks the beam with a word list as soft context (lm): same texts, best image + 0.5 x trigram score first', async () => {
    const img = await lineScan('TAL');
    const plain = await reader.read(img, { topK: 8, beam: 8 });
    const ranked = await reader.read(img, { lm: 'codes', topK: 8, beam: 8 });
    expect(ranked.alternatives.map((a) => a.text).sort()).toEqual(
      plain.alternatives.map((a) => a.text).sort(),
    );
    const lm = createCharLanguageModel(['TAX', 'LATTE', 'TAL'], reader.info.alphabet);
    const labels = (t: string) => [...t].map((ch) => reader.info.alphabet.symbols.indexOf(ch));
    const score = (a: { text: string; confidence: number }) =>
      Math.log(a.confidence) + DEFAULT_LM_WEIGHT * lm.logProb(labels(a.text));
    const scores = ranked.alternatives.map(score);
    for (let i = 1; i < scores.length; i++) expect(scores[i]!).toBeLessThanOrEqual(scores[i - 1]! + 1e-9);
    expect(ranked.text).toBe(ranked.alternatives[0]!.text);
  });

  it('refuses bad options before any work, each naming the fix', async () => {
    const img = await lineScan('TAX');
    await expect(code(reader.read(img, { pattern: '[0-9' }))).resolves.toBe('PATTERN_INVALID');
    await expect(code(reader.read(img, { pattern: 'x{3' }))).resolves.toBe('PATTERN_INVALID');
    await expect(code(reader.read(img, { classes: 'vowels' }))).resolves.toBe('CLASSES_INVALID');
    await expect(code(reader.read(img, { lexicon: 'surnames' }))).resolves.toBe('UNKNOWN_LEXICON');
    await expect(code(reader.read(img, { lm: 'surnames' }))).resolves.toBe('UNKNOWN_LEXICON');
    await expect(code(reader.read(img, { topK: 0 }))).resolves.toBe('BAD_TOP_K');
    await expect(code(reader.read(img, { topK: 21 }))).resolves.toBe('BAD_TOP_K');
    await expect(code(reader.read(img, { beam: 0 }))).resolves.toBe('BAD_BEAM');
    await expect(code(reader.read(img, { beam: 65 }))).resolves.toBe('BAD_BEAM');
    await expect(code(reader.read(img, { beam: 2.5 }))).resolves.toBe('BAD_BEAM');
    await expect(code(reader.read(img, { minConfidence: 1.5 }))).resolves.toBe('BAD_MIN_CONFIDENCE');
    await expect(code(reader.readLines(img, { minConfidence: Number.NaN }))).resolves.toBe(
      'BAD_MIN_CONFIDENCE',
    );
  });

  it('with minConfidence, accepts a reading that reaches it and holds back one that does not', async () => {
    const img = await lineScan('7140');
    const plain = await reader.read(img);
    expect(plain.verdict).toBeUndefined();
    const [accepted, refused] = await Promise.all([
      reader.read(img, { minConfidence: plain.confidence }),
      reader.read(img, { minConfidence: Math.min(1, plain.confidence * 1.01 + 1e-6) }),
    ]);
    expect(accepted).toMatchObject({ text: plain.text, answer: plain.text, verdict: 'accepted' });
    expect(refused).toMatchObject({ text: plain.text, answer: null, verdict: 'not-confident' });
    expect(refused.message).toMatch(/No confident answer: the best reading .* has a probability of/);
    // A page: its lines each judged, the whole by the probability that every line is right.
    const { png } = await pageScan(['7140', 'TAX'], { noise: 3 });
    const page = await reader.readLines(png, { minConfidence: 0 });
    expect(page).toMatchObject({ verdict: 'accepted', answer: page.text });
    const strict = await reader.readLines(png, { minConfidence: 1 });
    expect(strict).toMatchObject({ verdict: 'not-confident', answer: null });
    expect(strict.lines.every((l) => l.verdict === 'not-confident' && l.answer === null)).toBe(true);
  });

  it('refuses images with no line to read', async () => {
    await expect(code(reader.read(await uniform(300, 60)))).resolves.toBe('NO_INK');
    await expect(code(reader.read(await uniform(300, 60, 0)))).resolves.toBe('NO_INK');
    await expect(code(reader.read(await uniform(1, 1)))).resolves.toBe('IMAGE_TOO_SMALL');
    await expect(code(reader.read(await uniform(20000, 40)))).resolves.toBe('LINE_TOO_WIDE');
    await expect(code(reader.read(Buffer.from('definitely not an image')))).resolves.toBe(
      'IMAGE_UNDECODABLE',
    );
    const bomb = pngWithHeader(30000, 30000, deflateSync(Buffer.alloc(1 << 16)));
    await expect(code(reader.read(bomb))).resolves.toBe('IMAGE_TOO_LARGE');
  });

  it('prepares lines in worker threads identically, and their errors keep code and hint', async () => {
    const pooled = await createLineReader({ model: RANDOM_READER, intraOpThreads: 1, prepareWorkers: 2 });
    try {
      expect(pooled.prepareWorkers).toBe(2);
      const pngs = await Promise.all(['7140', 'TAX', 'LATT 41'].map((t) => lineScan(t, { noise: 3 })));
      const [a, b] = await Promise.all([
        Promise.all(pngs.map((p) => pooled.prepare(p))),
        Promise.all(pngs.map((p) => reader.prepare(p))),
      ]);
      for (let i = 0; i < pngs.length; i++) {
        expect(a[i]!.width).toBe(b[i]!.width);
        expect(Buffer.from(a[i]!.pixels).equals(Buffer.from(b[i]!.pixels))).toBe(true);
      }
      const e = await pooled.read(await uniform(300, 60)).catch((err) => err);
      expect(e).toBeInstanceOf(HcrError);
      expect(e).toMatchObject({ code: 'NO_INK', hint: expect.stringMatching(/dark on light/) });
      expect((await pooled.read(pngs[1]!)).text).toBe((await reader.read(pngs[1]!)).text);
    } finally {
      await pooled.close();
    }
  });

  it('reads every line of a page top to bottom, each as it reads alone (readLines)', async () => {
    const texts = ['7140', 'TAX', 'LATT 41'];
    const { png, rows } = await pageScan(texts, { noise: 3 });
    const page = await reader.readLines(png, { topK: 2, classes: 'alnum' });
    expect(page.lines).toHaveLength(3);
    const prepared = await reader.prepareLines(png);
    for (const [i, line] of page.lines.entries()) {
      // Its box holds its own line's middle row and no other's.
      const mid = (r: [number, number]) => (r[0] + r[1]) / 2;
      rows.forEach((r, j) => {
        const inside = mid(r) >= line.box.y && mid(r) < line.box.y + line.box.height;
        expect(inside).toBe(i === j);
      });
      const alone = await reader.read(prepared[i]!, { topK: 2, classes: 'alnum' });
      expect(line.text).toBe(alone.text);
      expect(line.confidence).toBe(alone.confidence);
      expect(line.alternatives).toEqual(alone.alternatives);
    }
    expect(page.text).toBe(page.lines.map((l) => l.text).join('\n'));
    expect(page.confidence).toBeCloseTo(
      page.lines.reduce((p, l) => p * l.confidence, 1),
      12,
    );
    // One line reads as read() reads it; a page prepared in worker threads is the same.
    const one = await lineScan('LATT');
    expect((await reader.readLines(one)).text).toBe((await reader.read(one)).text);
    const pooled = await createLineReader({ model: RANDOM_READER, intraOpThreads: 1, prepareWorkers: 1 });
    try {
      const again = await pooled.prepareLines(png);
      expect(again.map((l) => l.box)).toEqual(prepared.map((l) => l.box));
      again.forEach((l, i) => {
        expect(Buffer.from(l.pixels).equals(Buffer.from(prepared[i]!.pixels))).toBe(true);
      });
      await expect(code(pooled.readLines(await uniform(300, 200)))).resolves.toBe('NO_INK');
    } finally {
      await pooled.close();
    }
  });

  it('refuses empty lexicons when it is made, with its own thread too (where the lists are compiled)', async () => {
    for (const names of [
      [' ', ''],
      ['@@', '#!'],
    ]) {
      // every entry blank is seen on the calling thread; none in the alphabet where the list is compiled
      const [here, there] = await Promise.all(
        [false, true].map((inferenceThread) =>
          createLineReader({ model: RANDOM_READER, lexicons: { names }, inferenceThread }).catch((e) => e),
        ),
      );
      expect(here).toMatchObject({
        code: 'LEXICON_EMPTY',
        problem: expect.stringMatching(/lexicon 'names'/),
      });
      expect(there).toBeInstanceOf(HcrError);
      expect([there.code, there.problem, there.hint]).toEqual([here.code, here.problem, here.hint]);
    }
  });

  it.skipIf(!PHOTOS)(
    'reads a line of real handwriting from the EMNIST-made fixtures without error',
    async () => {
      // Two real handwritten characters side by side: proves decoding + preprocessing of real pixels.
      const files = handwritingFiles().slice(0, 2);
      const parts = await Promise.all(
        files.map((f) => sharp(`${HANDWRITING_DIR}${f}`).resize(64, 64).greyscale().raw().toBuffer()),
      );
      const joined = Buffer.alloc(128 * 64);
      for (let y = 0; y < 64; y++)
        parts.forEach((p, i) => {
          p.copy(joined, y * 128 + i * 64, y * 64, y * 64 + 64);
        });
      const png = await sharp(joined, { raw: { width: 128, height: 64, channels: 1 } })
        .png()
        .toBuffer();
      const line: PreparedLine = await reader.prepare(png);
      expect(line.height).toBe(32);
      expect(typeof (await reader.read(line)).text).toBe('string');
      await readFile(`${HANDWRITING_DIR}${files[0]}`); // the fixture exists
    },
  );
});

describe('createLineReader (a case-sensitive reader: hcr62-line)', () => {
  let reader: LineReader;
  beforeAll(async () => {
    reader = await createLineReader({ model: RANDOM_READER_62, intraOpThreads: 1 });
  });
  afterAll(() => reader?.close());

  it("takes @hcr/core's hcr62 line alphabet from the file and reads each case on request", async () => {
    expect(reader.info.alphabet).toBe(knownLineAlphabet('hcr62-line'));
    expect(reader.info.alphabet.caseMerged).toBe(false);
    expect(reader.info.output.dims).toEqual([-1, 1, -1, 69]);
    const img = await lineScan('TAX 7140'); // random weights: any scan will do
    const lower = await reader.read(img, { classes: 'lowercase', topK: 3 });
    expect(lower.text).toMatch(/^[a-z]*$/);
    for (const alt of lower.alternatives) expect(alt.text).toMatch(/^[a-z]*$/);
    expect((await reader.read(img, { classes: 'uppercase' })).text).toMatch(/^[A-Z]*$/);
    expect((await reader.read(img, { pattern: '[A-Z][a-z]{2} [0-9]{4}' })).text).toMatch(
      /^[A-Z][a-z]{2} [0-9]{4}$/,
    );
  });
});

describe('createLineReader (an ensemble of two readers)', () => {
  let a: LineReader;
  let b: LineReader;
  let both: LineReader;
  beforeAll(async () => {
    a = await createLineReader({ model: RANDOM_READER, intraOpThreads: 1 });
    b = await createLineReader({ model: RANDOM_READER_SEED4, intraOpThreads: 1 });
    both = await createLineReader({ model: [RANDOM_READER, RANDOM_READER_SEED4], intraOpThreads: 1 });
  });
  afterAll(async () => {
    for (const r of [a, b, both]) await r?.close();
  });

  it('runs every member and reads by their likelihoods together (decodeCtcEnsemble)', async () => {
    expect(both.info.id).toBe('reader-random-seed3+reader-random-seed4');
    expect(both.members.map((m) => m.id)).toEqual(['reader-random-seed3', 'reader-random-seed4']);
    const lines = [
      await both.prepare(await lineScan('7140 TAX')),
      await both.prepare(await lineScan('TAL 70')),
    ];
    const stacked = await both.infer(lines);
    const [pa, pb] = [await a.infer(lines), await b.infer(lines)];
    for (const [i, p] of stacked.entries()) {
      const n = pa[i]!.length;
      expect(p.length).toBe(2 * n);
      expect(p.subarray(0, n)).toEqual(pa[i]);
      expect(p.subarray(n)).toEqual(pb[i]);
      const opts = { classes: 'alnum' as const, topK: 3 };
      const expected = decodeCtcEnsemble([pa[i]!, pb[i]!], n / 43, LINE_ALPHABET_36, { ...opts, beam: 8 });
      const got = await both.read(lines[i]!, opts);
      expect(got.text).toBe(expected.text);
      expect(got.confidence).toBeCloseTo(expected.confidence, 9);
      expect(got.alternatives.map((x) => x.text)).toEqual(expected.alternatives.map((x) => x.text));
    }
  });

  it('reads the same in a worker thread (inferenceThread), every member there, and names a member onnxruntime refuses', async () => {
    const threaded = await createLineReader({
      model: [RANDOM_READER, RANDOM_READER_SEED4],
      intraOpThreads: 1,
      inferenceThread: true,
    });
    try {
      expect([both.inferenceThread, threaded.inferenceThread]).toEqual([false, true]);
      const lines = [
        await both.prepare(await lineScan('7140 TAX')),
        await both.prepare(await lineScan('TAL 70')),
        await both.prepare(await lineScan('7 TAX 1740')),
      ];
      // the same bits, in one batch of lines of several widths and line by line
      expect(await threaded.infer(lines)).toEqual(await both.infer(lines));
      for (const line of lines) expect(await threaded.read(line)).toEqual(await both.read(line));
    } finally {
      await threaded.close();
    }
    await expect(threaded.infer([])).rejects.toMatchObject({ code: 'CLOSED' });
    // metadata fine, an operator onnxruntime has not got: the member is named, as on the calling thread
    const bytes = Buffer.from(
      (await readFile(RANDOM_READER_SEED4)).toString('latin1').replaceAll('Softmax', 'Xoftmax'),
      'latin1',
    );
    const dir = await mkdtemp(join(tmpdir(), 'hcr-reader-thread-'));
    const broken = join(dir, 'broken.onnx');
    await writeFile(broken, bytes);
    try {
      const errors = await Promise.all(
        [false, true].map((inferenceThread) =>
          createLineReader({ model: [RANDOM_READER, broken], intraOpThreads: 1, inferenceThread }).catch(
            (e) => e,
          ),
        ),
      );
      for (const e of errors)
        expect(e).toMatchObject({
          code: 'MODEL_INVALID',
          problem: expect.stringMatching(
            new RegExp(`^${broken}: onnxruntime cannot load the reader: .*Xoftmax`),
          ),
        });
      expect(errors[1].hint).toBe(errors[0].hint);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('decodes in the worker thread too (decodeAll): the readings of the calling thread under every kind of option', async () => {
    const lexicons = { codes: ['TAX', 'LATTE', '7140', 'TAL'] };
    const model = [RANDOM_READER, RANDOM_READER_SEED4];
    const here = await createLineReader({ model, intraOpThreads: 1, lexicons });
    const threaded = await createLineReader({ model, intraOpThreads: 1, lexicons, inferenceThread: true });
    try {
      const lines = await Promise.all(
        ['7140 TAX', 'TAL 70', '7 TAX 1740'].map(async (t) => here.prepare(await lineScan(t))),
      );
      const probs = await here.infer(lines);
      const options = [
        {},
        { classes: 'digits', topK: 3 },
        { pattern: '[A-Z]{3}( [0-9]+)?', beam: 4 },
        { lexicon: 'codes' },
        { lm: 'codes', minConfidence: 0.5 },
        { beam: 1, topK: 1 },
      ];
      for (const ro of options) {
        const inline = probs.map((p) => here.decode(p, here.compile(ro)));
        expect(await threaded.decodeAll(probs, ro), JSON.stringify(ro)).toEqual(inline);
        // decoding alone on the calling thread still works with a thread: its word lists compiled on first use
        expect(probs.map((p) => threaded.decode(p, threaded.compile(ro)))).toEqual(inline);
        expect(await here.decodeAll(probs, ro)).toEqual(inline);
        // read() decodes there as well: the same readings, verdicts included
        expect(await threaded.read(lines, ro)).toEqual(await here.read(lines, ro));
      }
      // the caller's outputs are copied to the thread, not moved: still whole after
      expect(probs.every((p) => p.length > 0)).toBe(true);
      // bad options fail on the calling thread, with their own code; check() refuses them alike
      await expect(code(threaded.decodeAll(probs, { lexicon: 'nope' }))).resolves.toBe('UNKNOWN_LEXICON');
      await expect(code(threaded.decodeAll(probs, { pattern: '[A-' }))).resolves.toBe('PATTERN_INVALID');
      for (const r of [here, threaded]) {
        expect(() => r.check({ lm: 'nope' })).toThrow(expect.objectContaining({ code: 'UNKNOWN_LEXICON' }));
        expect(() => r.check({ beam: 0 })).toThrow(expect.objectContaining({ code: 'BAD_BEAM' }));
        expect(r.check({ lexicon: 'codes', lm: 'codes' })).toBeUndefined();
      }
      await expect(threaded.decodeAll([], {})).resolves.toEqual([]);
    } finally {
      await here.close();
      await threaded.close();
    }
  });

  it('refuses readers that do not read alike, and an empty list', async () => {
    await expect(code(createLineReader({ model: [RANDOM_READER, RANDOM_READER_62] }))).resolves.toBe(
      'ENSEMBLE_INVALID',
    );
    await expect(createLineReader({ model: [RANDOM_READER, RANDOM_READER_62] })).rejects.toThrow(
      /differ in alphabet: hcr36-line vs hcr62-line/,
    );
    await expect(code(createLineReader({ model: [] }))).resolves.toBe('READER_MISSING');
  });
});

describe('a packed ensemble (packReaderEnsemble, `hcr export ensemble`)', () => {
  let files: LineReader;
  let packed: LineReader;
  let bytes: Uint8Array;
  beforeAll(async () => {
    const [a, b] = [await readFile(RANDOM_READER), await readFile(RANDOM_READER_SEED4)];
    bytes = packReaderEnsemble([
      { bytes: a, name: 'a.onnx' },
      { bytes: b, name: 'b.onnx' },
    ]).bytes;
    files = await createLineReader({ model: [RANDOM_READER, RANDOM_READER_SEED4], intraOpThreads: 1 });
    packed = await createLineReader({ model: bytes, intraOpThreads: 1 });
  });
  afterAll(async () => {
    for (const r of [files, packed]) await r?.close();
  });

  it("is one file and one session that reads exactly as the readers' own files", async () => {
    expect(packed.members).toHaveLength(1);
    expect(packed.info.readers.map((r) => r.id)).toEqual(['reader-random-seed3', 'reader-random-seed4']);
    expect(packed.info.id).toBe('reader-random-seed3+reader-random-seed4');
    const lines = [
      await packed.prepare(await lineScan('7140 TAX')),
      await packed.prepare(await lineScan('TAL 70')),
      await packed.prepare(await lineScan('A7')),
    ];
    // Batched at several widths: every reader's frames of every line, as the separate files give them.
    expect(await packed.infer(lines)).toEqual(await files.infer(lines));
    for (const line of lines) {
      const opts = { classes: 'alnum' as const, topK: 3 };
      expect(await packed.read(line, opts)).toEqual(await files.read(line, opts));
    }
  });

  it('packs a packed file again, and refuses readers that do not read alike or come twice', async () => {
    // The same weights under another id stand for a third reader trained alike.
    const third = restampMetadata(await readFile(RANDOM_READER), { id: 'reader-random-third' });
    const three = packReaderEnsemble([
      { bytes, name: 'ab.onnx' },
      { bytes: third, name: 'c.onnx' },
    ]);
    expect(three.members.map((m) => m.id)).toEqual([
      'reader-random-seed3',
      'reader-random-seed4',
      'reader-random-third',
    ]);
    // A reader already in the packed file would count twice in the vote.
    const again = await readFile(RANDOM_READER);
    expect(() =>
      packReaderEnsemble([
        { bytes, name: 'ab.onnx' },
        { bytes: again, name: 'a.onnx' },
      ]),
    ).toThrow(/reader-random-seed3 is in the ensemble twice \(in ab\.onnx and in a\.onnx\)/);
    const r = await createLineReader({ model: three.bytes, intraOpThreads: 1 });
    try {
      expect(r.info.readers).toHaveLength(3);
      const line = await r.prepare(await lineScan('TAX 41'));
      const [p] = await r.infer([line]);
      const [q] = await files.infer([line]);
      expect(p!.subarray(0, q!.length)).toEqual(q);
    } finally {
      await r.close();
    }
    const other = await readFile(RANDOM_READER_62);
    expect(() =>
      packReaderEnsemble([
        { bytes, name: 'ab.onnx' },
        { bytes: other, name: 'r62.onnx' },
      ]),
    ).toThrow(/differ in alphabet: hcr36-line vs hcr62-line/);
    expect(() => packReaderEnsemble([{ bytes, name: 'ab.onnx' }])).toThrow(/at least two readers/);
    const character = await readFile(FIXTURE_MODEL);
    expect(() =>
      packReaderEnsemble([
        { bytes, name: 'ab.onnx' },
        { bytes: character, name: 'hcr-mlp.onnx' },
      ]),
    ).toThrow(/hcr-mlp.onnx has no hcr.reader metadata, so it is not a line reader/);
  });
});
