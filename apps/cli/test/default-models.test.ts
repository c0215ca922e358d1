import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeGreyPng } from '@hcr/serve-onnx';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FIXTURE_MODEL } from '../../../packages/serve-onnx/test/support/models.js';
import { RANDOM_READER } from '../../../packages/serve-onnx/test/support/paths.js';
import { findDefault } from '../src/flags.js';
import { hcr } from './support/run-hcr.js';

/** A dark vertical stroke on white paper, 56x56, PNG-encoded. */
function barPng(): Promise<Uint8Array> {
  const pixels = new Uint8Array(56 * 56).fill(255);
  for (let y = 8; y < 48; y++) for (let x = 20; x < 26; x++) pixels[y * 56 + x] = 0;
  return encodeGreyPng(pixels, 56, 56);
}

/** A workspace (pnpm-workspace.yaml at its root) with a subfolder to run in; `models` copies them in. */
function workspace(models: boolean, under = tmpdir()): { root: string; sub: string } {
  const root = mkdtempSync(join(under, 'hcr-workspace-'));
  writeFileSync(join(root, 'pnpm-workspace.yaml'), 'packages: []\n');
  const sub = join(root, 'apps/cli');
  mkdirSync(sub, { recursive: true });
  if (models) {
    mkdirSync(join(root, 'artifacts/model/latest'), { recursive: true });
    mkdirSync(join(root, 'artifacts/model/reader'), { recursive: true });
    copyFileSync(FIXTURE_MODEL, join(root, 'artifacts/model/latest/model.onnx'));
    copyFileSync(RANDOM_READER, join(root, 'artifacts/model/reader/model.onnx'));
  }
  return { root, sub };
}

describe('the default models, from a subfolder of the repository', () => {
  const cwd = process.cwd();
  const env = { HCR_MODEL: process.env.HCR_MODEL, HCR_READER: process.env.HCR_READER };
  beforeEach(() => {
    delete process.env.HCR_MODEL;
    delete process.env.HCR_READER;
  });
  afterEach(() => {
    process.chdir(cwd);
    Object.assign(process.env, env);
  });

  it('hcr predict and hcr read find the workspace root artifacts/ from a subfolder', async () => {
    const { root, sub } = workspace(true);
    const image = join(root, 'x.png');
    writeFileSync(image, await barPng());
    process.chdir(sub);
    const predict = await hcr('predict', image, '--json');
    expect(predict.code, predict.err).toBe(0);
    expect(JSON.parse(predict.out).results[0].prediction.topK).toHaveLength(3);
    const read = await hcr('read', image, '--json');
    expect(read.code, read.err).toBe(0);
    expect(JSON.parse(read.out).model).toMatch(/^reader-random/);
    // a path given stays relative to where the command runs
    const given = await hcr('predict', image, '--model', 'artifacts/model/latest/model.onnx');
    expect(given.code).not.toBe(0);
    expect(given.err).toMatch(/artifacts\/model\/latest\/model\.onnx/);
  });

  it('HCR_READER names the reader of hcr read unless --model does; empty is unset', async () => {
    const { root, sub } = workspace(true);
    const image = join(root, 'x.png');
    writeFileSync(image, await barPng());
    process.chdir(sub);
    process.env.HCR_READER = join(root, 'elsewhere.onnx');
    const named = await hcr('read', image, '--json');
    expect(named.code).toBe(1);
    expect(JSON.parse(named.out).error.message).toContain(join(root, 'elsewhere.onnx'));
    const flagged = await hcr('read', image, '--model', join(root, 'artifacts/model/reader/model.onnx'));
    expect(flagged.code, flagged.err).toBe(0);
    process.env.HCR_READER = ',';
    const none = JSON.parse((await hcr('read', image, '--json')).out).error;
    expect(none).toMatchObject({ code: 'BAD_OPTION', message: "HCR_READER ',' names no reader model file." });
    process.env.HCR_READER = '';
    expect((await hcr('read', image)).code).toBe(0);
  });

  it('no default model: the error names its absolute path and says to run from the root or pass --model', async () => {
    const { root, sub } = workspace(false);
    process.chdir(sub);
    for (const [command, path] of [
      ['predict', 'artifacts/model/latest/model.onnx'],
      ['read', 'artifacts/model/reader/model.onnx'],
    ] as const) {
      const r = await hcr(command, join(root, 'x.png'), '--json');
      expect(r.code).toBe(1);
      const { error } = JSON.parse(r.out);
      expect(error.code).toBe('MODEL_MISSING');
      expect(error.message).toContain(`at ${join(root, path)} `);
      expect(error.hint).toMatch(/^Run from the repository root, or pass --model <file\.onnx>/);
    }
    // hcr serve looks for its defaults the same way, and names the one it lacks before loading anything.
    const serve = await hcr('serve', '--port', '0');
    expect(serve.code).toBe(1);
    expect(serve.err).toContain(`No character model at ${join(root, 'artifacts/model/latest/model.onnx')} `);
    expect(serve.err).toMatch(/Run from the repository root, or pass --model/);
  });

  it('findDefault: here first, then the folders above up to the workspace root, and not beyond it', () => {
    const outer = mkdtempSync(join(tmpdir(), 'hcr-outer-'));
    mkdirSync(join(outer, 'artifacts'), { recursive: true });
    writeFileSync(join(outer, 'artifacts/m.onnx'), '');
    const { root, sub } = workspace(false, outer);
    expect(findDefault('artifacts/m.onnx', sub).found).toBeUndefined(); // outer/artifacts is beyond the root
    mkdirSync(join(root, 'artifacts'));
    writeFileSync(join(root, 'artifacts/m.onnx'), '');
    expect(findDefault('artifacts/m.onnx', sub).found).toBe(join(root, 'artifacts/m.onnx'));
    mkdirSync(join(sub, 'artifacts'));
    writeFileSync(join(sub, 'artifacts/m.onnx'), '');
    expect(findDefault('artifacts/m.onnx', sub).found).toBe('artifacts/m.onnx'); // here: as given
    // outside a workspace: only where the command runs
    const loose = mkdtempSync(join(outer, 'loose-'));
    expect(findDefault('artifacts/m.onnx', loose).found).toBeUndefined();
    expect(findDefault('artifacts/m.onnx', loose).inWorkspace).toBe(false);
  });
});
