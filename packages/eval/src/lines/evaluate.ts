import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import {
  HcrError,
  type LineAlphabet,
  labelSpace,
  labelSpaceChoice,
  writeDirAtomic,
  writeFileAtomic,
  writeJsonAtomic,
} from '@hcr/core';
import { defaultLinesDir, sha256 } from '@hcr/data/reader';
import { DEFAULT_BEAM, MAX_BEAM } from '@hcr/decode';
import type { EngineName } from '@hcr/engine';
import { DEFAULT_MODELS_DIR, type ModelRun, resolveModelRun } from '../model-files.js';
import { evalEnvironment, runProvenance } from '../provenance.js';
import { checkReportOverModels, DEFAULT_REPORTS_DIR, type RuntimeChoice, reportNameOf } from '../report.js';
import type { RuntimeName } from '../runtimes/predictor.js';
import { anchorsOf, targetsOf } from './anchors.js';
import { renderLengthChart, renderReadSamples } from './charts.js';
import { constraintTitle } from './constraints.js';
import { evaluateSource, type SourceRun } from './evaluate-source.js';
import { readSamples } from './examples.js';
import { renderLinesHtml } from './html.js';
import { NAME_LEXICON_LOCALES, namesLexicon } from './lexicon.js';
import { DEFAULT_LINE_BATCH } from './read.js';
import { isOnnxPath, onnxFileLineRuntime, openReaderFile, type ReaderFile } from './reader-file.js';
import { checkFileOptions, ensembleRuns, makeRuntime, readerAlphabet } from './readers.js';
import { type LineReadsFile, type LinesReport, READS_JSON, type ReaderModelSection } from './report.js';
import type { LineRuntime } from './runtimes.js';
import {
  checkDataDir,
  checkRealSets,
  DEV_SET_NAMES,
  DEV_SETS,
  findDevSet,
  type LineSet,
  loadDevSet,
  loadSyntheticLines,
  type RealSetSpec,
  realSetName,
} from './sources.js';

export interface ReaderEvalOptions {
  /** Run id under `modelsDir`, or a reader directory (metadata.json with task 'line'). */
  run?: string;
  modelsDir?: string;
  /** tfjs, onnx, or both (default both when model.onnx exists, else tfjs). */
  runtime?: RuntimeChoice;
  /** tfjs engine (default wasm). */
  engine?: EngineName;
  /** ONNX file (default `<run dir>/model.onnx`). */
  onnxFile?: string;
  /**
   * More reader runs (ids or directories) read together with `run` as one ensemble (decodeCtcEnsemble); they
   * must share its alphabet, line height, frame stride and input normalisation. The report goes to
   * `<outDir>/<run>+<run>+...` (each run's directory name, `reportNameOf`).
   */
  ensemble?: string[];
  /** Beam width for every constraint, 1..64 (default 8). */
  beam?: number;
  /** Synthetic line dataset (default artifacts/data/lines); missing: the source is skipped with a note. */
  linesDir?: string;
  /** Where the real dev sets are looked for first (then HCR_DATA_DIR, the user cache, ../shared/data). */
  dataDir?: string;
  /**
   * Folders of real labelled lines to read instead of the dev sets (e.g. a held-out part of the same forms),
   * each under its field's constraints and named after its folder; the targets and Tesseract figures of
   * the dev set of the same field are shown beside it.
   */
  real?: RealSetSpec[];
  /** Read the synthetic test lines (default true). */
  synthetic?: boolean;
  /** Evaluate these sets instead of the default sources (tests, custom line sets). */
  sources?: LineSet[];
  /** Read only the first n lines of each source (quick looks, tests); recorded in lines.json. */
  limit?: number;
  /**
   * Reports root: the report goes to `<outDir>/<run>` (the directory evaluated, `reportNameOf`; a reader file: its
   * `hcr.model_id`), or `<outDir>/<reportName>`.
   */
  outDir?: string;
  /**
   * The report's folder name under `outDir` instead of the run's (e.g. the pipeline's ensemble reports as
   * `reader-pipeline`, not `reader-pipeline+reader-pipeline-bilstm`); one plain folder name.
   */
  reportName?: string;
  force?: boolean;
  batchSize?: number;
  log?: (line: string) => void;
}

export interface ReaderEvalResult {
  report: LinesReport;
  reportDir: string;
  indexHtml: string;
  /** The evaluated lines (for callers that show them); not written to lines.json. */
  sets: LineSet[];
}

