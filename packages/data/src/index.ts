export {
  CANONICAL_NORMALISATION,
  type CharacterNormalisationOptions,
  normaliseCharacter,
  transposeImages,
} from '@hcr/image';
export {
  configLabelSpace,
  type DataConfig,
  DEFAULT_DATA_CONFIG,
  EXTRA_SET_CHOICES,
  type ExtraSetChoice,
  loadDataConfig,
  resolveDataConfig,
} from './config.js';
export {
  checkDatasetOutput,
  type DatasetKind,
  readDatasetManifest,
  rebuildCommand,
} from './dataset-dir.js';
export {
  type ArchiveTransfer,
  DEFAULT_DOWNLOAD_DATASETS,
  type DownloadedFile,
  type DownloadOptions,
  type DownloadProgress,
  type DownloadResult,
  type DownloadStatus,
  describeArchiveTransfer,
  downloadDatasets,
  type FetchLike,
  isCommittedLock,
  type ProgressReporter,
  type ProgressReporterOptions,
  progressBarReporter,
  RECORDED_SUMS_FILE,
  type RecordedSum,
  recordedSums,
  recordLockedSums,
  recordSumsBeside,
  withMirror,
} from './download/index.js';
export { type EnsureRawDataOptions, type EnsureRawDataResult, ensureRawData } from './ensure-raw.js';
export { sha256, sha256File } from './hash.js';
export { decodeIdx, type IdxArray, readIdx } from './idx.js';
export * from './lines/index.js';
export {
  type DataDirOptions,
  findRawFile,
  isDatasetPresent,
  requireRawFile,
  searchDirs,
  userCacheDir,
} from './locate.js';
export {
  DATASET_LOCK_PATH,
  type DatasetLock,
  datasetLock,
  datasetLockPath,
  type FileRole,
  type LockedFile,
  lockedDataset,
} from './lock.js';
export {
  type GlyphSource,
  generateNegatives,
  NEGATIVE_KINDS,
  type NegativeImage,
  type NegativeKind,
} from './negatives.js';
export { type PrepareOptions, type PrepareResult, prepareShards, processingFingerprint } from './prepare.js';
export { type PreviewOptions, previewLayout, renderPreview } from './preview.js';
export { resolveExtraSource, resolveLetterSource } from './raw-sources.js';
// The shard readers, also the light `@hcr/data/reader` entry: one list of them.
export * from './readers.js';
