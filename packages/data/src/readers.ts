/**
 * `@hcr/data/reader`: the shard readers alone (character and line datasets, their formats and manifests), for
 * programs that train or evaluate on prepared data. The package's main entry also holds the generators, which
 * load the skia canvas addon, faker and word lists (~0.7 s and 70 MB before anything is read); this one does not.
 */
export { type DataConfig, DEFAULT_DATA_CONFIG } from './config.js';
export {
  type DatasetKind,
  readDatasetManifest,
  rebuildCommand,
} from './dataset-dir.js';
export { sha256, sha256File } from './hash.js';
export { type DatasetInfo, datasetInfo } from './info.js';
export {
  LINE_KINDS,
  LINE_SPLITS,
  type LineConfig,
  type LineKind,
  type LineSplitName,
} from './lines/config.js';
export {
  decodeLineShard,
  encodeLineShard,
  LINE_SHARD_MAGIC,
  LINE_SHARD_VERSION,
  type LineShardData,
} from './lines/format.js';
export { type LineDatasetInfo, lineDatasetInfo } from './lines/info.js';
export {
  DEFAULT_LINES_DIR,
  defaultLinesDir,
  type GeneratedLineManifest,
  type ImportedLineManifest,
  isImportedLines,
  LINE_MANIFEST_FILE,
  type LineImportInfo,
  type LineManifest,
  type LineShardEntry,
  type LineSplitCounts,
} from './lines/manifest.js';
export { type LineDataset, type LineSplit, linePixels, lineText, openLineDataset } from './lines/reader.js';
export { type LineVerifyResult, verifyLineDataset } from './lines/verify.js';
export { type DataDirOptions, searchDirs } from './locate.js';
export * from './manifest.js';
export {
  type Batch,
  type BatchOptions,
  type Dataset,
  epochOrder,
  gatherBatch,
  openDataset,
  pixelLookupTable,
  type SplitData,
} from './reader.js';
export {
  decodeShard,
  encodeShard,
  SHARD_FORMAT_VERSION,
  SHARD_MAGIC,
  type ShardData,
} from './shard-format.js';
export { type VerifyResult, verifyDataset } from './verify.js';
