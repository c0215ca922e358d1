import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnBench } from './support/spawn-bench.js';

const ROOT = resolve(import.meta.dirname, '../../..');

describe('hcr bench', () => {
  it("prints a benchmark's HcrError as the CLI's errors, one paragraph with the fix, not a stack trace", async () => {
    // no dataset anywhere: an empty data folder and an empty cache
    const empty = mkdtempSync(join(tmpdir(), 'hcr-bench-'));
    const failed = await spawnBench(['data'], { HCR_DATA_DIR: empty, XDG_CACHE_HOME: empty });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/^error Missing emnist-letters-repack file .* Fix: `hcr data download/);
    expect(failed.stderr).not.toMatch(/\n\s+at /);
  });

  it('documents: a reader that is not there is named before a minute of making inputs, no stack, nothing left in TMPDIR', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'hcr-bench-'));
    const missing = join(tmp, 'no-reader.onnx');
    const failed = await spawnBench(['documents', '--reader', missing], { TMPDIR: tmp });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toBe(`No reader at ${missing}: run the pipeline or pass --reader.\n`);
    expect(readdirSync(tmp).filter((f) => f.startsWith('hcr-bench-documents-'))).toEqual([]);
  });

  it('guards: hcr serve failing to start (a model not there) ends on its message and fix, exit 1, no stack', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'hcr-bench-'));
    const missing = join(tmp, 'no-model.onnx');
    const failed = await spawnBench(['guards', '--model', missing]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(
      /^error hcr serve, started by the benchmark, exited 1: Cannot read the ONNX model .*no-model\.onnx.* Pass --model/,
    );
    expect(failed.stderr).not.toMatch(/\n\s+at /);
  });

  it('serve-install: a build or install that fails ends on its output, exit 1, no stack, no temp folder left', async () => {
    // a pnpm that fails stands for a broken build (the npm install's failure takes the same path)
    const tmp = mkdtempSync(join(tmpdir(), 'hcr-bench-'));
    const bin = join(tmp, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'pnpm'), '#!/bin/sh\necho "pnpm: the build broke" >&2\nexit 1\n', {
      mode: 0o755,
    });
    const failed = await spawnBench(['serve-install'], {
      TMPDIR: tmp,
      HCR_TEST_CACHE_DIR: tmp, // the pack lock: not another test's, which may be packing right now
      PATH: `${bin}${delimiter}${process.env.PATH}`,
    });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/^error Command failed: pnpm turbo run build [\s\S]*pnpm: the build broke/);
    expect(failed.stderr).not.toMatch(/\n\s+at /);
    expect(readdirSync(tmp).filter((f) => f.startsWith('hcr-'))).toEqual([]); // tsx keeps its cache here
  });

  it('a --figure that cannot be written is refused before the run, not after it (tilt, framing)', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'hcr-bench-'));
    for (const name of ['tilt', 'framing']) {
      const failed = await spawnBench([name, '--figure', folder]);
      expect(failed.code).toBe(1);
      expect(failed.stderr).toBe(
        `error ${folder} is a directory, not a file to write. Name a file to write, e.g. one inside it (${join(folder, '<name>')}).\n`,
      );
    }
  });

  // without the datasets both trainings stop at once: the bench waited out --seconds, then a stack trace (ENOENT)
  const prepared = ['shards', 'lines'].some((d) =>
    existsSync(join(ROOT, 'artifacts/data', d, 'manifest.json')),
  );
  it.skipIf(prepared)(
    'beside: a training that stops on an error ends the bench then, exit 1, naming it',
    async () => {
      const failed = await spawnBench(['beside', '--seconds', '900']);
      expect(failed.code).toBe(1);
      expect(failed.stderr).toMatch(/^error No (prepared|line) dataset in /m);
      expect(failed.stderr).toMatch(
        /^error The (hcrnet|lstm-reader) training \(exit 1\) stopped after \d+ s of the 900; its error is above\./m,
      );
      expect(failed.stderr).not.toMatch(/\n\s+at /);
    },
    120_000,
  );

  it('documents: --only words that pick no input are refused before the inputs are made (an empty table, exit 0)', async () => {
    const reader = join(ROOT, 'packages/serve-onnx/test/fixtures/hcr-reader.onnx');
    const failed = await spawnBench(['documents', '--reader', reader, '--only', 'pdf']);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/^--only 'pdf' picks none of the inputs: '10-page PDF of forms at 300 dpi/);
  }, 120_000);
});
