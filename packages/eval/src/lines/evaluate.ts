import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import {
  createRng,
  HcrError,
  knownLineAlphabet,
  LINE_ALPHABETS,
  type LineAlphabet,
  labelSpace,
  labelSpaceChoice,
  readerDifference,
  writeDirAtomic,
  writeFileAtomic,
  writeJsonAtomic,
} from '@hcr/core';
import { defaultLinesDir } from '@hcr/data';
import { DEFAULT_BEAM, decodeCtcEnsemble, MAX_BEAM, memberProbs, type ReadResult } from '@hcr/decode';
import type { EngineName } from '@hcr/engine';
import { readerFrames } from '@hcr/model';
import { round6 } from '../metrics.js';
import { DEFAULT_MODELS_DIR, type ModelRun, resolveModelRun } from '../model-files.js';
import { DEFAULT_REPORTS_DIR, type RuntimeChoice } from '../report.js';
import type { RuntimeName } from '../runtimes/predictor.js';
import { LINE_TARGETS, type LineAnchor, type LineTarget, TESSERACT_ANCHORS } from './anchors.js';
import { type ReadSample, renderLengthChart, renderReadSamples } from './charts.js';
import { constraintsFor, type LineConstraint } from './constraints.js';
import { renderLinesHtml } from './html.js';
import { NAME_LEXICON_LOCALES, namesLexicon } from './lexicon.js';
import {
  type CaseReport,
  type CharacterConfusion,
  type CoveragePoint,
  caseConfusions,
  characterConfusions,
  exactAtCoverage,
  exactAtMinConfidence,
  type LengthBucketScores,
  type LineScores,
  lineEdits,
  type MinConfidencePoint,
  minCtcFrames,
  scoreLines,
  scoringText,
} from './metrics.js';
import { shownOriginal } from './original.js';
import { DEFAULT_LINE_BATCH, type ReadOutput, readLines } from './read.js';
import { isOnnxPath, onnxFileLineRuntime, openReaderFile, type ReaderFile } from './reader-file.js';
import {
  ensembleLineRuntime,
  type LineRuntime,
  onnxLineRuntime,
  readerInfo,
  tfjsLineRuntime,
} from './runtimes.js';
import {
  checkRealSets,
  DEV_SET_NAMES,
  DEV_SETS,
  type FailedLine,
  findDevSet,
  type LineField,
  type LineItem,
  type LineSet,
  loadDevSet,
  loadSyntheticLines,
  type RealSetSpec,
  realSetName,
} from './sources.js';

/** Error examples shown per source and list (most confident, worst). */
export const EXAMPLES_PER_LIST = 8;
/** Random reads shown per source in `reads-<source>.png`. */
export const SAMPLES_SHOWN = 12;

/** `n` of `count` row indices, seeded (the same every run), in order. */
function sampleRows(count: number, n: number, seed = 12): number[] {
  const rng = createRng(seed);
  const all = Array.from({ length: count }, (_, i) => i);
  for (let i = 0; i < Math.min(n, count); i++) {
    const j = i + rng.int(count - i);
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  return all.slice(0, Math.min(n, count)).sort((a, b) => a - b);
}

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
   * `<outDir>/<run id>+<id>+...`.
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
  /** Reports root: the report goes to `<outDir>/<run id>` (or `<outDir>/<reportName>`). */
  outDir?: string;
  /**
   * The report's folder name under `outDir` instead of the run id (e.g. the pipeline's ensemble reports as
   * `reader-pipeline`, not `reader-pipeline+reader-pipeline-bilstm`); one plain folder name.
   */
  reportName?: string;
  force?: boolean;
  batchSize?: number;
  log?: (line: string) => void;
}

export interface RuntimeAgreementLines {
  runtimes: [RuntimeName, RuntimeName];
  lines: number;
  /** Lines whose decoded strings differ between the two runtimes. */
  disagreements: number;
  examples: { id: string; texts: [string, string] }[];
}

