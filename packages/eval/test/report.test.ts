import { createHash } from 'node:crypto';
import {
  cp,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  realpath,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { LABEL_SPACE_36, sourceName, uniformCalibration } from '@hcr/core';
import { openDataset } from '@hcr/data';
import { initEngine } from '@hcr/engine';
import { exportModelFile, writeOnnx } from '@hcr/export-onnx';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { compareReports } from '../src/compare.js';
import { type EvalReport, type EvalResult, evaluateRun } from '../src/report.js';
import { buildTinyModel, ensureFixture, FIXTURE_RUN, saveLayersModel } from './fixtures.js';

let fx: Awaited<ReturnType<typeof ensureFixture>>;
let out: string;
let first: EvalResult;

/** The report without the fields that differ between two evaluations of the same model and data. */
const withoutTiming = (r: EvalReport) => ({ ...r, timing: null, environment: null });

beforeAll(async () => {
  fx = await ensureFixture();
  out = await mkdtemp(join(tmpdir(), 'hcr-eval-report-'));
  first = await evaluateRun({
    run: FIXTURE_RUN,
    modelsDir: fx.modelsDir,
    dataDir: fx.dataDir,
    outDir: out,
    runtime: 'both',
    engine: 'wasm',
    workers: 2,
  });
});

/** Accuracy per source computed here, independently: plain model.predict and a loop, no @hcr/eval code. */
async function independentAccuracies(): Promise<Record<string, number>> {
  await initEngine({ engine: 'wasm', purpose: 'infer', log: () => {} });
  const dir = fx.runDir;
  const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
  const weights = await readFile(join(dir, 'weights.bin'));
  const model = await tfl.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest[0].weights,
      weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength),
    }),
  );
  const dataset = await openDataset(fx.dataDir);
  const right: Record<string, number> = {};
  const total: Record<string, number> = {};
  for (const split of ['test', 'extra'] as const) {
    const d = await dataset.loadSplit(split);
    const x = tf.tensor4d(
      Float32Array.from(d.pixels, (v) => (v / 255 - 0.5) / 0.5),
      [d.count, 28, 28, 1],
    );
    const pred = tf.argMax(model.predict(x) as tf.Tensor, -1).dataSync();
    for (let i = 0; i < d.count; i++) {
      const s = sourceName(d.sources[i]!);
      total[s] = (total[s] ?? 0) + 1;
      if (pred[i] === d.labels[i]) right[s] = (right[s] ?? 0) + 1;
    }
    x.dispose();
  }
  model.dispose();
  return Object.fromEntries(Object.keys(total).map((s) => [s, (right[s] ?? 0) / total[s]!]));
}

