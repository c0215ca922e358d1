import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LABEL_SPACE_62 } from '@hcr/core';
import { initEngine } from '@hcr/engine';
import { beforeAll, describe, expect, it } from 'vitest';
import { evaluateRun } from '../src/report.js';
import { buildTinyModel, ensureFixture, saveLayersModel } from './fixtures.js';

let fx: Awaited<ReturnType<typeof ensureFixture>>;
let dir: string;
let run62: string;
let data62: string;

beforeAll(async () => {
  fx = await ensureFixture();
  dir = await mkdtemp(join(tmpdir(), 'hcr-eval-labels-'));
  // A 62-class model: untrained tiny network with 62 outputs and hcr62 metadata.
  run62 = join(dir, 'run62');
  await cp(fx.runDir, run62, { recursive: true });
  await initEngine({ engine: 'wasm', purpose: 'infer', log: () => {} });
  await saveLayersModel(buildTinyModel(2, 62), run62);
  const meta = JSON.parse(await readFile(join(fx.runDir, 'metadata.json'), 'utf8'));
  await writeFile(
    join(run62, 'metadata.json'),
    JSON.stringify({ ...meta, id: 'tiny62', labelSpace: 'hcr62', classNames: [...LABEL_SPACE_62.classes] }),
  );
  // The glyph fixture relabelled as a 62-class dataset: its indices 0..35 mean the same in hcr62.
  data62 = join(dir, 'data62');
  await cp(fx.dataDir, data62, { recursive: true });
  const manifest = JSON.parse(await readFile(join(data62, 'manifest.json'), 'utf8'));
  for (const c of Object.values(manifest.counts) as { perClass: number[] }[])
    c.perClass = [...c.perClass, ...new Array(26).fill(0)];
  await writeFile(
    join(data62, 'manifest.json'),
    JSON.stringify({ ...manifest, labelSpace: 'hcr62', classNames: [...LABEL_SPACE_62.classes] }),
  );
});

describe('label spaces in eval', () => {
  it('a model whose label space disagrees with the dataset is an error naming both', async () => {
    const err = await evaluateRun({
      run: run62,
      dataDir: fx.dataDir,
      outDir: join(dir, 'r1'),
      workers: 1,
    }).catch((e) => e);
    expect(err).toMatchObject({ code: 'LABEL_SPACE_MISMATCH' });
    expect(err.message).toMatch(/model tiny62 answers in label space hcr62 \(62 classes\)/);
    expect(err.message).toMatch(/was prepared with hcr36 \(36 classes\)/);
    expect(err.message).toMatch(/hcr data prepare --labels 62/);
    const err2 = await evaluateRun({
      run: fx.runDir,
      dataDir: data62,
      outDir: join(dir, 'r2'),
      workers: 1,
    }).catch((e) => e);
    expect(err2.message).toMatch(/answers in label space hcr36 .* prepared with hcr62/);
  });

  it('a 62-class report: 62-way metrics, folded to 47 and 36, per case, the case-twin table', {
    timeout: 120_000,
  }, async () => {
    const { report, indexHtml } = await evaluateRun({
      run: run62,
      dataDir: data62,
      outDir: join(dir, 'r3'),
      runtime: 'tfjs',
      engine: 'wasm',
      workers: 1,
    });
    expect(report.labelSpace).toBe('hcr62');
    expect(report.classNames).toHaveLength(62);
    expect(report.perClass).toHaveLength(62);
    expect(report.caseSensitive!.folded.map((f) => f.labelSpace)).toEqual(['hcr47', 'hcr36']);
    expect(report.caseSensitive!.caseTwins).toHaveLength(26);
    const html = await readFile(indexHtml, 'utf8');
    expect(html).toContain('id="case-twins"');
    expect(html).toContain('test accuracy, 62-way');
  });
});