function checkOptions(opts: ReaderEvalOptions): void {
  if (opts.runtime !== undefined && !['tfjs', 'onnx', 'both'].includes(opts.runtime))
    throw new HcrError('RUNTIME_UNKNOWN', `Unknown runtime '${opts.runtime}'.`, {
      hint: 'Use tfjs, onnx or both.',
    });
  if (opts.beam !== undefined && !(Number.isInteger(opts.beam) && opts.beam >= 1 && opts.beam <= MAX_BEAM))
    throw new HcrError(
      'BEAM_INVALID',
      `--beam must be a whole number from 1 to ${MAX_BEAM}, got ${opts.beam}.`,
      {
        hint: `Use 1 for best path, ${DEFAULT_BEAM} (the default) for beam search.`,
      },
    );
  if (opts.real) checkRealSets(opts.real);
  // folders the user named are the ones meant: a wrong path is an error, never a fallback or a skipped source
  if (!opts.sources) {
    if (opts.dataDir !== undefined && opts.real)
      throw new HcrError(
        'DATA_DIR_INVALID',
        '--data-dir is where the dev sets are looked for; --real reads other folders instead of them.',
        {
          hint: 'Pass one of them: --data-dir <folder holding the dev sets>, or --real names=<dir>,amounts=<dir>.',
        },
      );
    if (opts.dataDir !== undefined) checkDataDir(opts.dataDir);
    if (opts.linesDir !== undefined && opts.synthetic !== false && !existsSync(resolve(opts.linesDir)))
      throw new HcrError(
        'LINES_MISSING',
        `--lines ${resolve(opts.linesDir)} does not exist: there is no synthetic line dataset there.`,
        {
          hint: `Check the path, or build the dataset there (\`hcr data lines prepare --out ${opts.linesDir}\`); leave --lines out for the default (artifacts/data/lines), or pass --no-synthetic to read the real lines only.`,
        },
      );
  }
  if (opts.limit !== undefined && !(Number.isInteger(opts.limit) && opts.limit >= 1))
    throw new HcrError('LIMIT_INVALID', `--limit must be a positive whole number, got ${opts.limit}.`, {
      hint: 'Omit it to read every line.',
    });
  if (opts.reportName !== undefined && !/^[\w][\w.+-]*$/.test(opts.reportName))
    throw new HcrError(
      'REPORT_NAME_INVALID',
      `The report name must be one plain folder name (letters, digits, '_', '-', '+', '.'), got '${opts.reportName}'.`,
      { hint: 'Use --out <dir> to choose where reports go, and --report <name> for the folder inside it.' },
    );
  if (opts.batchSize !== undefined && !(Number.isInteger(opts.batchSize) && opts.batchSize >= 1))
    throw new HcrError(
      'BATCH_INVALID',
      `The batch size must be a positive whole number, got ${opts.batchSize}.`,
      {
        hint: `Omit it for ${DEFAULT_LINE_BATCH}.`,
      },
    );
}

/** One reader run's model section: its uid, files' hashes (the ONNX file when onnxruntime read it) and training. */
async function readerSection(run: ModelRun, onnxFile: string | undefined): Promise<ReaderModelSection> {
  return { ...(await runProvenance(run, onnxFile)), trainingMetrics: run.metadata.metrics ?? {} };
}

/**
 * The readers of an ONNX reader file: they share its path and hash; its hcr.metadata is the first reader's, so only
 * that one's training is known.
 */
function fileSections(file: ReaderFile): ReaderModelSection[] {
  const dir = relative(process.cwd(), file.path) || file.path;
  const onnxSha256 = sha256(file.bytes);
  const m = file.run.metadata;
  return file.members.map((member, i) => ({
    id: member.id,
    uid: member.uid ?? (i === 0 ? (m.uid ?? null) : null),
    dir,
    weightsSha256: null,
    onnxSha256,
    ...(i === 0
      ? {
          architecture: m.architecture,
          commit: m.commit,
          createdAt: m.createdAt,
          trainingConfig: m.trainingConfig ?? {},
          trainingMetrics: m.metrics ?? {},
        }
      : {}),
  }));
}

