import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { lineScan } from './support/line-synth.js';
import { photo } from './support/synth.js';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const blocks = async () =>
  [...(await readFile(here('../README.md'), 'utf8')).matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]);

/**
 * Runs examples/<name> as its reader would, `node --conditions=source --import tsx`, in a temporary folder holding
 * the files it names (its model paths get the committed test models, not a trained model of artifacts/); its
 * output lines.
 */
async function runExample(
  name: string,
  files: Record<string, Uint8Array | { copy: string }>,
): Promise<string[]> {
  const dir = await mkdtemp(join(tmpdir(), 'hcr-serve-readme-'));
  try {
    for (const [path, data] of Object.entries(files)) {
      await mkdir(dirname(join(dir, path)), { recursive: true });
      if (data instanceof Uint8Array) await writeFile(join(dir, path), data);
      else await copyFile(data.copy, join(dir, path));
    }
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--conditions=source', '--import', tsx, here(`../examples/${name}`)],
      { cwd: dir },
    );
    return stdout.trimEnd().split('\n');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('README', () => {
  it('shows exactly examples/recognize.ts and examples/read.ts, in that order', async () => {
    expect(await blocks()).toEqual([
      await readFile(here('../examples/recognize.ts'), 'utf8'),
      await readFile(here('../examples/read.ts'), 'utf8'),
    ]);
  });

  // The printed figures of the README come from the pipeline's trained models and real photos; here the committed
  // test models read synthetic photos, so the test checks what those give: the labels and texts, not the figures.
  it('recognises with the recognizer example', async () => {
    const out = await runExample('recognize.ts', {
      'artifacts/model/latest/model.onnx': { copy: here('fixtures/hcr-mlp.onnx') },
      'seven.jpg': await photo('7'),
      // an L stands in for the O: the test model reads a drawn O as 0 even unfiltered, and an L as L (0.95), so only
      // the example's digits-only filter turns it into its twin 1
      'letter-o.jpg': await photo('L'),
    });
    expect(out).toHaveLength(2);
    expect(out[0]).toMatch(/^7 0\.\d{3} 7 \S+ \S+$/);
    expect(out[1]).toBe('7 1');
  });

  it('reads lines with the reader example', async () => {
    const out = (
      await runExample('read.ts', {
        'artifacts/model/reader/model.onnx': { copy: here('fixtures/hcr-reader.onnx') },
        'amount.png': await lineScan('147', { format: 'png' }),
        'code-1.jpg': await lineScan('TA1470', { format: 'jpeg' }),
        'code-2.jpg': await lineScan('AX4710', { format: 'jpeg', seed: 2 }),
        'name.webp': await lineScan('LAX', { format: 'webp' }),
      })
    ).join('\n');
    expect(out).toMatch(/^147 0\.\d+ \[\n {2}\{ text: '147', confidence: 0\.\d+ \},/);
    expect(out).toMatch(/\nTA1470 AX4710 (MARTIN|DUPONT|LEROY)$/);
  });
});
