import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LABEL_SPACE_36, LABEL_SPACE_62 } from '@hcr/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LINE_HEIGHT, LINE_MIN_WIDTH, loadMetadata } from '../src/index.js';
import { characterMetadata, readerMetadata } from './support/metadata.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'hcr-model-metadata-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

let n = 0;
async function dirWith(text: string): Promise<{ dir: string; file: string }> {
  const dir = join(root, `m${n++}`);
  await mkdir(dir, { recursive: true });
  const file = join(dir, 'metadata.json');
  await writeFile(file, text);
  return { dir, file };
}
const withMetadata = (value: unknown) => dirWith(JSON.stringify(value));

describe('loadMetadata accepts what hcr writes and has written', () => {
  it.each([
    ['a character model', characterMetadata()],
    ['a 62-class model', characterMetadata({ labelSpace: 'hcr62', classNames: [...LABEL_SPACE_62.classes] })],
    ['a line reader', readerMetadata()],
    [
      'a line reader saved with a fixed width',
      readerMetadata({ inputShape: [LINE_HEIGHT, LINE_MIN_WIDTH, 1] }),
    ],
    [
      'a model from before label spaces (no labelSpace, uid, modelVersion, task)',
      (() => {
        const { labelSpace: _l, uid: _u, modelVersion: _m, ...old } = characterMetadata();
        return old;
      })(),
    ],
    ['a calibrated model', characterMetadata({ calibration: { temperature: 1.2 } as never })],
  ])('%s', async (_, meta) => {
    const { dir } = await withMetadata(meta);
    expect(await loadMetadata(dir)).toEqual(meta);
  });
});

describe('loadMetadata refuses metadata a reader cannot rely on, naming the file', () => {
  const { classNames: _c, ...noClassNames } = characterMetadata();
  const { reader: _r, ...lineWithoutReader } = readerMetadata();
  it.each([
    ['null', null, /holds null/],
    ['{}', {}, /formatVersion nothing/],
    ['a list', [characterMetadata()], /not a JSON object/],
    ['formatVersion 2', characterMetadata({ formatVersion: 2 as never }), /formatVersion 2.*reads format 1/],
    ['an unknown label space', characterMetadata({ labelSpace: 'hcr99' as never }), /label space "hcr99"/],
    ['no classNames', noClassNames, /classNames nothing/],
    ['2 class names', characterMetadata({ classNames: ['0', '1'] }), /lists 2 classNames.*hcr36 has 36/],
    ['36 names for hcr62', characterMetadata({ labelSpace: 'hcr62' }), /lists 36 classNames.*hcr62 has 62/],
    [
      'classNames that are not strings',
      characterMetadata({ classNames: LABEL_SPACE_36.classes.map((_, i) => i) as never }),
      /not all strings/,
    ],
    [
      "the label space's classes in another order",
      characterMetadata({ classNames: [...LABEL_SPACE_36.classes].reverse() }),
      /lists classNames ZYX.*not its label space hcr36's classes in their order \(0123/,
    ],
    [
      'a line reader with a symbol twice',
      readerMetadata({
        reader: { ...readerMetadata().reader!, symbols: ['', 'A', 'A'] },
        classNames: ['', 'A', 'A'],
      }),
      /no valid reader section.*none twice/,
    ],
    ['an unknown task', characterMetadata({ task: 'page' as never }), /task "page"/],
    ['a line reader without its reader section', lineWithoutReader, /no valid reader section/],
    [
      "a line reader whose classNames are not its alphabet's",
      readerMetadata({ classNames: [...LABEL_SPACE_36.classes] }),
      /36 classNames, not the reader's 43 alphabet symbols/,
    ],
    ['no inputShape', characterMetadata({ inputShape: undefined as never }), /inputShape nothing/],
    [
      'a free width on a character model',
      characterMetadata({ inputShape: [28, -1, 1] }),
      /inputShape \[28,-1,1\]/,
    ],
    [
      'std 0',
      characterMetadata({ inputNormalisation: { mean: 0.5, std: 0 } }),
      /inputNormalisation \{"mean":0.5,"std":0\}/,
    ],
  ])('%s', async (_, meta, problem) => {
    const { dir, file } = await withMetadata(meta);
    const e = await loadMetadata(dir).catch((x) => x);
    expect(e).toMatchObject({ code: 'METADATA_INVALID', hint: expect.stringMatching(/hcr train|upgrade/) });
    expect(e.problem.startsWith(file)).toBe(true);
    expect(e.problem).toMatch(problem);
  });

  it('a newer format says to upgrade', async () => {
    const { dir } = await withMetadata(characterMetadata({ formatVersion: 2 as never }));
    await expect(loadMetadata(dir)).rejects.toMatchObject({
      hint: expect.stringMatching(/newer hcr: upgrade/),
    });
  });
});

describe('a metadata.json that is not JSON', () => {
  it('is METADATA_INVALID naming the file, not METADATA_MISSING ("pass the directory of a model")', async () => {
    const { dir, file } = await dirWith('{"formatVersion": 1, "id": ');
    const e = await loadMetadata(dir).catch((x) => x);
    expect(e).toMatchObject({ code: 'METADATA_INVALID', hint: expect.stringMatching(/damaged/) });
    expect(e.problem).toContain(`${file} is not valid JSON`);
  });

  it('a missing one is still METADATA_MISSING', async () => {
    await expect(loadMetadata(join(root, 'none'))).rejects.toMatchObject({ code: 'METADATA_MISSING' });
  });
});