describe('hcr eval report', () => {
  it('writes eval.json with every section, for every source and overall', async () => {
    const r = JSON.parse(await readFile(join(first.reportDir, 'eval.json'), 'utf8')) as EvalReport;
    expect(r.model.id).toBe(FIXTURE_RUN);
    expect(r.data.manifestSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(r.data.matchesTraining).toBe(true);
    expect(r.runtime).toBe('tfjs');
    expect(r.runtimes.map((x) => x.runtime)).toEqual(['tfjs', 'onnx']);
    expect(Object.keys(r.sources).sort()).toEqual(['emnist-digits-repack', 'emnist-letters-repack', 'mnist']);
    for (const g of [...Object.values(r.sources), r.overall])
      for (const key of [
        'count',
        'accuracy',
        'top3Accuracy',
        'ownClassAccuracy',
        'macroF1',
        'ece',
        'twinErrorShare',
      ])
        expect(typeof (g as unknown as Record<string, number>)[key]).toBe('number');
    expect(r.overall.count).toBe(360);
    expect(r.sources['emnist-digits-repack']!.count).toBe(200);
    expect(r.perClass.map((c) => c.class)).toEqual([...LABEL_SPACE_36.classes]);
    expect(r.confusion).toHaveLength(36);
    expect(r.confusion.flat().reduce((a, b) => a + b, 0)).toBe(360);
    expect(r.calibration.reliability).toHaveLength(15);
    expect(r.twins.pairs.length).toBeGreaterThan(5);
    expect(r.timing.runtimes.every((t) => t.imagesPerSecond > 0)).toBe(true);
    // the fixture model learned its glyphs: far above chance (1/36)
    expect(r.overall.accuracy).toBeGreaterThan(0.6);
    // each accuracy with its 95% interval, shown under it in the source table
    const html = await readFile(join(first.reportDir, 'index.html'), 'utf8');
    for (const g of [...Object.values(r.sources), r.overall]) {
      const [lo, hi] = g!.accuracyInterval;
      expect(lo).toBeLessThanOrEqual(g!.accuracy);
      expect(hi).toBeGreaterThanOrEqual(g!.accuracy);
      expect(html).toContain(`${(lo * 100).toFixed(1)}&ndash;${(hi * 100).toFixed(1)}%</small>`);
    }
  });

  it('records which files were evaluated (weights and ONNX hashes) and where and when, beside timing', async () => {
    const r = JSON.parse(await readFile(join(first.reportDir, 'eval.json'), 'utf8')) as EvalReport;
    const hash = async (f: string) =>
      createHash('sha256')
        .update(await readFile(f))
        .digest('hex');
    expect(r.model.uid).toBeNull(); // the fixture's metadata.json has none (the compare test's copy has one)
    expect(r.model.weightsSha256).toBe(await hash(join(fx.runDir, 'weights.bin')));
    expect(r.model.onnxSha256).toBe(await hash(join(fx.runDir, 'model.onnx')));
    const env = r.environment!;
    expect(new Date(env.evaluatedAt).toISOString()).toBe(env.evaluatedAt);
    expect(env.evalCommit === null || /^[0-9a-f]{40}$/.test(env.evalCommit)).toBe(true);
    expect(env.node).toBe(process.version);
    expect(env.hcrVersion).toMatch(/^\d+\.\d+\.\d+/);
    expect(env.cpus).toBeGreaterThan(0);
    expect(env.os).toContain(process.platform);
    // the non-deterministic blocks stay together at the end of eval.json
    expect(Object.keys(r).slice(-2)).toEqual(['environment', 'timing']);
    // the page shows the hashes (and no time: it stays byte-identical for the same model and data)
    const html = await readFile(join(first.reportDir, 'index.html'), 'utf8');
    expect(html).toContain(`<td>weights sha256 (weights.bin)</td><td>${r.model.weightsSha256}</td>`);
    expect(html).not.toContain(env.evaluatedAt);
  });

  it('per-source accuracies agree with an independent computation from the saved model', async () => {
    const expected = await independentAccuracies();
    for (const [s, acc] of Object.entries(expected))
      expect(first.report.sources[s as keyof EvalReport['sources']]!.accuracy).toBeCloseTo(acc, 6);
  });

  it('tfjs and onnx give the same predictions (>= 99.99%) and accuracy (within 0.01 points)', () => {
    const a = first.report.agreement!;
    expect(a.images).toBe(560);
    expect(a.samePredictionShare).toBeGreaterThanOrEqual(0.9999);
    expect(a.accuracyDeltaPoints).toBeLessThanOrEqual(0.01);
    expect(a.maxAbsProbabilityDiff).toBeLessThan(1e-3);
    expect(a.agree).toBe(true);
  });

  it('writes every picture, index.html and a latest copy, and leaves no temp files', async () => {
    const files = (await readdir(first.reportDir)).sort();
    expect(files).toEqual(
      [
        'class-f1.png',
        'confusion-normalised.png',
        'confusion.png',
        'eval.json',
        'index.html',
        'learning-curves.png',
        'mistakes.png',
        'predictions.png',
        'reliability.png',
      ].sort(),
    );
    for (const f of files.filter((n) => n.endsWith('.png')))
      expect((await readFile(join(first.reportDir, f))).subarray(1, 4).toString()).toBe('PNG');
    expect(await readFile(join(out, 'latest', 'eval.json'), 'utf8')).toBe(
      await readFile(join(first.reportDir, 'eval.json'), 'utf8'),
    );
    expect((await readdir(out)).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('is deterministic apart from timing: a forced re-run gives identical pictures, page and metrics', async () => {
    const before = await Promise.all(
      ['index.html', 'confusion.png', 'mistakes.png', 'predictions.png'].map((f) =>
        readFile(join(first.reportDir, f)),
      ),
    );
    const again = await evaluateRun({
      run: FIXTURE_RUN,
      modelsDir: fx.modelsDir,
      dataDir: fx.dataDir,
      outDir: out,
      runtime: 'both',
      engine: 'wasm',
      force: true,
    });
    const after = await Promise.all(
      ['index.html', 'confusion.png', 'mistakes.png', 'predictions.png'].map((f) =>
        readFile(join(again.reportDir, f)),
      ),
    );
    after.forEach((buf, i) => {
      expect(buf.equals(before[i]!)).toBe(true);
    });
    expect(withoutTiming(again.report)).toEqual(withoutTiming(first.report));
  });

  it('replaces a `latest` that is a link to another report by a copy, and leaves that report as it was', async () => {
    const reports = await mkdtemp(join(tmpdir(), 'hcr-latest-link-'));
    const older = join(reports, 'older-report');
    await mkdir(older);
    await writeFile(join(older, 'eval.json'), '{"older":true}\n');
    await symlink(older, join(reports, 'latest'));
    const r = await evaluateRun({
      run: FIXTURE_RUN,
      modelsDir: fx.modelsDir,
      dataDir: fx.dataDir,
      outDir: reports,
      runtime: 'tfjs',
      sample: 100,
      workers: 1,
    });
    expect(await readFile(join(older, 'eval.json'), 'utf8')).toBe('{"older":true}\n');
    expect((await lstat(join(reports, 'latest'))).isDirectory()).toBe(true);
    expect(await readFile(join(reports, 'latest', 'eval.json'), 'utf8')).toBe(
      await readFile(join(r.reportDir, 'eval.json'), 'utf8'),
    );
    await rm(reports, { recursive: true });
  });

  it('scores the same in-process (1 worker) as with the worker pool', async () => {
    const single = await evaluateRun({
      run: FIXTURE_RUN,
      modelsDir: fx.modelsDir,
      dataDir: fx.dataDir,
      outDir: await mkdtemp(join(tmpdir(), 'hcr-eval-single-')),
      engine: 'wasm',
      workers: 1,
    });
    expect(single.report.timing.runtimes[0]!.workers).toBe(1);
    expect(first.report.timing.runtimes[0]!.workers).toBe(2);
    expect(single.report.runtimes).toEqual([first.report.runtimes[0]]);
    expect(single.report.confusion).toEqual(first.report.confusion);
    expect(single.report.sources).toEqual(first.report.sources);
    expect(single.report.calibration).toEqual(first.report.calibration);
  });

  it('without --data, finds the dataset under artifacts/data the model was trained on', async () => {
    const root = await mkdtemp(join(tmpdir(), 'hcr-eval-cwd-'));
    await cp(fx.dataDir, join(root, 'artifacts/data/raw'), { recursive: true });
    await cp(fx.dataDir, join(root, 'artifacts/data/shards'), { recursive: true });
    // the default dataset is a different one (another manifest), so eval must pick artifacts/data/raw
    await writeFile(
      join(root, 'artifacts/data/shards/manifest.json'),
      `${await readFile(join(fx.dataDir, 'manifest.json'), 'utf8')} `,
    );
    const cwd = process.cwd();
    process.chdir(root);
    try {
      const r = await evaluateRun({ run: fx.runDir, sample: 30, workers: 1 });
      expect(r.report.data.dir).toBe('artifacts/data/raw');
      expect(r.report.data.matchesTraining).toBe(true);
      expect(r.reportDir).toBe(join(await realpath(root), 'artifacts/reports', FIXTURE_RUN));
    } finally {
      process.chdir(cwd);
    }
  });

  it('without --data, finds the dataset where the model says it was trained (prepared with --out elsewhere)', async () => {
    const root = await mkdtemp(join(tmpdir(), 'hcr-eval-recorded-'));
    const run = join(root, 'model');
    await cp(fx.runDir, run, { recursive: true });
    const meta = JSON.parse(await readFile(join(run, 'metadata.json'), 'utf8'));
    meta.trainingConfig = { ...meta.trainingConfig, data: fx.dataDir };
    await writeFile(join(run, 'metadata.json'), JSON.stringify(meta));
    const cwd = process.cwd();
    process.chdir(root); // no artifacts/data here
    try {
      const r = await evaluateRun({ run, sample: 30, workers: 1, outDir: join(root, 'reports') });
      expect(resolve(root, r.report.data.dir)).toBe(await realpath(fx.dataDir));
      expect(r.report.data.matchesTraining).toBe(true);
    } finally {
      process.chdir(cwd);
    }
  });

  it('names the report after the directory evaluated: a copy of a model never replaces the original report', async () => {
    const outDir = await mkdtemp(join(tmpdir(), 'hcr-eval-names-'));
    const models = join(outDir, 'models');
    await cp(fx.runDir, join(models, FIXTURE_RUN), { recursive: true });
    await cp(fx.runDir, join(models, 'm-copy'), { recursive: true });
    await symlink(FIXTURE_RUN, join(models, 'latest'));
    const opts = { modelsDir: models, dataDir: fx.dataDir, outDir, sample: 20, workers: 1 };
    const original = await evaluateRun({ ...opts, run: FIXTURE_RUN });
    expect(original.reportDir).toBe(join(outDir, FIXTURE_RUN));
    // the copy holds the same metadata id, and still reports beside the original, not over it
    const copy = await evaluateRun({ ...opts, run: join(models, 'm-copy') });
    expect(copy.reportDir).toBe(join(outDir, 'm-copy'));
    expect(copy.report.model.id).toBe(FIXTURE_RUN);
    // `latest` (the default run) reports under the run it points at
    const latest = await evaluateRun({ ...opts, force: true });
    expect(latest.reportDir).toBe(join(outDir, FIXTURE_RUN));
    expect((await readdir(outDir)).sort()).toEqual(['latest', 'm-copy', 'models', FIXTURE_RUN]);
  });

  it('refuses an existing report without --force and writes nothing', async () => {
    await expect(
      evaluateRun({ run: FIXTURE_RUN, modelsDir: fx.modelsDir, dataDir: fx.dataDir, outDir: out }),
    ).rejects.toMatchObject({
      code: 'REPORT_EXISTS',
      message: expect.stringMatching(/--force/),
    });
    expect((await readdir(out)).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('names an unknown run and lists the known ones', async () => {
    await expect(
      evaluateRun({ run: 'nope', modelsDir: fx.modelsDir, dataDir: fx.dataDir, outDir: out }),
    ).rejects.toMatchObject({
      code: 'RUN_UNKNOWN',
      message: expect.stringContaining(FIXTURE_RUN),
    });
    await expect(
      evaluateRun({ modelsDir: join(out, 'no-models'), dataDir: fx.dataDir, outDir: out }),
    ).rejects.toMatchObject({
      code: 'MODEL_NONE',
      message: expect.stringMatching(/hcr train/),
    });
  });

  it('tells how to prepare missing shards', async () => {
    const outDir = await mkdtemp(join(tmpdir(), 'hcr-eval-noshards-'));
    await expect(
      evaluateRun({ run: fx.runDir, dataDir: join(outDir, 'missing'), outDir }),
    ).rejects.toMatchObject({ code: 'SHARDS_MISSING', message: expect.stringMatching(/hcr data prepare/) });
    expect(await readdir(outDir)).toEqual([]);
  });

  it('refuses a calibration lacking a field it reports (fittedOn), naming metadata.json and the field', async () => {
    const outDir = await mkdtemp(join(tmpdir(), 'hcr-eval-calibration-'));
    const run = join(outDir, 'models', 'run');
    await cp(fx.runDir, run, { recursive: true });
    const meta = JSON.parse(await readFile(join(fx.runDir, 'metadata.json'), 'utf8'));
    // temperatures alone passed, and the report page printed "fitted on undefined"
    const calibration = { ...uniformCalibration(0.5), singleTemperature: 0.5 };
    await writeFile(join(run, 'metadata.json'), JSON.stringify({ ...meta, calibration }));
    await expect(
      evaluateRun({ run, dataDir: fx.dataDir, workers: 1, outDir: join(outDir, 'reports') }),
    ).rejects.toMatchObject({
      code: 'METADATA_INVALID',
      message: `${run}/metadata.json: The calibration's fittedOn is missing, not a string. Calibrate the model again: \`pnpm hcr calibrate ${run}\`.`,
    });
  });

  it('refuses a model whose metadata does not match it, and a stale ONNX export', async () => {
    const outDir = await mkdtemp(join(tmpdir(), 'hcr-eval-mismatch-'));
    const run = join(outDir, 'models', 'run');
    await cp(fx.runDir, run, { recursive: true });
    const meta = JSON.parse(await readFile(join(fx.runDir, 'metadata.json'), 'utf8'));

    await writeFile(
      join(run, 'metadata.json'),
      JSON.stringify({ ...meta, classNames: meta.classNames.slice(0, 10) }),
    );
    // The same code and message as @hcr/model's loadMetadata gives for this file.
    await expect(evaluateRun({ run, dataDir: fx.dataDir, workers: 1, outDir })).rejects.toMatchObject({
      code: 'METADATA_INVALID',
      message: expect.stringContaining(join(run, 'metadata.json')),
    });

    await writeFile(join(run, 'metadata.json'), JSON.stringify({ ...meta, inputShape: [32, 32, 1] }));
    await expect(evaluateRun({ run, dataDir: fx.dataDir, workers: 1, outDir })).rejects.toMatchObject({
      code: 'MODEL_INPUT_MISMATCH',
    });

    // a model with 10 outputs next to metadata naming 36 classes
    await initEngine({ engine: 'wasm', purpose: 'infer', log: () => {} });
    await saveLayersModel(buildTinyModel(1, 10), run);
    await writeFile(join(run, 'metadata.json'), JSON.stringify(meta));
    await expect(
      evaluateRun({ run, dataDir: fx.dataDir, workers: 1, outDir, engine: 'wasm' }),
    ).rejects.toMatchObject({
      code: 'MODEL_CLASSES_MISMATCH',
      message: expect.stringMatching(/outputs \[10\]/),
    });

    await cp(join(fx.runDir, 'model.json'), join(run, 'model.json'));
    await cp(join(fx.runDir, 'weights.bin'), join(run, 'weights.bin'));
    await writeFile(join(run, 'metadata.json'), JSON.stringify({ ...meta, id: 'retrained-run' }));
    await expect(
      evaluateRun({ run, dataDir: fx.dataDir, workers: 1, outDir, runtime: 'onnx' }),
    ).rejects.toMatchObject({
      code: 'ONNX_STALE',
      message: expect.stringMatching(/hcr export onnx/),
    });
    // the same run name, retrained: the export of the earlier run is stale too
    await writeFile(join(run, 'metadata.json'), JSON.stringify({ ...meta, uid: 'run-a' }));
    await writeOnnx(join(run, 'model.onnx'), (await exportModelFile(run)).bytes);
    await writeFile(join(run, 'metadata.json'), JSON.stringify({ ...meta, uid: 'run-b' }));
    await expect(
      evaluateRun({ run, dataDir: fx.dataDir, workers: 1, outDir, runtime: 'onnx' }),
    ).rejects.toMatchObject({ code: 'ONNX_STALE', message: expect.stringMatching(/earlier run .*run-a/) });
    await rm(join(run, 'model.onnx'));
    await writeFile(join(run, 'metadata.json'), JSON.stringify(meta));
    await expect(
      evaluateRun({ run, dataDir: fx.dataDir, workers: 1, outDir, runtime: 'both' }),
    ).rejects.toMatchObject({
      code: 'ONNX_MISSING',
      message: expect.stringMatching(/hcr export onnx/),
    });
    expect((await readdir(outDir)).sort()).toEqual(['models']);
  });

  it('refuses a report folder that would replace the model directory it reads', async () => {
    const outDir = await mkdtemp(join(tmpdir(), 'hcr-eval-over-'));
    const run = join(outDir, 'run');
    await cp(fx.runDir, run, { recursive: true });
    await expect(
      evaluateRun({ run, dataDir: fx.dataDir, outDir, force: true, workers: 1, sample: 10 }),
    ).rejects.toMatchObject({ code: 'REPORT_OVER_MODEL', message: expect.stringContaining(run) });
    expect((await readdir(run)).sort()).toEqual((await readdir(fx.runDir)).sort());
  });

  it('compares two reports per class and writes compare.json + index.html', async () => {
    const outDir = await mkdtemp(join(tmpdir(), 'hcr-eval-compare-'));
    const bRun = join(outDir, 'models', 'tiny-b');
    await cp(fx.runDir, bRun, { recursive: true });
    const meta = JSON.parse(await readFile(join(bRun, 'metadata.json'), 'utf8'));
    await writeFile(join(bRun, 'metadata.json'), JSON.stringify({ ...meta, id: 'tiny-b', uid: 'uid-of-b' }));
    const a = first.report;
    const b = (
      await evaluateRun({ run: bRun, dataDir: fx.dataDir, outDir, runtime: 'tfjs', sample: 150, workers: 1 })
    ).report;
    expect(b.model.uid).toBe('uid-of-b');
    expect(b.model.weightsSha256).toBe(a.model.weightsSha256); // a copy: the same weights
    expect(b.model.onnxSha256).toBeNull(); // tfjs only
    await cp(first.reportDir, join(outDir, FIXTURE_RUN), { recursive: true });
    const { compare, dir } = await compareReports({ a: FIXTURE_RUN, b: 'tiny-b', outDir });
    expect(compare.a.id).toBe(FIXTURE_RUN);
    expect(compare.b.id).toBe('tiny-b');
    expect([compare.a.uid, compare.b.uid]).toEqual([null, 'uid-of-b']);
    expect(compare.sameData).toBe(false);
    expect(compare.dataDifferences).toEqual(['every image vs --sample 150']);
    expect(compare.perClass).toHaveLength(36);
    const i = 24;
    expect(compare.perClass[i]!.deltaF1).toBeCloseTo(b.perClass[i]!.f1 - a.perClass[i]!.f1, 5);
    expect(compare.headline[0]).toMatchObject({
      metric: 'overall accuracy',
      a: a.overall.accuracy,
      b: b.overall.accuracy,
    });
    expect((await readdir(dir)).sort()).toEqual(['compare.json', 'index.html']);
    expect(await readFile(join(dir, 'index.html'), 'utf8')).toContain('tiny-b');
    await expect(compareReports({ a: FIXTURE_RUN, b: 'tiny-b', outDir })).rejects.toMatchObject({
      code: 'REPORT_EXISTS',
    });
    await expect(compareReports({ a: FIXTURE_RUN, b: 'missing', outDir })).rejects.toMatchObject({
      code: 'RUN_UNKNOWN',
      message: expect.stringMatching(/hcr eval missing/),
    });
  });

  it('compares reports of the same images as such, and says why other reports differ', async () => {
    const outDir = await mkdtemp(join(tmpdir(), 'hcr-eval-compare-data-'));
    const write = async (name: string, change: (r: EvalReport) => EvalReport) => {
      await mkdir(join(outDir, name), { recursive: true });
      await writeFile(join(outDir, name, 'eval.json'), JSON.stringify(change(first.report)));
    };
    await write('same', (r) => r);
    await write('same-again', (r) => r); // one report named twice is COMPARE_SAME (compare-same.test.ts)
    await write('sampled', (r) => ({ ...r, data: { ...r.data, sample: 100 } }));
    await write('other-data', (r) => ({
      ...r,
      data: { ...r.data, dir: 'd2', manifestSha256: 'f'.repeat(64) },
    }));
    const same = await compareReports({ a: 'same', b: 'same-again', outDir, force: true });
    expect(same.compare).toMatchObject({ sameData: true, dataDifferences: [] });
    const sampled = await compareReports({ a: 'same', b: 'sampled', outDir });
    expect(sampled.compare.dataDifferences).toEqual(['every image vs --sample 100']);
    expect(await readFile(join(sampled.dir, 'index.html'), 'utf8')).toContain(
      'scored different images (every image vs --sample 100)',
    );
    const other = await compareReports({ a: 'same', b: 'other-data', outDir });
    expect(other.compare.sameData).toBe(false);
    expect(other.compare.dataDifferences[0]).toMatch(/^dataset .* vs d2 \(manifest ffffffffffff\)$/);
  });

  it('refuses a line reader report beside a character report with the reason, not "evaluate it first"', async () => {
    const outDir = await mkdtemp(join(tmpdir(), 'hcr-eval-compare-lines-'));
    await cp(first.reportDir, join(outDir, 'chars'), { recursive: true });
    await mkdir(join(outDir, 'reader-run'));
    await writeFile(join(outDir, 'reader-run', 'lines.json'), '{"formatVersion":1,"task":"line"}');
    for (const [a, b] of [
      ['chars', 'reader-run'],
      ['chars', join(outDir, 'reader-run', 'lines.json')],
    ] as const)
      await expect(compareReports({ a, b, outDir })).rejects.toMatchObject({
        code: 'COMPARE_UNSUPPORTED',
        message: expect.stringMatching(
          /line reader's report .*the other a character model's: --compare takes two of one kind/,
        ),
      });
    expect((await readdir(outDir)).sort()).toEqual(['chars', 'reader-run']);
  });
});
