import { cp, lstat, readdir, stat, unlink } from 'node:fs/promises';
import { basename, join, relative, resolve, sep } from 'node:path';
import {
  type ConfidenceCalibration,
  calibrateProbabilities,
  checkCalibration,
  HcrError,
  isHcrError,
  type ModelMetadata,
  type SourceName,
  writeDirAtomic,
  writeFileAtomic,
  writeJsonAtomic,
} from '@hcr/core';
import { openDataset } from '@hcr/data/reader';
import type { EngineName } from '@hcr/engine';
import { type EvalMetrics, evaluatePredictions, reliabilityBySource } from './evaluate.js';
import { renderIndexHtml } from './html.js';
import { DEFAULT_MODELS_DIR, type ModelRun, readTrainingMetrics, resolveModelRun } from './model-files.js';
import { type EvalEnvironment, evalEnvironment, runProvenance } from './provenance.js';
import { checkModelAgainstData, type EvalImages, loadImages, trainingDatasetDir } from './report-data.js';
import { PICTURES, renderReportPictures } from './report-pictures.js';
import { compareRuntimes, makePredictor, runRuntime } from './report-runtimes.js';
import { ONNX_FILE } from './runtimes/onnx.js';
import type { Predictor, RuntimeName } from './runtimes/predictor.js';

export const DEFAULT_REPORTS_DIR = 'artifacts/reports';
export const LATEST = 'latest';

export type RuntimeChoice = RuntimeName | 'both';

export interface EvalOptions {
  /** Run id under `modelsDir`, or a model directory; default `latest`. */
  run?: string;
  modelsDir?: string;
  /** Prepared dataset (shards + manifest). */
  dataDir?: string;
  /** Reports root; the report goes to `<outDir>/<run>` (`reportNameOf`) and is copied to `<outDir>/latest`. */
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
  /** Bumped only when a field is removed, renamed or changes meaning (README: "eval.json and lines.json"). */
  formatVersion: 1;
  model: {
    id: string;
    /** metadata.json's uid: unique per training run (null when it has none). Absent in reports made before it. */
    uid?: string | null;
    dir: string;
    /** sha256 of the weights.bin evaluated (null when the model has none). Absent in older reports. */
    weightsSha256?: string | null;
    /** sha256 of the ONNX file evaluated; null when no ONNX runtime ran. Absent in older reports. */
    onnxSha256?: string | null;
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
  /**
   * Where, when and with what the report was made. With `timing`, the only fields that differ between two
   * evaluations of the same model and data. Absent in older reports.
   */
  environment?: EvalEnvironment;
  /** Wall-clock numbers; everything outside this field and `environment` is deterministic for the same model and data. */
  timing: { runtimes: RuntimeTiming[] };
}

export interface EvalResult {
  report: EvalReport;
  reportDir: string;
  latestDir: string;
  indexHtml: string;
}

/** The model's calibration from metadata.json; a malformed one is an error naming the fix. */
function modelCalibration(run: ModelRun): ConfidenceCalibration | undefined {
  try {
    return checkCalibration(run.metadata.calibration);
  } catch (e) {
    // checkCalibration names the field (CALIBRATION_INVALID); said here of the file it was read from
    throw new HcrError(
      'METADATA_INVALID',
      `${run.dir}/metadata.json: ${isHcrError(e) ? e.problem : `${(e as Error).message}.`}`,
      {
        hint: `Calibrate the model again: \`pnpm hcr calibrate ${run.dir}\`.`,
        cause: e,
      },
    );
  }
}

async function modelSection(run: ModelRun, onnxFile: string | undefined): Promise<EvalReport['model']> {
  const m: ModelMetadata = run.metadata;
  return {
    ...(await runProvenance(run, onnxFile)),
    trainedOnManifestSha256: m.dataManifestSha256,
    trainingEngine: m.engine,
    trainingMetrics: m.metrics ?? {},
  };
}

/**
 * The folder under `--out` a run's report goes to: the name of the directory evaluated (what `hcr eval <run>`
 * takes; `latest` resolves to the run it points at), so evaluating a copy of a model never replaces the original's
 * report. `hcr train` names a run's directory by its id, so for trained runs this is the id; a directory whose
 * name is reserved (`latest`) or not one plain folder name reports under the metadata id.
 */
export function reportNameOf(run: ModelRun): string {
  const name = basename(run.dir);
  return name !== LATEST && /^\w[\w.+-]*$/.test(name) ? name : run.id;
}

/** Refuses a report folder that is, or holds, a model directory it reads: `--force` would replace the model. */
export function checkReportOverModels(reportDir: string, modelDirs: readonly string[]): void {
  const under = modelDirs.find((d) => d === reportDir || d.startsWith(`${reportDir}${sep}`));
  if (under)
    throw new HcrError(
      'REPORT_OVER_MODEL',
      `The report would go to ${reportDir}, which is the model directory ${under} or holds it; writing it would replace the model.`,
      { hint: 'Pass --out <dir> outside the models directory (default artifacts/reports).' },
    );
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * `hcr eval`: predictions on the test and generalisation splits with one or both runtimes, every metric,
 * the pictures and index.html, built in a temp directory and renamed into `<outDir>/<run>` (the directory
 * evaluated: `reportNameOf`), then copied to `<outDir>/latest`.
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
  const reportName = reportNameOf(run);
  const reportDir = join(outDir, reportName);
  if (reportName === LATEST)
    throw new HcrError('RUN_ID_RESERVED', `The run id '${LATEST}' is reserved for the report pointer.`, {
      hint: 'Give the model a different id in its metadata.json.',
    });
  checkReportOverModels(reportDir, [run.dir]);
  if (!opts.force && (await exists(reportDir)))
    throw new HcrError('REPORT_EXISTS', `A report for run '${reportName}' already exists: ${reportDir}.`, {
      hint: 'Pass --force to replace it, or --out <dir> to write elsewhere.',
    });

  const dataset = await openDataset(opts.dataDir ?? (await trainingDatasetDir(run, log)));
  checkModelAgainstData(run, dataset);
  // a malformed calibration is refused before minutes of predictions, not after them
  const applied = modelCalibration(run);
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
    // the ONNX file hashed is the one onnxPredictor read (--onnx, else <modelDir>/model.onnx)
    model: await modelSection(
      run,
      runtimes.includes('onnx') ? (opts.onnxFile ?? join(run.dir, ONNX_FILE)) : undefined,
    ),
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
    environment: evalEnvironment(),
    timing: { runtimes: results.map((r) => r.timing) },
  };
  for (const [name, r] of Object.entries(rawBySource))
    report.calibration.uncalibrated.sources[name as SourceName] = r!.ece;
  if (trainingRows.length === 0) delete report.pictures.learningCurves;
  if (!report.data.matchesTraining)
    log(
      `  note: the dataset (manifest ${dataset.manifestSha256.slice(0, 12)}) is not the one the model was trained on (${run.metadata.dataManifestSha256.slice(0, 12)})`,
    );

  const pictures = renderReportPictures({
    images,
    probs: primary.probs,
    metrics,
    calibratedBySource,
    rawBySource,
    applied,
    trainingRows,
    trainingConfig: report.model.trainingConfig,
  });
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
  // writeDirAtomic writes through a link: a `latest` linked to a report would have that report replaced
  if ((await lstat(latestDir).catch(() => undefined))?.isSymbolicLink()) await unlink(latestDir);
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
