import { availableCharacterClasses } from '@hcr/core';
import { MAX_TEXT_LINES } from '@hcr/image';
import type { LineReader } from '../../reader/line-reader.js';
import type { Recognizer } from '../../recognizer.js';
import type { BatcherOptions } from '../batcher.js';
import type { HcrFastify } from '../types.js';

/** GET /v1/model: what is loaded and how it is served (models, batching, limits, the reader). */
export function registerModelRoute(
  app: HcrFastify,
  deps: {
    recognizer: Recognizer;
    reader?: LineReader;
    batching: BatcherOptions | false;
    limits: object;
    /** POST /v1/samples keeps corrected examples (`--collect`). */
    collecting?: boolean;
  },
): void {
  const rec = deps.recognizer;
  const schema = {
    tags: ['service'],
    summary: 'The loaded models: class names, normalisation, signatures, metadata, batching and limits',
  };
  const classChoices = availableCharacterClasses({ name: 'this model', symbols: rec.info.classNames });
  app.get('/v1/model', { schema }, async (req) => ({
    id: rec.info.id,
    classNames: rec.info.classNames,
    labelSpace: rec.info.labelSpace ?? null,
    classChoices,
    normalisation: rec.info.normalisation,
    input: rec.info.input,
    output: rec.info.output,
    dynamicBatch: rec.info.dynamicBatch,
    opsetVersion: rec.info.opsetVersion,
    sizeBytes: rec.info.sizeBytes,
    metadata: rec.info.metadata ?? null,
    session: rec.tuning,
    prepareWorkers: rec.prepareWorkers,
    inferenceThread: rec.inferenceThread,
    batching: deps.batching,
    limits: deps.limits,
    reader: deps.reader ? describeReader(deps.reader) : null,
    // POST /v1/samples keeps corrected examples: the page offers to save one
    collecting: deps.collecting === true,
    // the API client whose token the request carried, and what it may do (null on a server without tokens)
    client: req.apiClient === undefined ? null : { name: req.apiClient, scopes: req.apiScopes ?? [] },
  }));
}

/** The line reader as GET /v1/model shows it (under `reader`). */
function describeReader(r: LineReader) {
  return {
    id: r.info.id,
    alphabet: {
      id: r.info.alphabet.id,
      symbols: r.info.alphabet.symbols.slice(1).join(''),
      size: r.info.alphabet.size,
    },
    // the named classes `classes=` accepts for POST /v1/read (uppercase/lowercase for a case-sensitive reader)
    classChoices: availableCharacterClasses({ name: 'the reader', symbols: r.info.alphabet.symbols }),
    height: r.info.reader.height,
    stride: r.info.reader.stride,
    minWidth: r.info.reader.minWidth,
    normalisation: r.info.normalisation,
    input: r.info.input,
    output: r.info.output,
    opsetVersion: r.info.opsetVersion,
    sizeBytes: r.info.sizeBytes,
    metadata: r.info.metadata ?? null,
    // several readers trained alike, read as one (their likelihoods' geometric mean), each with the file it
    // runs in (one file per reader, or one packed by `hcr export ensemble`); null for one reader
    ensemble:
      r.info.readers.length > 1
        ? r.members.flatMap((m) => m.readers.map((x) => ({ id: x.id, file: m.id, sizeBytes: m.sizeBytes })))
        : null,
    lexicons: r.lexiconNames,
    // what `layout=` accepts: one line per image, or every line of writing in it
    layouts: ['line', 'lines'],
    maxLinesPerImage: MAX_TEXT_LINES,
    prepareWorkers: r.prepareWorkers,
    inferenceThread: r.inferenceThread,
    session: r.tuning,
  };
}
