import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTrainConfigFile } from '../src/config.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'hcr-train-config-file-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const file = async (name: string, text: string) => {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
};

describe('a --config file that is valid JSON but no object', () => {
  it('says what it holds once, not "not a JSON object: not a JSON object"', async () => {
    for (const [name, text, holds] of [
      ['array.json', '[]', 'an array'],
      ['null.json', 'null', 'null'],
      ['number.json', '3', '3'],
    ] as const) {
      const error = await loadTrainConfigFile(await file(name, text)).catch((e) => e);
      expect(error).toMatchObject({ code: 'TRAIN_CONFIG', hint: expect.stringContaining('Fix the JSON') });
      expect(error.message).toContain(`is ${holds}, not a JSON object of options`);
      expect(error.message).not.toMatch(/not a JSON object.*not a JSON object/);
    }
  });

  it('invalid JSON is still named as such, and an object is read', async () => {
    await expect(loadTrainConfigFile(await file('bad.json', '{bad'))).rejects.toMatchObject({
      code: 'TRAIN_CONFIG',
      message: expect.stringContaining('is not valid JSON'),
    });
    expect(await loadTrainConfigFile(await file('ok.json', '{"epochs": 2}'))).toEqual({ epochs: 2 });
  });
});
