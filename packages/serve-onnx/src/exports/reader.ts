/**
 * `@hcr/serve-onnx/reader`: the line reader as a library (onnxruntime-node, sharp, @hcr/image and
 * @hcr/decode, no HTTP: importing it loads neither fastify nor pino nor prom-client).
 */

export { bucketWidth, groupByWidth, MAX_TEXT_LINES, type TextLineBox, type WidthGroup } from '@hcr/image';
export {
  DEFAULT_LINE_LIMITS,
  type LineLimits,
  type PreparedLine,
  type PreparedTextLine,
  prepareLineImage,
  prepareTextLines,
  type TextLinesOptions,
} from '@hcr/image/decode';
export type { DecodedLine } from '../reader/decode-line.js';
export { loadLexicons, parseLexiconSpec, readLexiconFile } from '../reader/lexicon-file.js';
export {
  createLineReader,
  type LineInput,
  type LinePlacement,
  type LineReader,
  type LineReaderOptions,
  type LineReading,
  type TextReading,
} from '../reader/line-reader.js';
export { patternCaseNote } from '../reader/pattern-note.js';
/** Line preparation in worker threads (`new PreparePool(threads)`, then `prepareLineInPool`; `close()` at the end). */
export { PreparePool, prepareLineInPool } from '../reader/prepare-pool.js';
export {
  DEFAULT_BEAM,
  DEFAULT_TOP_K,
  MAX_BEAM,
  MAX_TOP_K,
  type ReadOptions,
} from '../reader/read-options.js';
export { inspectReader, type ReaderModelInfo, readerFramesFor } from '../reader/reader-info.js';
export { judgePage, judgeReading, type ReadDecision, type ReadVerdict } from '../reader/verdict.js';
