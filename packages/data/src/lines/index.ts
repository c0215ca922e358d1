export { type LineChunk, renderChunk } from './chunk.js';
export {
  DEFAULT_LINE_CONFIG,
  LINE_KINDS,
  LINE_SPLITS,
  type LineConfig,
  type LineKind,
  type LineSplitName,
  lineConfigAlphabet,
  loadLineConfig,
  resolveLineConfig,
} from './config.js';
export { ensureLineRawData } from './ensure-glyphs.js';
export { generatorFingerprint } from './fingerprint.js';
export {
  decodeLineShard,
  encodeLineShard,
  LINE_SHARD_MAGIC,
  LINE_SHARD_VERSION,
  type LineShardData,
} from './format.js';
export {
  GLYPH_PARTS,
  GLYPH_PIXELS,
  GLYPH_SIDE,
  type GlyphBank,
  type GlyphLetterSource,
  type GlyphPartSpec,
  glyphLetterSource,
  glyphPart,
  glyphParts,
  glyphPools,
  loadGlyphBank,
  locateGlyphFiles,
} from './glyphs.js';
export {
  type ImportLine,
  type ImportLinesOptions,
  type ImportLinesResult,
  importSplit,
  writeImportedLines,
} from './import.js';
export { type LineDatasetInfo, lineDatasetInfo } from './info.js';
export {
  DEFAULT_LINES_DIR,
  defaultLinesDir,
  type GeneratedLineManifest,
  type ImportedLineManifest,
  isImportedLines,
  type LineImportInfo,
  type LineManifest,
  type LineShardEntry,
  type LineSplitCounts,
} from './manifest.js';
export {
  LINE_MANIFEST_FILE,
  type PrepareLinesOptions,
  type PrepareLinesResult,
  prepareLines,
} from './prepare.js';
export { type LinePreviewOptions, renderLinePreview } from './preview.js';
export { type LineDataset, type LineSplit, linePixels, lineText, openLineDataset } from './reader.js';
export { createLineGenerator, type LineGenerator, lineRng, type RenderedLine } from './render.js';
export type { Scan } from './scan.js';
export { createTextSource, type TextSource } from './text.js';
export { type LineVerifyResult, verifyLineDataset } from './verify.js';
