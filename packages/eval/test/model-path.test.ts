import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveModelRun } from '../src/model-files.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'hcr-model-path-'));
  await mkdir(join(root, 'models', 'run-a'), { recursive: true });
  await writeFile(join(root, 'notes.txt'), 'not a model\n');
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe('hcr eval <path> of a file that is not a model', () => {
  it('says the file is not a model and what to pass, not "unknown run" with a hint to train one', async () => {
    await expect(resolveModelRun(join(root, 'notes.txt'), join(root, 'no-models'))).rejects.toMatchObject({
      code: 'MODEL_INVALID',
      message: expect.stringContaining(`${join(root, 'notes.txt')} is a file, not a model`),
      hint: expect.stringContaining('the directory `hcr train` saved the model in'),
    });
    await expect(resolveModelRun(join(root, 'notes.txt'), join(root, 'models'))).rejects.toMatchObject({
      code: 'MODEL_INVALID',
      hint: expect.stringContaining('run-a'),
    });
    // a name that is nowhere is still an unknown run
    await expect(resolveModelRun('nope', join(root, 'models'))).rejects.toMatchObject({
      code: 'RUN_UNKNOWN',
    });
  });
});
