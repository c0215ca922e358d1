import { cp, readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import {
  type ConfidenceCalibration,
  calibrateProbabilities,
  checkCalibration,
  createRng,
  HcrError,
  labelSpace,
  type ModelMetadata,
  type SourceName,
  writeDirAtomic,
  writeFileAtomic,
  writeJsonAtomic,
} from '@hcr/core';
import {
  type Dataset,
  DEFAULT_DATASET_DIR,
  defaultDatasetDir,
  MANIFEST_FILE,
  openDataset,
  type SplitData,
  sha256,
} from '@hcr/data';
import type { EngineName } from '@hcr/engine';
import { renderClassF1 } from './charts/class-f1.js';
import { renderConfusionMatrix } from './charts/confusion.js';
import { renderLearningCurves } from './charts/learning-curves.js';
import { renderReliabilityPanels } from './charts/reliability.js';
import {
  type MistakeGroup,
  renderMistakeGallery,
  renderPredictionGrid,
  type ShownSample,
} from './charts/samples.js';
import { type EvalMetrics, evaluatePredictions, reliabilityBySource } from './evaluate.js';
import { renderIndexHtml } from './html.js';
import { argmaxAll, round6 } from './metrics.js';
import { DEFAULT_MODELS_DIR, type ModelRun, readTrainingMetrics, resolveModelRun } from './model-files.js';
import { onnxPredictor } from './runtimes/onnx.js';
import { type ImageSet, type Predictor, predictAll, type RuntimeName } from './runtimes/predictor.js';
import { tfjsPredictor } from './runtimes/tfjs.js';
import { DEFAULT_TFJS_WORKERS, tfjsPoolPredictor } from './runtimes/tfjs-pool.js';

export const DEFAULT_REPORTS_DIR = 'artifacts/reports';
export const LATEST = 'latest';

export type RuntimeChoice = RuntimeName | 'both';

export interface EvalOptions {
  /** Run id under `modelsDir`, or a model directory; default `latest`. */
  run?: string;
  modelsDir?: string;
  /** Prepared dataset (shards + manifest). */
  dataDir?: string;
  /** Reports root; the report goes to `<outDir>/<run id>` and is copied to `<outDir>/latest`. */
  outDir?: string;
  runtime?: RuntimeChoice;
  /** tfjs engine (auto picks node, else wasm). */
  engine?: EngineName;
  /** tfjs worker threads, one engine each (default: up to 2 = the cores here); 1 runs in-process. */
  workers?: number;
  /** ONNX file for the onnx runtime (default `<modelDir>/model.onnx`). */
  onnxFile?: string;
  /** Replace an existing report of the same run. */
  force?: boolean;
  /** Evaluate a seeded random sample of this many images per split instead of all (quick looks, tests). */
  sample?: number;
  batchSize?: number;
  log?: (line: string) => void;
}

/** Timing of one runtime: the only non-deterministic part of eval.json. */
export interface RuntimeTiming {
  runtime: RuntimeName;
  description: string;
  images: number;
  /** Batches in flight at once (tfjs worker threads); 1 in-process. */
  workers: number;
  seconds: number;
  imagesPerSecond: number;
}

/** How far two runtimes agree on the same images. */
export interface RuntimeAgreement {
  runtimes: [RuntimeName, RuntimeName];
  images: number;
  samePrediction: number;
  samePredictionShare: number;
  /** Test-split accuracy of each runtime and their difference, in percentage points. */
  accuracy: Record<RuntimeName, number>;
  accuracyDeltaPoints: number;
  maxAbsProbabilityDiff: number;
  /** >= 99.99% same predictions and accuracy within 0.01 points. */
  agree: boolean;
}

export interface EvalReport extends EvalMetrics {
  formatVersion: 1;
  model: {
    id: string;
    dir: string;
    architecture: string;
    commit: string;
    createdAt: string;
    trainedOnManifestSha256: string;
    trainingEngine: string;
    trainingConfig: Record<string, unknown>;
    trainingMetrics: Record<string, number>;
  };
  data: {
    dir: string;
    manifestSha256: string;
    /** False when the model was trained on a differently prepared dataset. */
    matchesTraining: boolean;
    letterSource: string;
    characterNormalisation: string;
    splits: Record<string, number>;
    sample: number | null;
  };
  /** The runtime whose predictions the metrics come from; `runtimes` lists every runtime that ran. */
  runtime: RuntimeName;
  runtimes: { runtime: RuntimeName; description: string }[];
  agreement: RuntimeAgreement | null;
  pictures: Record<string, string>;
  /**
   * The metrics above use calibrated probabilities when the model has a calibration (`applied`);
   * `uncalibrated` keeps the raw model's ECE, overall and per source, for comparison.
   */
  calibration: EvalMetrics['calibration'] & {
    applied: ConfidenceCalibration | null;
    uncalibrated: { ece: number; sources: Partial<Record<SourceName, number>> };
  };
  /** Wall-clock numbers; everything outside this field is deterministic for the same model and data. */
  timing: { runtimes: RuntimeTiming[] };
}

export interface EvalResult {
  report: EvalReport;
  reportDir: string;
  latestDir: string;
  indexHtml: string;
}

/** The evaluated images: the test split and the generalisation split, in one set. */
interface EvalImages extends ImageSet {
  labels: Uint8Array;
  sources: Uint8Array;
  splits: Record<string, number>;
}

const PICTURES = {
  confusion: 'confusion.png',
  confusionNormalised: 'confusion-normalised.png',
  predictions: 'predictions.png',
  mistakes: 'mistakes.png',
  classF1: 'class-f1.png',
  learningCurves: 'learning-curves.png',
  reliability: 'reliability.png',
} as const;

function checkModelAgainstData(run: ModelRun, dataset: Dataset): void {
  const m = run.metadata;
  const manifest = dataset.manifest;
  const modelSpace = labelSpace(m.labelSpace ?? 'hcr36');
  if (modelSpace.id !== dataset.labelSpace.id)
    throw new HcrError(
      'LABEL_SPACE_MISMATCH',
      `The model ${run.id} answers in label space ${modelSpace.id} (${modelSpace.classes.length} classes), but the dataset in ${dataset.dir} was prepared with ${dataset.labelSpace.id} (${dataset.labelSpace.classes.length} classes).`,
      {
        hint: `Evaluate it on a dataset prepared with \`hcr data prepare --labels ${modelSpace.classes.length}\` (default ${defaultDatasetDir(modelSpace)}): pass --data, or omit --data to use the dataset the model was trained on.`,
      },
    );
  if (manifest.classNames.join('') !== m.classNames.join(''))
    throw new HcrError(
      'DATA_CLASSES_MISMATCH',
      `The dataset in ${dataset.dir} has classes ${manifest.classNames.join('')}; the model has ${m.classNames.join('')}.`,
      { hint: 'Evaluate with the dataset the model was trained for (--data <dir>).' },
    );
  if (manifest.imageShape.join(',') !== m.inputShape.join(','))
    throw new HcrError(
      'MODEL_INPUT_MISMATCH',
      `The dataset images are [${manifest.imageShape.join(', ')}]; the model takes [${m.inputShape.join(', ')}].`,
      { hint: 'Evaluate with the dataset the model was trained for (--data <dir>).' },
    );
  if (m.characterNormalisation && manifest.config.normalise !== m.characterNormalisation)
    throw new HcrError(
      'DATA_NORMALISATION_MISMATCH',
      `The model was trained on '${m.characterNormalisation}' character normalisation; the dataset in ${dataset.dir} uses '${manifest.config.normalise}'.`,
      {
        hint: `Pass a dataset prepared with \`hcr data prepare --normalise ${m.characterNormalisation}\` via --data.`,
      },
    );
}

/**
 * Without --data: the default dataset, unless the model was trained on another prepared dataset next to
 * it (e.g. `artifacts/data/shards-raw` for a seed-recipe model): found by the manifest sha256 recorded in
 * metadata.json, so the model is scored on the data it was made for. Not found: the default dataset of the
 * model's label space (`artifacts/data/shards-62` for a 62-class model).
 */
async function trainingDatasetDir(run: ModelRun, log: (line: string) => void): Promise<string> {
  const parent = dirname(resolve(DEFAULT_DATASET_DIR));
  const entries = await readdir(parent, { withFileTypes: true }).catch(() => []);
  const dirs = [
    resolve(DEFAULT_DATASET_DIR),
    ...entries.filter((e) => e.isDirectory()).map((e) => join(parent, e.name)),
  ];
  for (const dir of dirs) {
    const text = await readFile(join(dir, MANIFEST_FILE), 'utf8').catch(() => undefined);
    if (text !== undefined && sha256(text) === run.metadata.dataManifestSha256) {
      if (dir !== resolve(DEFAULT_DATASET_DIR))
        log(
          `using ${relative(process.cwd(), dir)}: the dataset ${run.id} was trained on (pass --data to choose)`,
        );
      return dir;
    }
  }
  return defaultDatasetDir(labelSpace(run.metadata.labelSpace ?? 'hcr36'));
}

/** Seeded random subset of a split, in the original order (so it stays stratified-ish and reproducible). */
function sampleRows(count: number, n: number | undefined, seed: number): Uint32Array {
  const all = Uint32Array.from({ length: count }, (_, i) => i);
  if (n === undefined || n >= count) return all;
  const rng = createRng(seed);
  for (let i = 0; i < n; i++) {
    const j = i + rng.int(count - i);
    const t = all[i]!;
    all[i] = all[j]!;
    all[j] = t;
  }
  return all.subarray(0, n).sort();
}

async function loadImages(dataset: Dataset, sample: number | undefined): Promise<EvalImages> {
  const splits: SplitData[] = [await dataset.loadSplit('test')];
  if ((dataset.manifest.counts.extra?.total ?? 0) > 0) splits.push(await dataset.loadSplit('extra'));
  const shape = dataset.manifest.imageShape;
  const px = shape[0] * shape[1] * shape[2];
  const picks = splits.map((s, i) => sampleRows(s.count, sample, 1 + i));
  const count = picks.reduce((n, p) => n + p.length, 0);
  const out: EvalImages = {
    pixels: new Uint8Array(count * px),
    labels: new Uint8Array(count),
    sources: new Uint8Array(count),
    count,
    imageShape: shape,
    splits: {},
  };
  let at = 0;
  splits.forEach((s, k) => {
    for (const i of picks[k]!) {
      out.pixels.set(s.pixels.subarray(i * px, (i + 1) * px), at * px);
      out.labels[at] = s.labels[i]!;
      out.sources[at] = s.sources[i]!;
      at++;
    }
    out.splits[s.split] = picks[k]!.length;
  });
  if (count === 0)
    throw new HcrError('DATA_EMPTY', `The dataset in ${dataset.dir} has no test images.`, {
      hint: 'Rebuild it with `hcr data prepare --force`.',
    });
  return out;
}

async function makePredictor(runtime: RuntimeName, run: ModelRun, opts: EvalOptions): Promise<Predictor> {
  if (runtime === 'onnx') return onnxPredictor(run, { file: opts.onnxFile });
  const workers = opts.workers ?? DEFAULT_TFJS_WORKERS;
  return workers > 1
    ? tfjsPoolPredictor(run, { engine: opts.engine, workers })
    : tfjsPredictor(run, { engine: opts.engine, log: opts.log });
}

async function runRuntime(
  predictor: Predictor,
  run: ModelRun,
  images: EvalImages,
  opts: EvalOptions,
): Promise<{ probs: Float32Array; timing: RuntimeTiming }> {
  const t0 = performance.now();
  const probs = await predictAll(
    predictor,
    images,
    run.metadata.inputNormalisation,
    run.metadata.classNames.length,
    { batchSize: opts.batchSize },
  );
  const seconds = (performance.now() - t0) / 1000;
  return {
    probs,
    timing: {
      runtime: predictor.runtime,
      description: predictor.description,
      images: images.count,
      workers: predictor.concurrency ?? 1,
      seconds: round6(seconds),
      imagesPerSecond: Math.round(images.count / seconds),
    },
  };
}

/** Share of identical argmax predictions and the accuracy difference between two runtimes. */
export function compareRuntimes(
  names: [RuntimeName, RuntimeName],
  a: Float32Array,
  b: Float32Array,
  k: number,
  testAccuracy: (probs: Float32Array) => number,
): RuntimeAgreement {
  const pa = argmaxAll({ probs: a, k });
  const pb = argmaxAll({ probs: b, k });
  let same = 0;
  for (let i = 0; i < pa.length; i++) if (pa[i] === pb[i]) same++;
  let maxDiff = 0;
  for (let i = 0; i < a.length; i++) maxDiff = Math.max(maxDiff, Math.abs(a[i]! - b[i]!));
  const accA = testAccuracy(a);
  const accB = testAccuracy(b);
  const share = pa.length ? same / pa.length : 1;
  const delta = Math.abs(accA - accB) * 100;
  return {
    runtimes: names,
    images: pa.length,
    samePrediction: same,
    samePredictionShare: round6(share),
    accuracy: { [names[0]]: accA, [names[1]]: accB } as Record<RuntimeName, number>,
    accuracyDeltaPoints: round6(delta),
    maxAbsProbabilityDiff: Number(maxDiff.toPrecision(3)),
    agree: share >= 0.9999 && delta <= 0.01 + 1e-9,
  };
}

function testRowsOf(images: EvalImages): Uint32Array {
  return Uint32Array.from({ length: images.splits.test ?? 0 }, (_, i) => i);
}

/** Pictures of samples: a random grid and the most confident mistakes of the top confusions. */
function samplePictures(
  images: EvalImages,
  probs: Float32Array,
  metrics: EvalMetrics,
): { grid: ShownSample[]; mistakes: MistakeGroup[] } {
  const k = metrics.classNames.length;
  const predicted = argmaxAll({ probs, k });
  const shown = (i: number): ShownSample => ({
    index: i,
    label: images.labels[i]!,
    predicted: predicted[i]!,
    confidence: probs[i * k + predicted[i]!]!,
  });
  const test = testRowsOf(images);
  const rng = createRng(7);
  const grid: ShownSample[] = [];
  const picked = new Set<number>();
  while (grid.length < Math.min(60, test.length)) {
    const i = test[rng.int(test.length)]!;
    if (picked.has(i)) continue;
    picked.add(i);
    grid.push(shown(i));
  }
  // directed confusions (true -> predicted), most frequent first
  const directed: { t: number; p: number; n: number }[] = [];
  metrics.confusion.forEach((row, t) => {
    row.forEach((n, p) => {
      if (t !== p && n > 0) directed.push({ t, p, n });
    });
  });
  directed.sort((x, y) => y.n - x.n || x.t - y.t || x.p - y.p);
  const mistakes = directed.slice(0, 6).map(({ t, p, n }) => {
    const rows = [...test].filter((i) => images.labels[i] === t && predicted[i] === p);
    rows.sort((x, y) => probs[y * k + p]! - probs[x * k + p]! || x - y);
    return {
      title: `true ${metrics.classNames[t]} -> predicted ${metrics.classNames[p]} (${n} ${n === 1 ? 'error' : 'errors'}), most confident first`,
      samples: rows.slice(0, 10).map(shown),
    };
  });
  return { grid, mistakes };
}

/** The model's calibration from metadata.json; a malformed one is an error naming the fix. */
function modelCalibration(run: ModelRun): ConfidenceCalibration | undefined {
  try {
    return checkCalibration(run.metadata.calibration);
  } catch (e) {
    throw new HcrError('METADATA_INVALID', `${run.dir}/metadata.json: ${(e as Error).message}.`, {
      hint: `Calibrate the model again: \`pnpm hcr calibrate ${run.dir}\`.`,
    });
  }
}

function modelSection(run: ModelRun): EvalReport['model'] {
  const m: ModelMetadata = run.metadata;
  return {
    id: run.id,
    dir: relative(process.cwd(), run.dir) || '.',
    architecture: m.architecture,
    commit: m.commit,
    createdAt: m.createdAt,
    trainedOnManifestSha256: m.dataManifestSha256,
    trainingEngine: m.engine,
    trainingConfig: m.trainingConfig ?? {},
    trainingMetrics: m.metrics ?? {},
  };
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * `hcr eval`: predictions on the test and generalisation splits with one or both runtimes, every metric,
 * the pictures and index.html, built in a temp directory and renamed into `<outDir>/<run id>`, then
 * copied to `<outDir>/latest`.
 */
export async function evaluateRun(opts: EvalOptions = {}): Promise<EvalResult> {
  const log = opts.log ?? (() => {});
  const runtime = opts.runtime ?? 'tfjs';
  if (!['tfjs', 'onnx', 'both'].includes(runtime))
    throw new HcrError('RUNTIME_UNKNOWN', `Unknown runtime '${runtime}'.`, {
      hint: 'Use tfjs, onnx or both.',
    });
  if (opts.workers !== undefined && !(Number.isInteger(opts.workers) && opts.workers >= 1))
    throw new HcrError('WORKERS_INVALID', `--workers must be a positive integer, got ${opts.workers}.`, {
      hint: 'Use 1 for in-process tfjs, or the number of cores.',
    });
  if (opts.sample !== undefined && !(Number.isInteger(opts.sample) && opts.sample > 0))
    throw new HcrError('SAMPLE_INVALID', `--sample must be a positive integer, got ${opts.sample}.`, {
      hint: 'Omit it to evaluate every image.',
    });
  const run = await resolveModelRun(opts.run, opts.modelsDir ?? DEFAULT_MODELS_DIR);
  if (run.metadata.task === 'line')
    throw new HcrError(
      'MODEL_IS_READER',
      `${run.dir} is a line reader (metadata task 'line'), not a character model.`,
      {
        hint: '`hcr eval <run>` evaluates readers on lines; from code, call evaluateReader().',
      },
    );
  const outDir = resolve(opts.outDir ?? DEFAULT_REPORTS_DIR);
  const reportDir = join(outDir, run.id);
  if (run.id === LATEST)
    throw new HcrError('RUN_ID_RESERVED', `The run id '${LATEST}' is reserved for the report pointer.`, {
      hint: 'Give the model a different id in its metadata.json.',
    });
  if (!opts.force && (await exists(reportDir)))
    throw new HcrError('REPORT_EXISTS', `A report for run '${run.id}' already exists: ${reportDir}.`, {
      hint: 'Pass --force to replace it, or --out <dir> to write elsewhere.',
    });

  const dataset = await openDataset(opts.dataDir ?? (await trainingDatasetDir(run, log)));
  checkModelAgainstData(run, dataset);
  const runtimes: RuntimeName[] = runtime === 'both' ? ['tfjs', 'onnx'] : [runtime];
  // load every model first, so a missing or stale ONNX file fails before minutes of tfjs predictions
  const predictors: Predictor[] = [];
  const results: { probs: Float32Array; timing: RuntimeTiming }[] = [];
  let images: EvalImages;
  try {
    for (const r of runtimes) predictors.push(await makePredictor(r, run, opts));
    images = await loadImages(dataset, opts.sample);
    log(
      `evaluating ${run.id} on ${images.count} images (${Object.entries(images.splits)
        .map(([s, n]) => `${s} ${n}`)
        .join(', ')})`,
    );
    for (const predictor of predictors) {
      const result = await runRuntime(predictor, run, images, opts);
      log(
        `  ${result.timing.description}${result.timing.workers > 1 ? ` x${result.timing.workers} workers` : ''}: ${result.timing.imagesPerSecond} images/s (${result.timing.seconds.toFixed(1)} s)`,
      );
      results.push(result);
    }
  } finally {
    for (const p of predictors) await p.dispose();
  }
  // Confidences as the product reports them: the model's calibration (temperature 1 without one).
  const applied = modelCalibration(run);
  const raw = results[0]!.probs;
  for (const r of results) r.probs = calibrateProbabilities(r.probs, run.metadata.classNames, applied);
  const primary = results[0]!;
  const k = run.metadata.classNames.length;
  const metricsOf = (probs: Float32Array) =>
    evaluatePredictions({
      probs,
      labels: images.labels,
      sources: images.sources,
      classNames: run.metadata.classNames,
    });
  const metrics = metricsOf(primary.probs);
  const agreement =
    results.length === 2
      ? compareRuntimes(
          [runtimes[0]!, runtimes[1]!],
          primary.probs,
          results[1]!.probs,
          k,
          (p) => metricsOf(p).overall.accuracy,
        )
      : null;

  const rawSet = {
    probs: raw,
    labels: images.labels,
    sources: images.sources,
    classNames: run.metadata.classNames,
  };
  const uncalibrated = applied ? evaluatePredictions(rawSet).calibration : metrics.calibration;
  const rawBySource = reliabilityBySource(rawSet);
  const calibratedBySource = reliabilityBySource({ ...rawSet, probs: primary.probs });

  const trainingRows = await readTrainingMetrics(run.dir);
  const report: EvalReport = {
    formatVersion: 1,
    model: modelSection(run),
    data: {
      dir: relative(process.cwd(), dataset.dir) || '.',
      manifestSha256: dataset.manifestSha256,
      matchesTraining: dataset.manifestSha256 === run.metadata.dataManifestSha256,
      letterSource: dataset.manifest.letterSource,
      characterNormalisation: dataset.manifest.config.normalise,
      splits: images.splits,
      sample: opts.sample ?? null,
    },
    runtime: runtimes[0]!,
    runtimes: results.map((r) => ({ runtime: r.timing.runtime, description: r.timing.description })),
    agreement,
    ...metrics,
    calibration: {
      ...metrics.calibration,
      applied: applied ?? null,
      uncalibrated: { ece: uncalibrated.ece, sources: {} },
    },
    pictures: { ...PICTURES },
    timing: { runtimes: results.map((r) => r.timing) },
  };
  for (const [name, r] of Object.entries(rawBySource))
    report.calibration.uncalibrated.sources[name as SourceName] = r!.ece;
  if (trainingRows.length === 0) delete report.pictures.learningCurves;
  if (!report.data.matchesTraining)
    log(
      `  note: the dataset (manifest ${dataset.manifestSha256.slice(0, 12)}) is not the one the model was trained on (${run.metadata.dataManifestSha256.slice(0, 12)})`,
    );

  const { grid, mistakes } = samplePictures(images, primary.probs, metrics);
  const pictures: Record<string, Buffer> = {
    [PICTURES.confusion]: renderConfusionMatrix(metrics.confusion, metrics.classNames),
    [PICTURES.confusionNormalised]: renderConfusionMatrix(metrics.confusion, metrics.classNames, {
      normalised: true,
    }),
    [PICTURES.predictions]: renderPredictionGrid(images, grid, metrics.classNames, {
      title: 'Random test predictions (green: right, red: wrong; prediction, confidence, true class)',
    }),
    [PICTURES.mistakes]: renderMistakeGallery(images, mistakes, metrics.classNames),
    [PICTURES.classF1]: renderClassF1(metrics.perClass),
    [PICTURES.reliability]: renderReliabilityPanels(
      Object.entries(calibratedBySource).map(([name, r]) => ({
        title: name,
        bins: r!.reliability,
        ece: r!.ece,
        before: applied
          ? rawBySource[name as SourceName] && {
              bins: rawBySource[name as SourceName]!.reliability,
              ece: rawBySource[name as SourceName]!.ece,
            }
          : undefined,
      })),
      {
        title: applied
          ? 'Reliability per test source, calibrated (grey: the raw model)'
          : 'Reliability per test source (the model has no calibration)',
      },
    ),
  };
  if (trainingRows.length > 0) pictures[PICTURES.learningCurves] = renderLearningCurves(trainingRows);
  const html = renderIndexHtml(report, pictures, trainingRows);

  await writeDirAtomic(
    reportDir,
    async (tmp) => {
      for (const [name, png] of Object.entries(pictures)) await writeFileAtomic(join(tmp, name), png);
      await writeFileAtomic(join(tmp, 'index.html'), html);
      await writeJsonAtomic(join(tmp, 'eval.json'), report);
    },
    { replace: Boolean(opts.force) },
  );
  // a copy rather than a symlink: relative image paths keep working in every viewer
  const latestDir = join(outDir, LATEST);
  await writeDirAtomic(latestDir, (tmp) => cp(reportDir, tmp, { recursive: true }), { replace: true });
  return { report, reportDir, latestDir, indexHtml: join(reportDir, 'index.html') };
}

/** Runs that have a report under `outDir`. */
export async function listReports(outDir: string = DEFAULT_REPORTS_DIR): Promise<string[]> {
  const entries = await readdir(resolve(outDir), { withFileTypes: true }).catch(() => []);
  const out: string[] = [];
  for (const e of entries)
    if (
      e.isDirectory() &&
      !e.name.startsWith('.') &&
      (await exists(join(resolve(outDir), e.name, 'eval.json')))
    )
      out.push(e.name);
  return out.sort();
}