export interface ConstraintReport extends LineScores {
  name: LineConstraint['name'];
  description: string;
  perLength: LengthBucketScores[];
  /** Mean p(text | frames) of the reads (failed reads excluded). */
  meanConfidence: number;
  /** Reads for which no text satisfies the constraint (the decoder answers ''). */
  unsatisfied: number;
  agreement: RuntimeAgreementLines | null;
  /** The most frequent character errors (substitutions; '' = deletion or insertion). */
  confusions: CharacterConfusion[];
  /** Exact match among the most confident reads (failed reads count as confidence 0, wrong). */
  coverage: CoveragePoint[];
  /** What min_confidence 0.5 / 0.8 / 0.9 accepts, and how many of those reads are right. */
  atMinConfidence: MinConfidencePoint[];
}

export interface LineExample {
  id: string;
  truth: string;
  /** Width of the reader's input in pixels (a crop that lost the writing shows as a tiny width). */
  width: number;
  /** The read under each constraint. */
  reads: { constraint: string; text: string; confidence: number; edits: number }[];
}

export interface LineSourceReport {
  name: string;
  kind: LineSet['kind'];
  field: LineField;
  dir: string;
  /** Every line of the source, failed reads included (they score as an empty read). */
  count: number;
  failed: { count: number; byCode: Record<string, number>; lines: Omit<FailedLine, 'file'>[] };
  /**
   * Lines whose reader input has fewer CTC frames than their scored truth needs (one per character plus one
   * between repeated characters): no decoder can read them right; usually a crop that lost the writing.
   */
  tooNarrow: { count: number; ids: string[] };
  /** Names only: truths the names lexicon accepts (a measure of the lexicon, not used to build it). */
  lexiconCoverage: { accepted: number; share: number } | null;
  /** Headline constraint: the field's class for real sets, none for synthetic lines. */
  headline: string;
  constraints: ConstraintReport[];
  /** Synthetic lines: headline scores per generator kind. */
  perKind: Record<string, LineScores> | null;
  /** A case-sensitive reader: its case errors with no constraint (null for a case-merged reader, or no letters). */
  caseConfusion: CaseReport | null;
  examples: { mostConfident: LineExample[]; worst: LineExample[] };
  /** Chart of exact match and CER per length. */
  picture: string;
  /** Seeded random reads (headline constraint) as scanned, with truth: `reads-<source>.png`. */
  samplesPicture: string;
  /** Which lines that picture shows. */
  samples: string[];
}

export interface LinesTiming {
  source: string;
  runtime: RuntimeName;
  lines: number;
  batches: number;
  seconds: number;
  linesPerSecond: number;
  /** Decoding of the primary runtime's output per constraint. */
  decode: { constraint: string; seconds: number; linesPerSecond: number }[];
}

export interface LinesReport {
  formatVersion: 1;
  task: 'line';
  model: {
    /** The run id (`<id>+<id>+...` for an ensemble). */
    id: string;
    dir: string;
    /** An ensemble's readers, the run first (absent for one reader). */
    ensemble?: { id: string; dir: string }[];
    architecture: string;
    commit: string;
    createdAt: string;
    alphabetId: string;
    symbols: number;
    trainingConfig: Record<string, unknown>;
    trainingMetrics: Record<string, number>;
  };
  decoding: {
    beam: number;
    batchSize: number;
    lexicon: { source: string; locales: string[]; words: number };
  };
  limit: number | null;
  /** The runtime whose reads are scored; `runtimes` lists every runtime that ran. */
  runtime: RuntimeName;
  runtimes: { runtime: RuntimeName; description: string }[];
  sources: LineSourceReport[];
  skipped: { source: string; reason: string }[];
  anchors: readonly LineAnchor[];
  targets: (LineTarget & { exactRate: number | null; cer: number | null; met: boolean | null })[];
  pictures: Record<string, string>;
  /** Wall-clock numbers; everything else is deterministic for the same model, data and options. */
  timing: { sources: LinesTiming[] };
}

export interface ReaderEvalResult {
  report: LinesReport;
  reportDir: string;
  indexHtml: string;
  /** The evaluated lines (for callers that show them); not written to lines.json. */
  sets: LineSet[];
}

