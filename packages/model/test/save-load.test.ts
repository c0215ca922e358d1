import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LABEL_SPACE_62, lineAlphabet } from '@hcr/core';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildModel, buildReader, loadMetadata, loadModel, saveModel } from '../src/index.js';
import '@tensorflow/tfjs-backend-cpu';
import { characterMetadata, readerMetadata } from './support/metadata.js';

let root: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  root = await mkdtemp(join(tmpdir(), 'hcr-model-save-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

/** Every file of a directory and its bytes. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const names = (await readdir(dir)).sort();
  const files: Record<string, string> = {};
  for (const n of names) files[n] = (await readFile(join(dir, n))).toString('base64');
  return files;
}

describe('saveModel refuses metadata that does not describe the model, writing nothing', () => {
  it('a 36-class model with 62-class metadata', async () => {
    const dir = join(root, 'classes');
    const e = await saveModel(
      buildModel('seed', { seed: 1 }),
      dir,
      characterMetadata({ labelSpace: 'hcr62', classNames: [...LABEL_SPACE_62.classes] }),
    ).catch((x) => x);
    expect(e).toMatchObject({ code: 'MODEL_CLASSES_MISMATCH', hint: expect.stringMatching(/classes: 62/) });
    expect(e.problem).toMatch(/outputs 36 classes.*lists 62 \(hcr62\).*Nothing was saved/);
    expect(e.problem).toContain(join(dir, 'metadata.json'));
    await expect(readdir(dir)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it("a line reader with another alphabet's metadata (its size includes the blank)", async () => {
    const a62 = lineAlphabet(LABEL_SPACE_62);
    const meta = readerMetadata({
      labelSpace: 'hcr62',
      classNames: [...a62.symbols],
      reader: { ...readerMetadata().reader!, alphabetId: a62.id, symbols: [...a62.symbols] },
    });
    await expect(
      saveModel(buildReader({ classes: 43, seed: 1 }), join(root, 'reader'), meta),
    ).rejects.toMatchObject({
      code: 'MODEL_CLASSES_MISMATCH',
      problem: expect.stringMatching(/43 symbols per frame.*lists 69 \(hcr62-line\)/),
    });
  });

  it('a character model with line reader metadata', async () => {
    await expect(
      saveModel(buildModel('seed', { seed: 1, classes: 43 }), join(root, 'kind'), readerMetadata()),
    ).rejects.toMatchObject({ code: 'MODEL_INPUT_MISMATCH' });
  });

  it('metadata that loadMetadata would refuse', async () => {
    await expect(
      saveModel(buildModel('seed', { seed: 1 }), join(root, 'invalid'), {
        formatVersion: 1,
        id: 'x',
      } as never),
    ).rejects.toMatchObject({ code: 'METADATA_INVALID' });
  });

  it('a reader and its alphabet save and load (classNames include the blank)', async () => {
    const dir = join(root, 'reader-ok');
    await saveModel(buildReader({ classes: 43, seed: 1 }), dir, readerMetadata());
    expect((await loadMetadata(dir)).classNames).toHaveLength(43);
  });
});

describe('a failed save leaves the directory as it was', () => {
  it('a model whose weights cannot be read: the old model and metadata stay, no temps are left', async () => {
    const dir = join(root, 'keep');
    await saveModel(buildModel('seed', { seed: 1 }), dir, characterMetadata({ id: 'old' }));
    const before = await snapshot(dir);
    const broken = buildModel('seed', { seed: 2 });
    broken.getLayer('conv1').weights[0]!.read().dispose();
    await expect(saveModel(broken, dir, characterMetadata({ id: 'new' }))).rejects.toThrow(/disposed/);
    expect(await snapshot(dir)).toEqual(before);
    expect((await loadMetadata(dir)).id).toBe('old');
  });
});

describe('loadModel: damaged files are errors naming the file', () => {
  let dir: string;
  let weights: Buffer;
  beforeAll(async () => {
    dir = join(root, 'damaged');
    await saveModel(buildModel('seed', { seed: 1 }), dir);
    weights = await readFile(join(dir, 'weights.bin'));
  });

  it('a truncated weights.bin', async () => {
    await writeFile(join(dir, 'weights.bin'), weights.subarray(0, weights.length - 1000));
    const e = await loadModel(dir).catch((x) => x);
    expect(e).toMatchObject({ code: 'WEIGHTS_SIZE_MISMATCH' });
    expect(e.problem).toContain(join(dir, 'weights.bin'));
    expect(e.problem).toMatch(/weight '.*' \[.*\] and those after it are missing/);
  });

  it('a weights.bin with 400 bytes too many', async () => {
    await writeFile(join(dir, 'weights.bin'), Buffer.concat([weights, Buffer.alloc(400)]));
    const e = await loadModel(dir).catch((x) => x);
    expect(e).toMatchObject({ code: 'WEIGHTS_SIZE_MISMATCH' });
    expect(e.problem).toContain(join(dir, 'weights.bin'));
    await writeFile(join(dir, 'weights.bin'), weights);
    await expect(loadModel(dir)).resolves.toBeDefined();
  });

  it.each([
    ['{}', '{}'],
    ['null', 'null'],
    ['a manifest that is not a list', '{"modelTopology": {}, "weightsManifest": {}}'],
  ])('model.json %s', async (_, text) => {
    const other = join(root, `json-${_.length}`);
    await saveModel(buildModel('seed', { seed: 1 }), other);
    await writeFile(join(other, 'model.json'), text);
    const e = await loadModel(other).catch((x) => x);
    expect(e).toMatchObject({ code: 'MODEL_JSON_INVALID' });
    expect(e.problem).toContain(`${join(other, 'model.json')} is not a tfjs layers model.json`);
  });
});