/** The default sources: synthetic test lines and both real dev sets; a missing one is skipped with the reason. */
async function defaultSources(
  opts: ReaderEvalOptions,
  alphabet: LineAlphabet,
  log: (line: string) => void,
): Promise<{ sets: LineSet[]; skipped: { source: string; reason: string }[] }> {
  const sets: LineSet[] = [];
  const skipped: { source: string; reason: string }[] = [];
  // a reader's own lines by default: artifacts/data/lines for hcr36, lines-62 for a case-sensitive reader
  const labels = labelSpaceChoice(labelSpace(alphabet.labelSpace));
  const linesDir = resolve(opts.linesDir ?? defaultLinesDir(labels));
  if (opts.synthetic !== false) {
    if (existsSync(linesDir)) sets.push(await loadSyntheticLines(linesDir, alphabet, opts.limit));
    else {
      const reason = `no synthetic line dataset at ${linesDir}: build the line shards first (the pipeline's line-shards task, or \`hcr data lines prepare${labels === 36 ? '' : ` --labels ${labels}`}\`), or pass --lines <dir>`;
      skipped.push({ source: 'synthetic-test', reason });
      log(`  skipping synthetic-test: ${reason}`);
    }
  }
  if (opts.real) {
    for (const set of opts.real)
      sets.push(await loadDevSet(set.dir, realSetName(set), set.field, opts.limit));
    return { sets, skipped };
  }
  for (const name of DEV_SET_NAMES) {
    const { dir, looked } = findDevSet(name, opts.dataDir);
    if (dir) sets.push(await loadDevSet(dir, name, DEV_SETS[name].field, opts.limit));
    else {
      const reason = `${name}/labels.tsv not found (looked in ${looked.join(', ')}): point HCR_DATA_DIR at the folder holding ${name}/ (in this project's checkouts: ../shared/data)`;
      skipped.push({ source: name, reason });
      log(`  skipping ${name}: ${reason}`);
    }
  }
  return { sets, skipped };
}

/**
 * `hcr eval <reader run>`: reads the synthetic test lines and the real dev sets with tfjs and/or
 * onnxruntime, decodes each under its constraints (none, the field's character class, the names lexicon),
 * scores CER / exact / full-string match overall and per length, and writes `lines.json`, one chart per
 * source and a self-contained `index.html` to `<outDir>/<run id>/` (built in a temp dir, renamed into place).
 */
