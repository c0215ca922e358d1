import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initEngine } from '@hcr/engine';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildTinyModel, saveLayersModel } from '../../../packages/eval/test/fixtures.js';
import { hcr } from './support/run-hcr.js';

beforeAll(async () => {
  await initEngine({ engine: 'wasm', purpose: 'infer', log: () => {} });
});

const quick = ['--samples', '2', '--images', '0'];

describe('hcr export onnx', () => {
  it("says so when it leaves out a metadata.json that is not hcr's (a Teachable Machine export's)", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hcr-export-tm-'));
    await saveLayersModel(buildTinyModel(), dir);
    writeFileSync(join(dir, 'metadata.json'), JSON.stringify({ tmVersion: '2.4.4', labels: ['a', 'b'] }));
    const out = join(dir, 'm.onnx');
    const r = await hcr('export', 'onnx', dir, '-o', out, ...quick);
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/^ {2}warning .*metadata\.json is not hcr's model metadata.* left out/m);
    expect(r.err).not.toMatch(/metadata_props:/);
    const json = await hcr('export', 'onnx', dir, '-o', out, ...quick, '--json');
    expect(JSON.parse(json.out).report.warnings[0]).toMatch(/left out/);
  }, 120_000);

  it('-o <an existing directory> is refused before converting (not EISDIR after the whole check)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hcr-export-dir-'));
    await saveLayersModel(buildTinyModel(), dir);
    const outDir = mkdtempSync(join(tmpdir(), 'hcr-export-out-'));
    const r = await hcr('export', 'onnx', dir, '-o', outDir, ...quick, '--json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out).error).toEqual({
      code: 'OUTPUT_IS_DIRECTORY',
      message: `${outDir} is a directory; -o names the ONNX file to write.`,
      hint: `Pass a file name, e.g. -o ${join(outDir, 'model.onnx')}.`,
    });
    expect(readdirSync(outDir)).toEqual([]);
    // checked first: even a path with no model at all gets this error, not MODEL_NOT_FOUND after loading
    const first = await hcr('export', 'onnx', join(dir, 'nowhere'), '-o', outDir, '--json');
    expect(JSON.parse(first.out).error.code).toBe('OUTPUT_IS_DIRECTORY');
  }, 120_000);

  it('--opset that is not an integer is named as such', async () => {
    const r = await hcr('export', 'onnx', 'anywhere', '--opset', 'abc', '--json');
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out).error).toEqual({
      code: 'BAD_OPTION',
      message: "--opset must be an integer, not 'abc'.",
      hint: 'Choose an opset from 13 to 21 (default 17).',
    });
  });
});
