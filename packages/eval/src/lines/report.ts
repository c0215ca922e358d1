import type { EvalEnvironment } from '../provenance.js';
import type { RuntimeName } from '../runtimes/predictor.js';
import type { LineAnchor, LineTarget } from './anchors.js';
import type { LineConstraint } from './constraints.js';
import type {
  CaseReport,
  CharacterConfusion,
  CoveragePoint,
  LengthBucketScores,
  LineScores,
  MinConfidencePoint,
} from './metrics.js';
import type { FailedLine, LineField, LineSet } from './sources.js';

/** What `hcr eval` of a reader writes to lines.json (and renders in index.html). */

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
  /** A synthetic source: sha256 of its line dataset's manifest.json (the dataset's identity). */
  manifestSha256?: string;
  /** A real source: sha256 of its labels.tsv (which images, with which transcriptions). */
  labelsSha256?: string;
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

/**
 * One reader as lines.json records it: what tells its training run (uid) and its files (hashes) apart. The fields
 * after `dir` are absent in reports made before they were added.
 */
export interface ReaderModelSection {
  id: string;
  /** metadata.json's uid (an exported file: its `hcr.model_uid`): unique per training run; null when none. */
  uid?: string | null;
  /** The run directory, or the ONNX file read. */
  dir: string;
  /** sha256 of the run's weights.bin (null for an ONNX file, which has none). */
  weightsSha256?: string | null;
  /** sha256 of the ONNX file read; null when no ONNX runtime ran. */
  onnxSha256?: string | null;
  architecture?: string;
  commit?: string;
  createdAt?: string;
  trainingConfig?: Record<string, unknown>;
  trainingMetrics?: Record<string, number>;
}

/**
 * One source's reads, line by line (reads.json beside lines.json): what `hcr eval --compare` pairs up between two
 * reports. Columns: the i-th entry of every array is the i-th line; failed reads come last, read as ''.
 */
export interface SourceReads {
  ids: string[];
  truths: string[];
  /** Per constraint: each line's text, its confidence, and 1 when it is exactly right as lines.json scores it. */
  reads: Record<string, { texts: string[]; confidences: number[]; exact: (0 | 1)[] }>;
}

/** The file beside lines.json holding every line's read. */
export const READS_JSON = 'reads.json';

/** reads.json: every line's read under every constraint, by source. */
export interface LineReadsFile {
  formatVersion: 1;
  /** The report's model id (lines.json `model.id`). */
  model: string;
  sources: Record<string, SourceReads>;
}

export interface LinesReport {
  /** Bumped only when a field is removed, renamed or changes meaning (README: "eval.json and lines.json"). */
  formatVersion: 1;
  task: 'line';
  model: {
    /** The run id (`<id>+<id>+...` for an ensemble). */
    id: string;
    /** The (first) reader's uid, as in ReaderModelSection. */
    uid?: string | null;
    dir: string;
    /** The (first) reader's weights.bin and ONNX file, as in ReaderModelSection. */
    weightsSha256?: string | null;
    onnxSha256?: string | null;
    /**
     * An ensemble's readers, the run first (absent for one reader), each with its own model section (older
     * reports: id and dir only). A packed file's readers share its dir and onnxSha256; only the first one's
     * training is recorded in it.
     */
    ensemble?: ReaderModelSection[];
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
  /** The data read: the synthetic lines' manifest sha256 (null when they were not read). Absent in older reports. */
  data?: { linesManifestSha256: string | null };
  /** The runtime whose reads are scored; `runtimes` lists every runtime that ran. */
  runtime: RuntimeName;
  runtimes: { runtime: RuntimeName; description: string }[];
  sources: LineSourceReport[];
  skipped: { source: string; reason: string }[];
  anchors: readonly LineAnchor[];
  targets: (LineTarget & { exactRate: number | null; cer: number | null; met: boolean | null })[];
  pictures: Record<string, string>;
  /**
   * Where, when and with what the report was made. With `timing`, the only fields that differ between two
   * evaluations of the same model, data and options. Absent in older reports.
   */
  environment?: EvalEnvironment;
  /** Wall-clock numbers; everything else but `environment` is deterministic for the same model, data and options. */
  timing: { sources: LinesTiming[] };
}
