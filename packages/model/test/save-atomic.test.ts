import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildModel, loadMetadata, saveModel } from '../src/index.js';
import '@tensorflow/tfjs-backend-cpu';
import { characterMetadata } from './support/metadata.js';

// writeFile that can be made to fail for one file name (a full disk while weights.bin is written)
const failing = vi.hoisted(() => ({ suffix: undefined as string | undefined }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>();
  const write = (async (path: Parameters<typeof fs.writeFile>[0], ...rest: unknown[]) => {
    if (failing.suffix && String(path).endsWith(failing.suffix))
      throw Object.assign(new Error(`ENOSPC: no space left on device, open '${String(path)}'`), {
        code: 'ENOSPC',
      });
    return (fs.writeFile as (...a: unknown[]) => Promise<void>)(path, ...rest);
  }) as typeof fs.writeFile;
  return { ...fs, default: { ...fs, writeFile: write }, writeFile: write };
});

let root: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  root = await mkdtemp(join(tmpdir(), 'hcr-model-atomic-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

async function snapshot(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const n of (await readdir(dir)).sort()) files[n] = (await readFile(join(dir, n))).toString('base64');
  return files;
}

describe('saveModel over a saved model', () => {
  it.each(['weights.bin', 'model.json', 'metadata.json'])(
    'a failed write of %s leaves the old model, weights and metadata, and no temps',
    async (name) => {
      const dir = join(root, name);
      await saveModel(buildModel('seed', { seed: 1 }), dir, characterMetadata({ id: 'old' }));
      await writeFile(join(dir, 'metrics.jsonl'), '{}\n');
      const before = await snapshot(dir);
      failing.suffix = name;
      try {
        await expect(
          saveModel(buildModel('seed', { seed: 2 }), dir, characterMetadata({ id: 'new' })),
        ).rejects.toThrow(/ENOSPC/);
      } finally {
        failing.suffix = undefined;
      }
      expect(await snapshot(dir)).toEqual(before);
      expect((await loadMetadata(dir)).id).toBe('old');
    },
  );
});
