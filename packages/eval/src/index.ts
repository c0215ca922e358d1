export { renderClassF1 } from './charts/class-f1.js';
export { renderConfusionMatrix } from './charts/confusion.js';
export { learningCurveSeries, renderLearningCurves } from './charts/learning-curves.js';
export { renderReliability } from './charts/reliability.js';
export {
  type MistakeGroup,
  renderMistakeGallery,
  renderPredictionGrid,
  type ShownSample,
} from './charts/samples.js';
export {
  type ClassDelta,
  type CompareOptions,
  type CompareReport,
  type CompareSide,
  compareReports,
  compareSummary,
  dataDifferences,
  diffReports,
  type MetricDelta,
  measurementDifferences,
} from './compare.js';
export {
  type ConfusionEntry,
  type EvalMetrics,
  evaluatePredictions,
  type GroupMetrics,
  type PerClassEntry,
  type PredictionSet,
} from './evaluate.js';
export { LINE_TARGETS, type LineAnchor, type LineTarget, TESSERACT_ANCHORS } from './lines/anchors.js';
export { linePng, type ReadSample, renderLengthChart, renderReadSamples } from './lines/charts.js';
export {
  type ChangedLine,
  type ConstraintComparison,
  diffReaderReports,
  type LoadedReaderReport,
  loadReaderReport,
  type PairedCounts,
  pairedCounts,
  type ReaderCompareReport,
  type ReaderCompareSide,
  type SourceComparison,
  signTest,
} from './lines/compare.js';
export {
  compareReaderReports,
  readerCompareSummary,
  readerReportDir,
  renderReaderCompareHtml,
} from './lines/compare-report.js';
export {
  constraintsFor,
  constraintTitle,
  type LineConstraint,
  nameCharacters,
} from './lines/constraints.js';
export { evaluateReader, type ReaderEvalOptions, type ReaderEvalResult } from './lines/evaluate.js';
export { lexiconWord, NAME_LEXICON_LOCALES, namesLexicon } from './lines/lexicon.js';
export * from './lines/metrics.js';
export { DEFAULT_LINE_BATCH, readLines } from './lines/read.js';
export { isOnnxPath, onnxFileLineRuntime, openReaderFile, type ReaderFile } from './lines/reader-file.js';
export { readerAlphabet } from './lines/readers.js';
export {
  type ConstraintReport,
  type LineExample,
  type LineReadsFile,
  type LineSourceReport,
  type LinesReport,
  type LinesTiming,
  READS_JSON,
  type ReaderModelSection,
  type SourceReads,
} from './lines/report.js';
export {
  ensembleLineRuntime,
  type LineRuntime,
  onnxLineRuntime,
  readerInfo,
  tfjsLineRuntime,
} from './lines/runtimes.js';
export {
  checkDataDir,
  checkRealSets,
  DEV_SET_NAMES,
  DEV_SETS,
  type DevSetName,
  devSetSearchDirs,
  type FailedLine,
  findDevSet,
  type LineField,
  type LineItem,
  type LineSet,
  loadDevSet,
  loadSyntheticLines,
  parseLabelsTsv,
  parseRealSets,
  type RealSetSpec,
} from './lines/sources.js';
export { readerSummary } from './lines/summary.js';
export * from './metrics.js';
export {
  DEFAULT_MODELS_DIR,
  type ModelRun,
  readModelMetadata,
  readTrainingMetrics,
  resolveModelRun,
  type TrainingMetricsRow,
} from './model-files.js';
export { readOnnxMetadataProps } from './onnx-metadata.js';
export {
  type EvalEnvironment,
  evalCommit,
  evalEnvironment,
  fileSha256,
  weightsSha256,
} from './provenance.js';
export {
  DEFAULT_REPORTS_DIR,
  type EvalOptions,
  type EvalReport,
  type EvalResult,
  evaluateRun,
  LATEST,
  listReports,
  type RuntimeAgreement,
  type RuntimeChoice,
  type RuntimeTiming,
  reportNameOf,
} from './report.js';
export { compareRuntimes } from './report-runtimes.js';
export { ONNX_FILE, onnxPredictor } from './runtimes/onnx.js';
export {
  asProbabilities,
  DEFAULT_BATCH_SIZE,
  type ImageSet,
  type Predictor,
  predictAll,
  type RuntimeName,
} from './runtimes/predictor.js';
export { loadLayersModelChecked, tfjsPredictor } from './runtimes/tfjs.js';
export { DEFAULT_TFJS_WORKERS, tfjsPoolPredictor } from './runtimes/tfjs-pool.js';
export { GENERALISATION_SOURCES, SOURCE_CLASSES } from './sources.js';
export { evalSummary } from './summary.js';