export async function evaluateReader(opts: ReaderEvalOptions = {}): Promise<ReaderEvalResult> {
  const log = opts.log ?? (() => {});
  checkOptions(opts);
  const file = isOnnxPath(opts.run) ? await openReaderFile(opts.run) : undefined;
  if (file) checkFileOptions(file, opts);
  const run = file ? file.run : await resolveModelRun(opts.run, opts.modelsDir ?? DEFAULT_MODELS_DIR);
  const alphabet = readerAlphabet(run);
  const others = await ensembleRuns(run, opts);
  // a packed file's id already lists its readers (`a+b`)
  const reportId = [run, ...others].map((r) => r.id).join('+');
  const outDir = resolve(opts.outDir ?? DEFAULT_REPORTS_DIR);
  // named as a character report is (the directories evaluated); a file by the readers it holds
  const folder = file ? reportId : [run, ...others].map(reportNameOf).join('+');
  const reportDir = join(outDir, opts.reportName ?? folder);
  checkReportOverModels(
    reportDir,
    [run, ...others].map((r) => r.dir),
  );
  if (!opts.force && existsSync(reportDir))
    throw new HcrError('REPORT_EXISTS', `A report for run '${reportId}' already exists: ${reportDir}.`, {
      hint: 'Pass --force to replace it, or --out <dir> to write elsewhere.',
    });
  const beam = opts.beam ?? DEFAULT_BEAM;
  const batchSize = opts.batchSize ?? DEFAULT_LINE_BATCH;
  const choice =
    opts.runtime ??
    (file ? 'onnx' : existsSync(opts.onnxFile ?? join(run.dir, 'model.onnx')) ? 'both' : 'tfjs');
  const names: RuntimeName[] = choice === 'both' ? ['tfjs', 'onnx'] : [choice];

  // load the models first: a missing or stale ONNX file fails before any reading
  const runtimes: LineRuntime[] = [];
  const sourceRuns: SourceRun[] = [];
  let skipped: { source: string; reason: string }[] = [];
  let sets: LineSet[];
  const lexicon = namesLexicon(alphabet);
  try {
    for (const n of names)
      runtimes.push(file ? await onnxFileLineRuntime(file) : await makeRuntime(n, run, opts, others));
    if (opts.sources)
      sets = opts.sources.map((s) => (opts.limit ? { ...s, lines: s.lines.slice(0, opts.limit) } : s));
    else ({ sets, skipped } = await defaultSources(opts, alphabet, log));
    if (sets.length === 0)
      throw new HcrError(
        'LINES_NONE',
        'There is nothing to evaluate: no synthetic line dataset and no dev set found.',
        {
          hint: `Build the line shards (--lines <dir>), point HCR_DATA_DIR at the folder holding ${DEV_SET_NAMES.join(' and ')}, or name folders of labelled lines with --real names=<dir>,amounts=<dir>.`,
        },
      );
    log(
      `evaluating reader ${reportId} (${runtimes.map((r) => r.description).join(' and ')}, beam ${beam}) on ${sets
        .map((s) => `${s.name} ${s.lines.length}${s.failed.length ? ` (+${s.failed.length} failed)` : ''}`)
        .join(', ')}`,
    );
    for (const set of sets)
      sourceRuns.push(await evaluateSource(set, runtimes, run, alphabet, lexicon, { beam, batchSize, log }));
  } finally {
    for (const r of runtimes) await r.dispose();
  }
  const sources = sourceRuns.map((s) => s.report);
  const m = run.metadata;
  // what each reader is: a run's uid and files (its model.onnx hashed when onnxruntime read it), or the file's
  const readOnnx = names.includes('onnx');
  const members = file
    ? fileSections(file)
    : [
        await readerSection(run, readOnnx ? (opts.onnxFile ?? join(run.dir, 'model.onnx')) : undefined),
        ...(await Promise.all(
          others.map((o) => readerSection(o, readOnnx ? join(o.dir, 'model.onnx') : undefined)),
        )),
      ];
  const synthetic = sets.find((s) => s.kind === 'synthetic' && s.manifestSha256);
  const report: LinesReport = {
    formatVersion: 1,
    task: 'line',
    model: {
      id: reportId,
      uid: members[0]!.uid ?? null,
      dir: relative(process.cwd(), run.dir) || '.',
      weightsSha256: members[0]!.weightsSha256 ?? null,
      onnxSha256: members[0]!.onnxSha256 ?? null,
      ...(members.length > 1 ? { ensemble: members } : {}),
      architecture: m.architecture,
      commit: m.commit,
      createdAt: m.createdAt,
      alphabetId: alphabet.id,
      symbols: alphabet.size,
      trainingConfig: m.trainingConfig ?? {},
      trainingMetrics: m.metrics ?? {},
    },
    decoding: {
      beam,
      batchSize,
      lexicon: {
        source: '@faker-js/faker first names and surnames',
        locales: Object.keys(NAME_LEXICON_LOCALES),
        words: lexicon.length,
      },
    },
    limit: opts.limit ?? null,
    data: { linesManifestSha256: synthetic?.manifestSha256 ?? null },
    runtime: runtimes[0]!.runtime,
    runtimes: runtimes.map((r) => ({ runtime: r.runtime, description: r.description })),
    sources,
    skipped,
    anchors: anchorsOf(sources),
    targets: targetsOf(sources),
    pictures: Object.fromEntries(
      sources.flatMap((s) => [
        [s.name, s.picture],
        [`${s.name} reads`, s.samplesPicture],
      ]),
    ),
    environment: evalEnvironment(),
    timing: { sources: sourceRuns.flatMap((s) => s.timing) },
  };
  const pictures: Record<string, Buffer> = {};
  for (const s of sources)
    pictures[s.picture] = renderLengthChart(
      s.name,
      s.constraints.map((c) => ({ name: c.name, perLength: c.perLength })),
    );
  for (const [k, s] of sources.entries())
    pictures[s.samplesPicture] = await renderReadSamples(
      `${s.name}: random reads (${constraintTitle(s.headline)}), green right, red wrong`,
      await readSamples(sets[k]!, sourceRuns[k]!.headlineReads, s.samples, alphabet),
    );
  const html = await renderLinesHtml(report, pictures, sets);
  await writeDirAtomic(
    reportDir,
    async (tmp) => {
      for (const [name, png] of Object.entries(pictures)) await writeFileAtomic(join(tmp, name), png);
      await writeFileAtomic(join(tmp, 'index.html'), html);
      await writeJsonAtomic(join(tmp, 'lines.json'), report);
      const reads: LineReadsFile = {
        formatVersion: 1,
        model: reportId,
        sources: Object.fromEntries(sourceRuns.map((s) => [s.report.name, s.reads])),
      };
      // compact: arrays of thousands of entries, one per line, would be most of a pretty-printed file
      await writeFileAtomic(join(tmp, READS_JSON), `${JSON.stringify(reads)}\n`);
    },
    { replace: Boolean(opts.force) },
  );
  return { report, reportDir, indexHtml: join(reportDir, 'index.html'), sets };
}
