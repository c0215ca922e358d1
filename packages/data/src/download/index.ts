export {
  type ArchiveTransfer,
  DEFAULT_DOWNLOAD_DATASETS,
  type DownloadedFile,
  type DownloadOptions,
  type DownloadProgress,
  type DownloadResult,
  type DownloadStatus,
  downloadDatasets,
} from './download.js';
export type { FetchLike } from './fetch-to-part.js';
export { withMirror } from './mirror.js';
export {
  describeArchiveTransfer,
  type ProgressReporter,
  type ProgressReporterOptions,
  progressBarReporter,
} from './progress.js';
export {
  isCommittedLock,
  RECORDED_SUMS_FILE,
  type RecordedSum,
  recordedSums,
  recordLockedSums,
  recordSumsBeside,
} from './record-sums.js';
