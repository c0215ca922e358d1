import { HcrError } from '@hcr/core';
import { DEFAULT_DATASET_DIR } from '@hcr/data';
import type { EngineName } from '@hcr/engine';
import {
  compareReaderReports,
  compareReports,
  compareSummary,
  DEFAULT_MODELS_DIR,
  DEFAULT_REPORTS_DIR,
  evalSummary,
  evaluateReader,
  evaluateRun,
  isOnnxPath,
  parseRealSets,
  type RuntimeChoice,
  readerCompareSummary,
  readerReportDir,
  readerSummary,
  resolveModelRun,
} from '@hcr/eval';
import type { Command } from 'commander';
import { assertOutputFolder } from '../flags.js';
import { green, log, printJson, red } from '../output.js';

interface EvalCliOptions {
  runtime?: RuntimeChoice;
  engine: EngineName;
  data?: string;
  models: string;
  out: string;
  onnx?: string;
  force?: boolean;
  json?: boolean;
  sample?: string;
  workers?: string;
  compare?: string[];
  beam?: string;
  lines?: string;
  dataDir?: string;
  limit?: string;
  ensemble?: string;
  report?: string;
  real?: string;
  synthetic: boolean;
}

function positiveInt(value: string | undefined, flag: string, hint: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new HcrError(
      `${flag.slice(2).toUpperCase()}_INVALID`,
      `${flag} must be a positive integer, got '${value}'.`,
      {
        hint,
      },
    );
  return n;
}

/** Which kind of model a flag is for: a flag of the other kind is refused, never silently ignored. */
type ModelKind = 'character' | 'reader';

/**
 * Flags only one kind of model reads, with what the other kind takes instead. (--ensemble, --real,
 * --no-synthetic and --report, a reader's too, keep their own errors below.)
 */
const KIND_FLAGS: Record<
  'sample' | 'data' | 'workers' | 'limit' | 'beam' | 'lines' | 'dataDir',
  { flag: string; kind: ModelKind; problem: string; hint: string }
> = {
  sample: {
    flag: '--sample',
    kind: 'character',
    problem: '--sample is for character models; for a line reader use --limit',
    hint: 'Pass --limit <n> to read the first n lines of each source.',
  },
  data: {
    flag: '--data',
    kind: 'character',
    problem: "--data is a character model's prepared shards; a line reader reads --lines and --data-dir",
    hint: 'Pass --lines <dir> for the synthetic line dataset, --data-dir <dir> for the folder holding the dev sets.',
  },
  workers: {
    flag: '--workers',
    kind: 'character',
    problem: "--workers sets a character model's tfjs worker threads; a line reader is read in one process",
    hint: 'Leave --workers out.',
  },
  limit: {
    flag: '--limit',
    kind: 'reader',
    problem: '--limit is for line readers; for a character model use --sample',
    hint: 'Pass --sample <n> to evaluate a seeded random sample of n images per split.',
  },
  beam: {
    flag: '--beam',
    kind: 'reader',
    problem: "--beam is a line reader's CTC beam width; a character model has no decoder",
    hint: 'Leave --beam out.',
  },
  lines: {
    flag: '--lines',
    kind: 'reader',
    problem: "--lines is a line reader's synthetic line dataset; for a character model use --data",
    hint: 'Pass --data <shards dir> (default artifacts/data/shards, or the dataset the model was trained on).',
  },
  dataDir: {
    flag: '--data-dir',
    kind: 'reader',
    problem: "--data-dir is where a line reader's dev sets are looked for; for a character model use --data",
    hint: 'Pass --data <shards dir> (default artifacts/data/shards, or the dataset the model was trained on).',
  },
};

/**
 * Refuses a flag the user gave (not one holding its default: commander's value source says which) that only the
 * other kind of model reads; `kind` is the model evaluated. Each problem names both kinds and the flag to use.
 */
export function refuseOtherKindFlags(command: Command, kind: ModelKind): void {
  for (const [key, f] of Object.entries(KIND_FLAGS)) {
    const source = command.getOptionValueSource(key);
    if (f.kind === kind || source === undefined || source === 'default') continue;
    throw new HcrError('BAD_OPTION', `${f.problem}.`, { hint: f.hint });
  }
}

