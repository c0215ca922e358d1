import { HcrError } from '@hcr/core';
import * as ort from 'onnxruntime-node';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLineReader, createRecognizer } from '../src/index.js';
import { FIXTURE_MODEL } from './support/models.js';
import { RANDOM_READER } from './support/paths.js';

/** The HcrError a call fails with (its code), or a test failure naming what came instead. */
async function failure(p: Promise<unknown>): Promise<HcrError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(HcrError);
    expect((e as HcrError).hint).toBeTruthy();
    return e as HcrError;
  }
  throw new Error('expected an HcrError');
}

const line = () => ({
  width: 128,
  height: 32,
  pixels: new Uint8Array(128 * 32),
  source: { format: 'raw' as const, width: 128, height: 32 },
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe('createRecognizer misuse', () => {
  it('close() twice resolves; a call after close() is CLOSED, not onnxruntime\'s "Session already disposed"', async () => {
    const rec = await createRecognizer({ model: FIXTURE_MODEL, intraOpThreads: 1 });
    await rec.close();
    await expect(rec.close()).resolves.toBeUndefined();
    const e = await failure(rec.recognize(new Uint8Array(784)));
    expect(e.code).toBe('CLOSED');
    expect(e.message).toMatch(/createRecognizer/);
    expect((await failure(rec.infer([new Uint8Array(784)]))).code).toBe('CLOSED');
  });

  it('close() during a recognize waits for it: the call answers, then the model is released', async () => {
    const rec = await createRecognizer({ model: FIXTURE_MODEL, intraOpThreads: 1 });
    const batch = Array.from({ length: 8 }, () => new Uint8Array(784));
    const reading = rec.recognize(batch);
    const closing = rec.close();
    await expect(reading).resolves.toHaveLength(8);
    await closing;
  });

  it('a path or null given as an image is BAD_INPUT saying to pass the bytes', async () => {
    const rec = await createRecognizer({ model: FIXTURE_MODEL, intraOpThreads: 1 });
    try {
      const e = await failure(rec.recognize('seven.png' as never));
      expect(e.code).toBe('BAD_INPUT');
      expect(e.message).toMatch(/'seven\.png'.*readFile/);
      expect((await failure(rec.recognize([null as never]))).code).toBe('BAD_INPUT');
      expect((await failure(rec.recognize({ image: null } as never))).code).toBe('BAD_INPUT');
    } finally {
      await rec.close();
    }
  });

  it('no model is MODEL_MISSING naming the option', async () => {
    const e = await failure(createRecognizer({} as never));
    expect(e.code).toBe('MODEL_MISSING');
    expect(e.message).toMatch(/createRecognizer was given no model/);
    expect((await failure((createRecognizer as (o?: unknown) => Promise<unknown>)())).code).toBe(
      'MODEL_MISSING',
    );
  });
});

describe('createLineReader misuse', () => {
  it('close() twice resolves; read, readLines, prepare and infer after close() are CLOSED', async () => {
    const reader = await createLineReader({ model: RANDOM_READER, intraOpThreads: 1 });
    await reader.close();
    await expect(reader.close()).resolves.toBeUndefined();
    const e = await failure(reader.read(line()));
    expect(e.code).toBe('CLOSED');
    expect(e.message).toMatch(/createLineReader/);
    expect((await failure(reader.readLines(new Uint8Array(10)))).code).toBe('CLOSED');
    expect((await failure(reader.prepare(line()))).code).toBe('CLOSED');
    expect((await failure(reader.infer([line()]))).code).toBe('CLOSED');
  });

  it('close() during a read waits for it', async () => {
    const reader = await createLineReader({ model: RANDOM_READER, intraOpThreads: 1 });
    const reading = reader.read([line(), line(), line()]);
    const closing = reader.close();
    await expect(reading).resolves.toHaveLength(3);
    await closing;
  });

  it('a path given as an image is BAD_INPUT', async () => {
    const reader = await createLineReader({ model: RANDOM_READER, intraOpThreads: 1 });
    try {
      expect((await failure(reader.read('name.jpg' as never))).code).toBe('BAD_INPUT');
      expect((await failure(reader.read([undefined as never]))).code).toBe('BAD_INPUT');
      expect((await failure(reader.read({ image: 'name.jpg' } as never))).problem).toMatch(
        /the string 'name\.jpg'/,
      );
    } finally {
      await reader.close();
    }
  });

  it('malformed lexicons are LEXICON_INVALID naming the list, and the opened session is released', async () => {
    const release = vi.spyOn(
      (ort.InferenceSession as unknown as { prototype: ort.InferenceSession }).prototype,
      'release',
    );
    const cases: [unknown, RegExp][] = [
      [['MARTIN'], /lexicons must be an object of named word lists, got an array/],
      ['MARTIN', /got a string/],
      [{ surnames: 'MARTIN' }, /'surnames' is a string, not an array of words/],
      [{ surnames: null }, /'surnames' is null/],
      [{ surnames: ['MARTIN', 7] }, /'surnames' holds 7 at index 1/],
    ];
    for (const [lexicons, message] of cases) {
      release.mockClear();
      const e = await failure(
        createLineReader({ model: RANDOM_READER, intraOpThreads: 1, lexicons: lexicons as never }),
      );
      expect(e.code).toBe('LEXICON_INVALID');
      expect(e.message).toMatch(message);
      expect(release).toHaveBeenCalledTimes(1);
    }
  });

  it('no model is READER_MISSING naming the option', async () => {
    const e = await failure(createLineReader({ model: undefined as never }));
    expect(e.code).toBe('READER_MISSING');
    expect(e.message).toMatch(/createLineReader was given no model/);
  });
});

describe('options and prepared inputs', () => {
  it('read options with an unknown key or null are BAD_OPTIONS (a typo was ignored in silence)', async () => {
    const reader = await createLineReader({ model: RANDOM_READER, intraOpThreads: 1 });
    try {
      const e = await failure(reader.read(line(), { beem: 3 } as never));
      expect(e.code).toBe('BAD_OPTIONS');
      expect(e.problem).toBe("Unknown read option 'beem'.");
      expect((await failure(reader.read(line(), null as never))).code).toBe('BAD_OPTIONS');
      expect(() => reader.compile({ top_k: 3 } as never)).toThrow(/Unknown read option 'top_k'/);
    } finally {
      await reader.close();
    }
  });

  it('a prepared line of the wrong size is BAD_INPUT (was a RangeError)', async () => {
    const reader = await createLineReader({ model: RANDOM_READER, intraOpThreads: 1 });
    try {
      const e = await failure(reader.read({ ...line(), pixels: new Uint8Array(5) }));
      expect(e.code).toBe('BAD_INPUT');
      expect(e.problem).toMatch(/A prepared line is 128x32 with 5 pixels/);
      expect((await failure(reader.infer([{ ...line(), width: 4 }]))).code).toBe('BAD_INPUT');
    } finally {
      await reader.close();
    }
  });

  it('recognize topK 0 or NaN is BAD_TOP_K (0 returned one class, NaN a TypeError); above the classes returns all', async () => {
    const rec = await createRecognizer({ model: FIXTURE_MODEL, intraOpThreads: 1 });
    try {
      for (const topK of [0, Number.NaN, -1, 1.5])
        expect((await failure(rec.recognize(new Uint8Array(784), { topK }))).code).toBe('BAD_TOP_K');
      const bar = new Uint8Array(784);
      for (let y = 4; y < 24; y++) bar.fill(255, y * 28 + 12, y * 28 + 16); // a 1: one clean character
      const all = await rec.recognize(bar, { topK: 1000 });
      expect(all.topK).toHaveLength(rec.info.classNames.length);
      expect((await failure(rec.infer([new Uint8Array(5)]))).code).toBe('BAD_PIXELS');
    } finally {
      await rec.close();
    }
  });
});

describe('session options', () => {
  it('thread counts and levels out of range are BAD_OPTION before any session (1e6 threads ran for minutes)', async () => {
    for (const create of [createRecognizer, createLineReader] as const) {
      const model = create === createRecognizer ? FIXTURE_MODEL : RANDOM_READER;
      for (const [opts, message] of [
        [{ intraOpThreads: 1e6 }, /^intraOpThreads must be a whole number from 1 to \d+, got 1000000\.$/],
        [{ intraOpThreads: -1 }, /^intraOpThreads must be/],
        [{ interOpThreads: 0 }, /^interOpThreads must be/],
        [
          { graphOptimizationLevel: 'max' },
          /^graphOptimizationLevel must be one of disabled, basic, extended, all/,
        ],
      ] as const) {
        const e = await failure((create as (o: object) => Promise<unknown>)({ model, ...opts }));
        expect(e.code).toBe('BAD_OPTION');
        expect(e.problem).toMatch(message);
      }
    }
  });

  it('a bad prepareWorkers releases the sessions already open', async () => {
    const release = vi.spyOn(
      (ort.InferenceSession as unknown as { prototype: ort.InferenceSession }).prototype,
      'release',
    );
    for (const create of [createRecognizer, createLineReader] as const) {
      release.mockClear();
      const model = create === createRecognizer ? FIXTURE_MODEL : RANDOM_READER;
      const e = await failure(
        (create as (o: object) => Promise<unknown>)({ model, intraOpThreads: 1, prepareWorkers: -1 }),
      );
      expect(e.code).toBe('BAD_OPTION');
      expect(release).toHaveBeenCalledTimes(1);
    }
  });
});
