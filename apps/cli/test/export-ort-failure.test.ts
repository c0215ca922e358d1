import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initEngine } from '@hcr/engine';
import { describe, expect, it, vi } from 'vitest';
import { buildTinyModel, saveLayersModel } from '../../../packages/eval/test/fixtures.js';
import { failingAtRunTime } from '../../../packages/export-onnx/test/helpers.js';
import { hcr } from './support/run-hcr.js';

// The exporter makes no model onnxruntime fails on any more (the last ones were Merge layers on inputs of
// different rank), so this file breaks the export on purpose: its output becomes a Reshape that cannot run.
vi.mock('@hcr/export-onnx', async (importOriginal) => {
  const actual = await importOriginal<typeof import('@hcr/export-onnx')>();
  return {
    ...actual,
    exportModelFile: async (...args: Parameters<typeof actual.exportModelFile>) => {
      const result = await actual.exportModelFile(...args);
      return { ...result, bytes: failingAtRunTime(result.bytes) };
    },
  };
});

describe('hcr export onnx when onnxruntime cannot run the export', () => {
  it('is PARITY_FAILED with exit code 2 and writes nothing, even with --force', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hcr-export-ort-'));
    await initEngine({ engine: 'wasm', purpose: 'infer', log: () => {} });
    await saveLayersModel(buildTinyModel(), dir);
    const out = join(dir, 'out.onnx');
    for (const force of [[], ['--force']]) {
      const r = await hcr('export', 'onnx', dir, '-o', out, '--samples', '32', '--images', '0', ...force);
      expect(r.code, r.err).toBe(2);
      expect(r.err).toMatch(
        /onnxruntime cannot run the exported model on the random inputs \[32, 28, 28, 1\], ORT optimisations all \(.*\), so it cannot be checked against tfjs; nothing was written\. This is an exporter bug/s,
      );
      expect(existsSync(out)).toBe(false);
    }
    const json = await hcr('export', 'onnx', dir, '-o', out, '--samples', '32', '--images', '0', '--json');
    expect(json.code).toBe(2);
    expect(JSON.parse(json.out).error.code).toBe('PARITY_FAILED');
  }, 120_000);
});
