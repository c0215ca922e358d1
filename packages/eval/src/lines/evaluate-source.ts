import { relative } from 'node:path';
import { type LineAlphabet, sampleIndices } from '@hcr/core';
import { decodeCtcEnsemble, memberProbs, type ReadResult } from '@hcr/decode';
import { readerFrames } from '@hcr/model';
import { round6 } from '../metrics.js';
import type { ModelRun } from '../model-files.js';
import { constraintsFor, type LineConstraint } from './constraints.js';
import { pickExamples, SAMPLES_SHOWN } from './examples.js';
import {
  caseConfusions,
  characterConfusions,
  exactAtCoverage,
  exactAtMinConfidence,
  type LineScores,
  minCtcFrames,
  scoreLines,
  scoringText,
} from './metrics.js';
import { type ReadOutput, readLines } from './read.js';
import type {
  ConstraintReport,
  LineSourceReport,
  LinesTiming,
  RuntimeAgreementLines,
  SourceReads,
} from './report.js';
import { type LineRuntime, readerInfo } from './runtimes.js';
import type { LineItem, LineSet } from './sources.js';

/** One source of lines read by every runtime, decoded under each of its constraints, and scored. */

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

export interface SourceRun {
  report: LineSourceReport;
  timing: LinesTiming[];
  /** The headline constraint's read of every line (for the samples picture). */
  headlineReads: ReadResult[];
  /** Every line's read under each constraint, failed reads last: the source's part of reads.json. */
  reads: SourceReads;
}

/**
 * Reads `set` with each runtime, decodes the first runtime's output under each of the field's constraints (and
 * the second's, to count where the runtimes disagree), and scores it: the source's part of lines.json.
 */
export async function evaluateSource(
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
  const exactBy = new Map<string, boolean[]>();
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
    // Whether each read is right (reads.json keeps it too); failed reads count as confidence 0, wrong.
    const exact = set.lines.map(
      (line, i) => scoringText(line.truth, alphabet) === scoringText(primary.reads[i]!.text, alphabet),
    );
    exactBy.set(c.name, exact);
    const judged = [
      ...set.lines.map((_, i) => ({ confidence: primary.reads[i]!.confidence, exact: exact[i]! })),
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
    ...(set.manifestSha256 ? { manifestSha256: set.manifestSha256 } : {}),
    ...(set.labelsSha256 ? { labelsSha256: set.labelsSha256 } : {}),
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
    samples: Array.from(sampleIndices(set.lines.length, SAMPLES_SHOWN, 12), (i) => set.lines[i]!.id),
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
  return {
    report,
    timing,
    headlineReads: readsBy.get(headline)!,
    reads: sourceReads(set, constraints, readsBy, exactBy, alphabet),
  };
}

/**
 * Each line's read, confidence and exactness under each constraint (as lines.json scores them); a failed read is
 * '' at confidence 0.
 */
function sourceReads(
  set: LineSet,
  constraints: LineConstraint[],
  readsBy: Map<string, ReadResult[]>,
  exactBy: Map<string, boolean[]>,
  alphabet: LineAlphabet,
): SourceReads {
  // a failed read scores as '' (right only for a truth with nothing the alphabet reads)
  const failedExact = set.failed.map((f) => (scoringText(f.truth, alphabet) === '' ? 1 : 0) as 0 | 1);
  const reads: SourceReads['reads'] = {};
  for (const c of constraints) {
    const lines = readsBy.get(c.name)!;
    reads[c.name] = {
      texts: [...lines.map((r) => r.text), ...set.failed.map(() => '')],
      confidences: [...lines.map((r) => round6(r.confidence)), ...set.failed.map(() => 0)],
      exact: [...exactBy.get(c.name)!.map((x) => (x ? 1 : 0) as 0 | 1), ...failedExact],
    };
  }
  return {
    ids: [...set.lines.map((l) => l.id), ...set.failed.map((f) => f.id)],
    truths: [...set.lines.map((l) => l.truth), ...set.failed.map((f) => f.truth)],
    reads,
  };
}
