import {
  HcrError,
  type InputNormalisation,
  knownLineAlphabet,
  type LineAlphabet,
  type LineReaderInfo,
  ONNX_METADATA_KEYS,
  parseReaderOnnxMetadata,
} from '@hcr/core';
import { DataType, decodeModelHeader, metadataRecord } from '@hcr/onnx-proto';
import { signature, type TensorSignature } from '../onnx/model-info.js';

/** What serving needs to know about a line reader, read from the ONNX file itself. */
export interface ReaderModelInfo {
  /** `hcr.model_id`, else the file name. */
  id: string;
  /** `hcr.reader` as stored: alphabet id, symbols, height, stride, minWidth. */
  reader: LineReaderInfo;
  /** The alphabet the decoder uses (index 0 = CTC blank). */
  alphabet: LineAlphabet;
  normalisation: InputNormalisation;
  /** [N, height, W, 1]; N and W symbolic (-1). */
  input: TensorSignature;
  /** [N, R, T, symbols]; N and T symbolic (-1); R = 1, or the readers of a packed ensemble. */
  output: TensorSignature;
  /**
   * The readers this file runs, in the order of the output's axis 1: itself, or the members `hcr.reader_members`
   * lists in an ensemble packed by `hcr export ensemble`.
   */
  readers: { id: string; uid?: string }[];
  /** Parsed `hcr.metadata` (the full ModelMetadata JSON), when present. */
  metadata?: Record<string, unknown>;
  opsetVersion: number;
  sizeBytes: number;
}

const EXPORT_HINT =
  'Export the trained reader with `hcr export onnx <run dir>`, which writes hcr.reader and hcr.input_normalisation (the pipeline writes artifacts/model/reader/model.onnx).';

function invalid(problem: string): HcrError {
  return new HcrError('MODEL_INVALID', problem, { hint: EXPORT_HINT });
}

/**
 * CTC frames the reader emits for a line `width` pixels wide: `readerFrames` in @hcr/model
 * (floor(floor(width/2)/2) for the stride-4 reader, which equals floor(width/4)); kept here as one line
 * so serving does not import tfjs.
 */
export function readerFramesFor(width: number, stride: number): number {
  return Math.floor(width / stride);
}

/** Reads the reader's signature and hcr metadata from ONNX bytes; every missing piece is an error naming the fix. */
export function inspectReader(bytes: Uint8Array, fallbackId = 'reader'): ReaderModelInfo {
  // the header only: signature and metadata, not the nodes and weights
  let model: ReturnType<typeof decodeModelHeader>;
  try {
    model = decodeModelHeader(bytes);
  } catch (e) {
    throw invalid(`The reader file is not a valid ONNX protobuf (${(e as Error).message}).`);
  }
  const graph = model.graph;
  if (!graph?.input?.length || !graph.output?.length)
    throw invalid('The ONNX reader has no graph inputs or outputs.');
  const props = metadataRecord(model);
  const {
    reader,
    normalisation,
    members: readers,
  } = parseReaderOnnxMetadata(props, {
    source: 'The reader file',
    hint: `Pass a line reader's ONNX file: a character model (hcr predict, hcr serve --model) reads one character, not a line. ${EXPORT_HINT}`,
    fallbackId,
  });

  const initNames = new Set((graph.initializer ?? []).map((t) => t.name));
  const inputs = graph.input.filter((i) => !initNames.has(i.name));
  if (inputs.length !== 1)
    throw invalid(`The reader has ${inputs.length} inputs; hcr serves readers with one.`);
  const input = signature(inputs[0]!);
  const output = signature(graph.output[0]!);
  if (input.elemType !== DataType.FLOAT || output.elemType !== DataType.FLOAT)
    throw invalid('The reader input and output must be float32 tensors.');
  const [, h, w, c] = input.dims;
  if (input.dims.length !== 4 || h !== reader.height || c !== 1 || (w !== undefined && w >= 0))
    throw invalid(
      `The reader input ${input.name} has shape [${input.dims.join(',')}]; a line reader takes [N, ${reader.height}, W, 1] with a free width W.`,
    );
  const classes = output.dims[output.dims.length - 1]!;
  if (output.dims.length !== 4 || (classes > 0 && classes !== reader.symbols.length))
    throw invalid(
      `The reader output ${output.name} has shape [${output.dims.join(',')}]; expected [N, 1, T, ${reader.symbols.length}] (one score per symbol of hcr.reader).`,
    );
  const id = props[ONNX_METADATA_KEYS.modelId] || fallbackId;
  if (output.dims[1] !== readers.length)
    throw invalid(
      `The reader output ${output.name} has shape [${output.dims.join(',')}] but lists ${readers.length} reader(s)${props[ONNX_METADATA_KEYS.readerMembers] ? ` in ${ONNX_METADATA_KEYS.readerMembers}` : ''}: axis 1 holds one reader's frames each.`,
    );
  const metadata = props[ONNX_METADATA_KEYS.metadata]
    ? parseJson<Record<string, unknown>>(props, ONNX_METADATA_KEYS.metadata)
    : undefined;
  const opset = model.opset_import.find((o) => !o.domain || o.domain === 'ai.onnx');
  return {
    id,
    readers,
    reader,
    alphabet: alphabetOf(reader),
    normalisation: { mean: normalisation.mean, std: normalisation.std },
    input,
    output,
    metadata,
    opsetVersion: opset?.version ?? 0,
    sizeBytes: bytes.byteLength,
  };
}

/**
 * The LineAlphabet of a reader: @hcr/core's own object when the symbols are one of its label spaces' line
 * alphabets (36, 47, 62); else one built from the file's symbols, so a reader of another alphabet still serves.
 */
function alphabetOf(r: LineReaderInfo): LineAlphabet {
  const known = knownLineAlphabet(r.alphabetId, r.symbols);
  if (known) return known;
  const letters = r.symbols.filter((s) => s.toLowerCase() !== s.toUpperCase());
  return Object.freeze({
    id: r.alphabetId,
    labelSpace: r.alphabetId.replace(/-line$/, '') as LineAlphabet['labelSpace'],
    symbols: Object.freeze([...r.symbols]),
    blank: 0 as const,
    size: r.symbols.length,
    caseMerged: !letters.some((s) => s !== s.toUpperCase()),
  });
}

function parseJson<T>(props: Record<string, string>, key: string): T | undefined {
  const text = props[key];
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw invalid(`${key} in the reader's metadata_props is not valid JSON.`);
  }
}
