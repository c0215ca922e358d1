import { execFileSync } from 'node:child_process';
import {
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initEngine } from '@hcr/engine';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildTinyModel, saveLayersModel } from '../../../packages/eval/test/fixtures.js';
import { hcr } from './support/run-hcr.js';

beforeAll(async () => {
  await initEngine({ engine: 'wasm', purpose: 'infer', log: () => {} });
});

/** Two run folders each holding a model.onnx (bytes only: every check here comes before any is read). */
function twoReaders(): { dir: string; a: string; b: string } {
  const dir = mkdtempSync(join(tmpdir(), 'hcr-export-paths-'));
  for (const run of ['a', 'b']) {
    mkdirSync(join(dir, run));
    writeFileSync(join(dir, run, 'model.onnx'), `reader ${run}`);
  }
  return { dir, a: join(dir, 'a', 'model.onnx'), b: join(dir, 'b', 'model.onnx') };
}

describe('hcr export ensemble -o', () => {
  it('one of the readers (by its path, its folder or a link to it) is refused before reading, the reader kept', async () => {
    const { dir, a, b } = twoReaders();
    const link = join(dir, 'link.onnx');
    symlinkSync(a, link);
    for (const out of [a, join(dir, 'b', '..', 'a', 'model.onnx'), link]) {
      const r = await hcr('export', 'ensemble', join(dir, 'a'), b, '-o', out, '--json');
      expect(r.code).toBe(1);
      expect(JSON.parse(r.out).error).toMatchObject({
        code: 'OUTPUT_IS_INPUT',
        message: expect.stringContaining(`-o ${out} is ${a}, one of the files this export reads`),
      });
    }
    expect(readFileSync(a, 'utf8')).toBe('reader a');
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
  });

  it('a FIFO (as a device: no regular file) is refused before reading, and left as it was', async () => {
    const { dir, a, b } = twoReaders();
    const fifo = join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    const r = await hcr('export', 'ensemble', a, b, '-o', fifo, '--json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out).error).toMatchObject({
      code: 'OUTPUT_NOT_A_FILE',
      message: expect.stringContaining(`${fifo} is a named pipe (FIFO), not a regular file`),
    });
    expect(lstatSync(fifo).isFIFO()).toBe(true);
  });
});

describe('hcr export onnx -o', () => {
  it("the model's own model.json or weights file is refused before converting", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hcr-export-self-'));
    await saveLayersModel(buildTinyModel(), dir);
    const before = Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f))]));
    for (const name of Object.keys(before)) {
      const r = await hcr(
        'export',
        'onnx',
        dir,
        '-o',
        join(dir, name),
        '--samples',
        '2',
        '--images',
        '0',
        '--json',
      );
      expect(r.code).toBe(1);
      expect(JSON.parse(r.out).error.code).toBe('OUTPUT_IS_INPUT');
    }
    for (const [name, bytes] of Object.entries(before)) expect(readFileSync(join(dir, name))).toEqual(bytes);
  }, 120_000);
});