/** The alphabet a reader's metadata names: one of the label spaces' line alphabets (LINE_ALPHABETS). */
export function readerAlphabet(run: ModelRun): LineAlphabet {
  const info = readerInfo(run);
  const known = knownLineAlphabet(info.alphabetId, info.symbols);
  if (known) return known;
  throw new HcrError(
    'ALPHABET_UNKNOWN',
    `${run.dir} reads the alphabet ${info.alphabetId} (${info.symbols.length} symbols), which this hcr does not know.`,
    {
      hint: `Evaluate it with the hcr version that trained it (this one knows ${LINE_ALPHABETS.map((a) => a.id).join(', ')}).`,
    },
  );
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

async function makeRuntime(
  name: RuntimeName,
  run: ModelRun,
  opts: ReaderEvalOptions,
  others: readonly ModelRun[],
): Promise<LineRuntime> {
  const one = (r: ModelRun, file?: string) =>
    name === 'onnx'
      ? onnxLineRuntime(r, { file })
      : tfjsLineRuntime(r, { engine: opts.engine, log: opts.log });
  if (others.length === 0) return one(run, opts.onnxFile);
  const members = [await one(run, opts.onnxFile)];
  for (const o of others) members.push(await one(o));
  return ensembleLineRuntime(members);
}

/** A reader file runs in onnxruntime alone, as the readers it holds: no tfjs, no other readers beside it. */
function checkFileOptions(file: ReaderFile, opts: ReaderEvalOptions): void {
  const runs = file.members.length > 1 ? file.members.map((m) => m.id) : ['<run>'];
  if (opts.runtime !== undefined && opts.runtime !== 'onnx')
    throw new HcrError(
      'RUNTIME_UNAVAILABLE',
      `${file.path} is an ONNX file: it reads in onnxruntime only, not with --runtime ${opts.runtime}.`,
      {
        hint: `Use --runtime onnx (the default for a file), or compare the runtimes on the runs it was exported from: \`hcr eval ${runs[0]}${runs.length > 1 ? ` --ensemble ${runs.slice(1).join(',')}` : ''} --runtime both\`.`,
      },
    );
  if (opts.ensemble?.length || opts.onnxFile)
    throw new HcrError(
      'ENSEMBLE_INVALID',
      `${file.path} is read as it is: --ensemble and --onnx take runs, not a file.`,
      {
        hint: 'Pack the readers into one file (`hcr export ensemble a b c -o abc.onnx`) and evaluate it, or evaluate the runs with --ensemble.',
      },
    );
}

/** The other readers of an ensemble, refused unless they read lines exactly as `run` does. */
async function ensembleRuns(run: ModelRun, opts: ReaderEvalOptions): Promise<ModelRun[]> {
  const others: ModelRun[] = [];
  const info = readerInfo(run);
  for (const id of opts.ensemble ?? []) {
    const o = await resolveModelRun(id, opts.modelsDir ?? DEFAULT_MODELS_DIR);
    const fix = {
      hint: 'An ensemble joins readers trained on the same line data with the same recipe (e.g. other seeds: `hcr train --config configs/reader.json --seed 2 --run reader-s2`).',
    };
    if (o.dir === run.dir || others.some((x) => x.dir === o.dir))
      throw new HcrError('ENSEMBLE_INVALID', `${o.dir} is named twice in the ensemble.`, fix);
    const d = readerDifference(
      { reader: info, normalisation: run.metadata.inputNormalisation },
      { reader: readerInfo(o), normalisation: o.metadata.inputNormalisation },
    );
    if (d)
      throw new HcrError(
        'ENSEMBLE_INVALID',
        `The readers ${run.dir} and ${o.dir} differ in ${d.what}: ${d.a} vs ${d.b}.`,
        fix,
      );
    others.push(o);
  }
  return others;
}

interface Decoded {
  reads: ReadResult[];
  seconds: number;
}

function decodeAll(
  probs: readonly Float32Array[],
  lines: readonly LineItem[],
  alphabet: LineAlphabet,
  constraint: LineConstraint,
  { beam, members }: { beam: number; members: number },
): Decoded {
  const t0 = performance.now();
  const reads = lines.map((line, i) =>
    decodeCtcEnsemble(memberProbs(probs[i]!, members), readerFrames(line.width), alphabet, {
      ...(constraint.optionsFor?.(line.kind) ?? constraint.options),
      beam,
      topK: 1,
    }),
  );
  return { reads, seconds: (performance.now() - t0) / 1000 };
}

function countBy<T>(items: readonly T[], key: (t: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of items) out[key(t)] = (out[key(t)] ?? 0) + 1;
  return out;
}

/** Error examples of the headline constraint: the most confident errors and the worst (highest line CER). */
function pickExamples(
  set: LineSet,
  constraints: readonly LineConstraint[],
  readsBy: ReadonlyMap<string, ReadResult[]>,
  headline: string,
  alphabet: LineAlphabet,
): LineSourceReport['examples'] {
  const head = readsBy.get(headline)!;
  const errors = set.lines
    .map((line, i) => ({ line, i, read: head[i]! }))
    .filter(({ line, read }) => scoringText(line.truth, alphabet) !== scoringText(read.text, alphabet));
  const example = ({ line, i }: { line: LineItem; i: number }): LineExample => ({
    id: line.id,
    truth: line.truth,
    width: line.width,
    reads: constraints.map((c) => {
      const r = readsBy.get(c.name)![i]!;
      return {
        constraint: c.name,
        text: r.text,
        confidence: Number(r.confidence.toPrecision(4)),
        edits: lineEdits(line.truth, r.text, alphabet),
      };
    }),
  });
  const byConfidence = [...errors].sort((a, b) => b.read.confidence - a.read.confidence || a.i - b.i);
  const mostConfident = byConfidence.slice(0, EXAMPLES_PER_LIST);
  const shown = new Set(mostConfident.map((e) => e.i));
  const rate = (e: (typeof errors)[number]) =>
    lineEdits(e.line.truth, e.read.text, alphabet) / Math.max(1, scoringText(e.line.truth, alphabet).length);
  const worst = errors
    .filter((e) => !shown.has(e.i))
    .sort((a, b) => rate(b) - rate(a) || a.i - b.i)
    .slice(0, EXAMPLES_PER_LIST);
  return { mostConfident: mostConfident.map(example), worst: worst.map(example) };
}

interface SourceRun {
  report: LineSourceReport;
  timing: LinesTiming[];
  /** The headline constraint's read of every line (for the samples picture). */
  headlineReads: ReadResult[];
}

async function evaluateSource(
  set: LineSet,
  runtimes: LineRuntime[],
  run: ModelRun,
  alphabet: LineAlphabet,
  lexicon: readonly string[],
  opts: { beam: number; batchSize: number; log: (line: string) => void },
): Promise<SourceRun> {
  const { log } = opts;
  const info = readerInfo(run);
  const outputs: ReadOutput[] = [];
  for (const rt of runtimes) {
    const out = await readLines(rt, set.lines, {
      normalisation: run.metadata.inputNormalisation,
      symbols: info.symbols.length,
      batchSize: opts.batchSize,
    });
    log(
      `  ${set.name}: ${rt.description} read ${set.lines.length} lines in ${out.seconds.toFixed(2)} s (${Math.round(set.lines.length / Math.max(out.seconds, 1e-9))} lines/s)`,
    );
    outputs.push(out);
  }
  const constraints = constraintsFor(set.field, alphabet, set.field === 'names' ? lexicon : undefined);
  const readsBy = new Map<string, ReadResult[]>();
  const decodeTiming: LinesTiming['decode'] = [];
  const reports: ConstraintReport[] = [];
  const decoding = { beam: opts.beam, members: runtimes[0]!.members ?? 1 };
  for (const c of constraints) {
    const primary = decodeAll(outputs[0]!.probs, set.lines, alphabet, c, decoding);
    readsBy.set(c.name, primary.reads);
    decodeTiming.push({
      constraint: c.name,
      seconds: round6(primary.seconds),
      linesPerSecond: Math.round(set.lines.length / Math.max(primary.seconds, 1e-9)),
    });
    let agreement: RuntimeAgreementLines | null = null;
    if (outputs.length === 2) {
      const other = decodeAll(outputs[1]!.probs, set.lines, alphabet, c, decoding).reads;
      const differ = set.lines
        .map((line, i) => ({
          id: line.id,
          texts: [primary.reads[i]!.text, other[i]!.text] as [string, string],
        }))
        .filter((d) => d.texts[0] !== d.texts[1]);
      agreement = {
        runtimes: [runtimes[0]!.runtime, runtimes[1]!.runtime],
        lines: set.lines.length,
        disagreements: differ.length,
        examples: differ.slice(0, 10),
      };
    }
    const pairs = [
      ...set.lines.map((line, i) => ({ truth: line.truth, prediction: primary.reads[i]!.text })),
      ...set.failed.map((f) => ({ truth: f.truth, prediction: '' })),
    ];
    const scores = scoreLines(pairs, { alphabet });
    const conf = primary.reads.reduce((s, r) => s + r.confidence, 0);
    // Each read's confidence and whether it is right; failed reads count as confidence 0, wrong.
    const judged = [
      ...set.lines.map((line, i) => ({
        confidence: primary.reads[i]!.confidence,
        exact: scoringText(line.truth, alphabet) === scoringText(primary.reads[i]!.text, alphabet),
      })),
      ...set.failed.map(() => ({ confidence: 0, exact: false })),
    ];
    reports.push({
      name: c.name,
      description: c.description,
      ...scores,
      meanConfidence: Number((primary.reads.length ? conf / primary.reads.length : 0).toPrecision(4)),
      unsatisfied: primary.reads.filter((r) => r.constraintUnsatisfied).length,
      agreement,
      confusions: characterConfusions(pairs, { alphabet }),
      coverage: exactAtCoverage(judged),
      atMinConfidence: exactAtMinConfidence(judged),
    });
    const agree = agreement ? `; ${agreement.disagreements} runtime disagreements` : '';
    log(
      `  ${set.name} [${c.name}]: CER ${(scores.cer * 100).toFixed(2)}%, exact ${(scores.exactRate * 100).toFixed(2)}%${agree}`,
    );
  }
  const headline = set.kind === 'real' ? (constraints[1]?.name ?? 'none') : 'none';
  let perKind: Record<string, LineScores> | null = null;
  if (set.lines.some((l) => l.kind !== undefined)) {
    perKind = {};
    const head = readsBy.get(headline)!;
    const kinds = [...new Set(set.lines.map((l) => l.kind ?? 'unknown'))].sort();
    for (const k of kinds) {
      const { perLength: _, ...scores } = scoreLines(
        set.lines
          .map((line, i) => ({ line, i }))
          .filter(({ line }) => (line.kind ?? 'unknown') === k)
          .map(({ line, i }) => ({ truth: line.truth, prediction: head[i]!.text })),
        { alphabet },
      );
      perKind[k] = scores;
    }
  }
  let lexiconCoverage: LineSourceReport['lexiconCoverage'] = null;
  const lexiconConstraint = constraints.find((c) => c.name === 'lexicon');
  if (lexiconConstraint?.options.lexicon && 'has' in lexiconConstraint.options.lexicon) {
    const lex = lexiconConstraint.options.lexicon as { has(text: string): boolean };
    const truths = [...set.lines.map((l) => l.truth), ...set.failed.map((f) => f.truth)];
    const accepted = truths.filter((t) => lex.has(t)).length;
    lexiconCoverage = { accepted, share: round6(truths.length ? accepted / truths.length : 0) };
  }
  const report: LineSourceReport = {
    name: set.name,
    kind: set.kind,
    field: set.field,
    dir: relative(process.cwd(), set.dir) || '.',
    count: set.lines.length + set.failed.length,
    failed: {
      count: set.failed.length,
      byCode: countBy(set.failed, (f) => f.code),
      lines: set.failed.map(({ file: _, page: __, ...f }) => f),
    },
    tooNarrow: (() => {
      const ids = set.lines
        .filter((l) => readerFrames(l.width) < minCtcFrames(scoringText(l.truth, alphabet)))
        .map((l) => l.id);
      return { count: ids.length, ids: ids.slice(0, 20) };
    })(),
    lexiconCoverage,
    headline,
    constraints: reports,
    perKind,
    caseConfusion: caseConfusions(
      set.lines.map((line, i) => ({ truth: line.truth, prediction: readsBy.get('none')![i]!.text })),
      alphabet,
    ),
    examples: pickExamples(set, constraints, readsBy, headline, alphabet),
    picture: `lines-${set.name}.png`,
    samplesPicture: `reads-${set.name}.png`,
    samples: sampleRows(set.lines.length, SAMPLES_SHOWN).map((i) => set.lines[i]!.id),
  };
  const timing = runtimes.map((rt, k) => ({
    source: set.name,
    runtime: rt.runtime,
    lines: set.lines.length,
    batches: outputs[k]!.batches,
    seconds: round6(outputs[k]!.seconds),
    linesPerSecond: Math.round(set.lines.length / Math.max(outputs[k]!.seconds, 1e-9)),
    decode: k === 0 ? decodeTiming : [],
  }));
  return { report, timing, headlineReads: readsBy.get(headline)! };
}

async function readSamples(
  set: LineSet,
  reads: readonly ReadResult[],
  ids: readonly string[],
  alphabet: LineAlphabet,
): Promise<ReadSample[]> {
  const out: ReadSample[] = [];
  for (const id of ids) {
    const i = set.lines.findIndex((l) => l.id === id);
    const line = set.lines[i]!;
    const read = reads[i]!;
    out.push({
      original: line.file ? ((await shownOriginal(line.file, line.page))?.bytes ?? null) : null,
      pixels: line.pixels,
      width: line.width,
      truth: line.truth,
      read: read.text,
      confidence: read.confidence,
      right: scoringText(line.truth, alphabet) === scoringText(read.text, alphabet),
    });
  }
  return out;
}

/**
 * The sources a figure about `source` applies to: a dev set's figure to every real set of its field (a
 * held-out part of the same forms read with --real), other sources' to themselves; `source` itself when none
 * was read (the report still shows the figure, without ours beside it).
 */
function sourcesFor(source: string, sources: readonly LineSourceReport[]): (LineSourceReport | undefined)[] {
  const field = (DEV_SETS as Record<string, { field: LineField } | undefined>)[source]?.field;
  const matching = sources.filter((s) =>
    field ? s.kind === 'real' && s.field === field : s.name === source,
  );
  return matching.length ? matching : [undefined];
}

function targetsOf(sources: readonly LineSourceReport[]): LinesReport['targets'] {
  return LINE_TARGETS.flatMap((t) =>
    sourcesFor(t.source, sources).map((s) => {
      const c = s?.constraints.find((x) => x.name === t.constraint);
      return {
        ...t,
        source: s?.name ?? t.source,
        exactRate: c ? c.exactRate : null,
        cer: c ? c.cer : null,
        met: c ? c.exactRate >= t.minExactRate && c.cer <= t.maxCer : null,
      };
    }),
  );
}

function anchorsOf(sources: readonly LineSourceReport[]): LineAnchor[] {
  return TESSERACT_ANCHORS.flatMap((a) =>
    sourcesFor(a.source, sources).map((s) => ({ ...a, source: s?.name ?? a.source })),
  );
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
  const reportDir = join(outDir, opts.reportName ?? reportId);
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
  const report: LinesReport = {
    formatVersion: 1,
    task: 'line',
    model: {
      id: reportId,
      dir: relative(process.cwd(), run.dir) || '.',
      ...(others.length
        ? {
            ensemble: [run, ...others].map((r) => ({ id: r.id, dir: relative(process.cwd(), r.dir) || '.' })),
          }
        : {}),
      ...(file && file.members.length > 1
        ? { ensemble: file.members.map((m) => ({ id: m.id, dir: relative(process.cwd(), file.path) })) }
        : {}),
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
      `${s.name}: random reads (${s.headline}), green right, red wrong`,
      await readSamples(sets[k]!, sourceRuns[k]!.headlineReads, s.samples, alphabet),
    );
  const html = await renderLinesHtml(report, pictures, sets);
  await writeDirAtomic(
    reportDir,
    async (tmp) => {
      for (const [name, png] of Object.entries(pictures)) await writeFileAtomic(join(tmp, name), png);
      await writeFileAtomic(join(tmp, 'index.html'), html);
      await writeJsonAtomic(join(tmp, 'lines.json'), report);
    },
    { replace: Boolean(opts.force) },
  );
  return { report, reportDir, indexHtml: join(reportDir, 'index.html'), sets };
}
