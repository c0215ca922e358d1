export {
  DEFAULT_DOWNLOAD_DATASETS,
  type DownloadedFile,
  type DownloadOptions,
  type DownloadProgress,
  type DownloadResult,
  type DownloadStatus,
  downloadDatasets,
} from './download.js';
export type { FetchLike } from './fetch-to-part.js';
export { type ProgressReporter, type ProgressReporterOptions, progressBarReporter } from './progress.js';