/** `hcr eval <reader run>`: the line evaluation (a run whose metadata.json says task 'line'). */
async function evalReader(run: string, opts: EvalCliOptions): Promise<void> {
  const result = await evaluateReader({
    run,
    modelsDir: opts.models,
    outDir: opts.out,
    runtime: opts.runtime,
    engine: opts.engine,
    onnxFile: opts.onnx,
    force: opts.force,
    beam: positiveInt(opts.beam, '--beam', 'Use 1 for best path, 8 (the default) for beam search.'),
    linesDir: opts.lines,
    dataDir: opts.dataDir,
    real: opts.real === undefined ? undefined : parseRealSets(opts.real),
    synthetic: opts.synthetic,
    limit: positiveInt(opts.limit, '--limit', 'Omit it to read every line.'),
    ensemble: opts.ensemble?.split(',').filter(Boolean),
    reportName: opts.report,
    log,
  });
  if (opts.json) return printJson(result.report);
  log(`${green('wrote')} ${result.reportDir}`);
  process.stdout.write(`${readerSummary(result.report, result.indexHtml)}\n`);
}

export function registerEval(program: Command): void {
  program
    .command('eval')
    .description(
      'evaluate a trained model: eval.json (lines.json for a line reader), pictures and index.html in artifacts/reports/<run>/',
    )
    .argument(
      '[run]',
      'run id under --models, a model directory (default: latest), or a reader .onnx file (one reader or a packed ensemble; onnxruntime only)',
    )
    .option(
      '--runtime <runtime>',
      'tfjs | onnx | both (both records how far they agree; default tfjs, for a line reader both when model.onnx exists)',
    )
    .option('--engine <engine>', 'tfjs engine: auto | wasm | cpu | node', 'auto')
    .option('--workers <n>', 'tfjs worker threads, one engine each (default: up to 2); 1 = in-process')
    .option(
      '--data <dir>',
      `prepared dataset (default: ${DEFAULT_DATASET_DIR}, or the dataset under artifacts/data whose manifest the model was trained on)`,
    )
    .option('--models <dir>', 'where run ids are looked up', DEFAULT_MODELS_DIR)
    .option(
      '--out <dir>',
      "reports root: the report goes to <out>/<run> (the name of the model directory evaluated; latest means the run it points at); a character model's report is also copied to <out>/latest, a line reader's is not",
      DEFAULT_REPORTS_DIR,
    )
    .option('--onnx <file>', 'ONNX model for --runtime onnx (default <modelDir>/model.onnx)')
    .option('--sample <n>', 'evaluate a seeded random sample of n images per split (quick look)')
    .option('--force', 'replace an existing report of the same run')
    .option('--json', 'print eval.json (or compare.json) on stdout')
    .option(
      '--compare <runs...>',
      'compare two existing reports, of character models (eval.json) or readers (lines.json, line by line: lines fixed and broken, and a sign test): --compare <A> <B>; warns when they were not measured on the same data',
    )
    .option('--beam <n>', 'line reader: beam width of the CTC decoder, 1..64 (default 8)')
    .option('--lines <dir>', 'line reader: synthetic line dataset (default artifacts/data/lines)')
    .option(
      '--data-dir <dir>',
      'line reader: folder holding handwritten-names-dev/ and handwritten-amounts-dev/ (default: HCR_DATA_DIR, ../shared/data)',
    )
    .option(
      '--real <sets>',
      'line reader: folders of real labelled lines to read instead of the dev sets, each under its field: names=<dir>,amounts=<dir> (a folder holds labels.tsv and its images, like the dev sets)',
    )
    .option('--no-synthetic', 'line reader: do not read the synthetic test lines')
    .option('--limit <n>', 'line reader: read only the first n lines of each source (quick look)')
    .option(
      '--ensemble <runs>',
      'line reader: read with these reader runs too, as one ensemble (comma-separated ids or dirs; report <run>+<run>+...)',
    )
    .option(
      '--report <name>',
      'line reader: the report folder under --out (default: the run directory name, <run>+<run>+... for an ensemble)',
    )
    .action(async (run: string | undefined, opts: EvalCliOptions, command: Command) => {
      // a report folder that cannot be made fails now, not after the whole evaluation (EEXIST from mkdir)
      assertOutputFolder(opts.out, '--out');
      if (opts.compare) {
        if (opts.compare.length !== 2 || run !== undefined)
          throw new HcrError('COMPARE_USAGE', '--compare takes exactly two runs and no other run argument.', {
            hint: 'Example: `hcr eval --compare seed-20261127-1105-ab12cd hcrnet-20261127-1205-ef34ab`.',
          });
        // two reader reports (lines.json): their sources and constraints, and line by line what changed
        if (opts.compare.every((ref) => readerReportDir(ref, opts.out) !== null)) {
          const { compare, dir } = await compareReaderReports({
            a: opts.compare[0]!,
            b: opts.compare[1]!,
            outDir: opts.out,
            force: opts.force,
          });
          for (const s of compare.sources.filter((x) => !x.paired))
            log(`${red('warning')} ${s.source} is not compared line by line: ${s.note}.`);
          if (opts.json) return printJson(compare);
          process.stdout.write(`${readerCompareSummary(compare, dir)}\n`);
          return;
        }
        const { compare, dir } = await compareReports({
          a: opts.compare[0]!,
          b: opts.compare[1]!,
          outDir: opts.out,
          force: opts.force,
        });
        // stderr, so --json stays one document; compare.json records the same in dataDifferences
        if (!compare.sameData)
          log(
            `${red('warning')} the two reports were not measured on the same images (${compare.dataDifferences.join('; ')}): the deltas are not like for like. Evaluate both the same way (same --data and --sample, or neither) to compare them.`,
          );
        // a formatVersion or calibration difference: an ECE delta would read as a model improvement
        for (const d of compare.measurementDifferences)
          log(`${red('warning')} the two reports were not measured alike: ${d}.`);
        if (opts.json) return printJson(compare);
        // A then B, as the page; the delta is B minus A
        process.stdout.write(`${compareSummary(compare, dir)}\n`);
        return;
      }
      // an ONNX file is a reader (one, or several packed): what hcr read and hcr serve load
      if (
        isOnnxPath(run) ||
        (run !== undefined && (await resolveModelRun(run, opts.models)).metadata.task === 'line')
      ) {
        refuseOtherKindFlags(command, 'reader');
        return evalReader(run, opts);
      }
      refuseOtherKindFlags(command, 'character');
      if (opts.ensemble)
        throw new HcrError('ENSEMBLE_INVALID', '--ensemble joins line readers; this is a character model.', {
          hint: 'Pass a reader run first: `hcr eval reader-pipeline --ensemble reader-s2,reader-s3`.',
        });
      if (opts.real !== undefined || !opts.synthetic)
        throw new HcrError(
          'REAL_SET_INVALID',
          '--real and --no-synthetic choose what a line reader reads; this is a character model.',
          {
            hint: 'Pass a reader run or a reader .onnx file: `hcr eval artifacts/model/reader/model.onnx --real names=<dir>`.',
          },
        );
      if (opts.report)
        throw new HcrError(
          'REPORT_NAME_INVALID',
          "--report names a line reader's report; this is a character model.",
          {
            hint: 'A character model reports to <out>/<run> (its directory name), copied to <out>/latest; use --out <dir> to write elsewhere.',
          },
        );
      let sample: number | undefined;
      if (opts.sample !== undefined) {
        sample = Number(opts.sample);
        if (!Number.isInteger(sample) || sample < 1)
          throw new HcrError('SAMPLE_INVALID', `--sample must be a positive integer, got '${opts.sample}'.`, {
            hint: 'Omit it to evaluate every image.',
          });
      }
      const result = await evaluateRun({
        run,
        modelsDir: opts.models,
        dataDir: opts.data,
        outDir: opts.out,
        runtime: opts.runtime ?? 'tfjs',
        engine: opts.engine,
        workers: opts.workers === undefined ? undefined : Number(opts.workers),
        onnxFile: opts.onnx,
        force: opts.force,
        sample,
        log,
      });
      if (opts.json) return printJson(result.report);
      log(`${green('wrote')} ${result.reportDir} (and ${result.latestDir})`);
      process.stdout.write(`${evalSummary(result.report, result.indexHtml)}\n`);
    });
}
