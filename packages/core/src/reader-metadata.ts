import { HcrError } from './errors.js';
import { type InputNormalisation, type LineReaderInfo, ONNX_METADATA_KEYS } from './metadata.js';

/** One reader an ONNX reader file runs: itself, or a member of an ensemble packed by `hcr export ensemble`. */
export interface ReaderMember {
  id: string;
  uid?: string;
}

/** What an exported line reader's ONNX `metadata_props` say about how it reads a line. */
export interface ReaderOnnxMetadata {
  /** `hcr.reader`: alphabet id, symbols, line height, frame stride, narrowest width. */
  reader: LineReaderInfo;
  /** `hcr.input_normalisation`. */
  normalisation: InputNormalisation;
  /**
   * The readers in the order of the output's axis 1: the `hcr.reader_members` of a packed ensemble, else the
   * file itself (`hcr.model_id`, else `fallbackId`, with `hcr.model_uid` when present).
   */
  members: ReaderMember[];
}

function parseJson(props: Readonly<Record<string, string>>, key: string): unknown {
  try {
    return JSON.parse(props[key]!);
  } catch {
    return undefined;
  }
}

function isReaderInfo(r: unknown): r is LineReaderInfo {
  if (typeof r !== 'object' || r === null) return false;
  const x = r as Partial<LineReaderInfo>;
  const positive = (n: unknown) => Number.isInteger(n) && (n as number) > 0;
  return (
    typeof x.alphabetId === 'string' &&
    Array.isArray(x.symbols) &&
    x.symbols.length >= 2 &&
    x.symbols[0] === '' &&
    x.symbols.slice(1).every((s) => typeof s === 'string' && [...s].length === 1) &&
    // two outputs with one symbol: the decoder could not tell which was read
    new Set(x.symbols).size === x.symbols.length &&
    positive(x.height) &&
    positive(x.stride) &&
    positive(x.minWidth)
  );
}

function isMemberList(m: unknown): m is ReaderMember[] {
  return (
    Array.isArray(m) &&
    m.length >= 1 &&
    m.every(
      (x) =>
        typeof x === 'object' &&
        x !== null &&
        typeof x.id === 'string' &&
        (x.uid === undefined || typeof x.uid === 'string'),
    )
  );
}

/**
 * Reads and checks a line reader's metadata from an ONNX file's `metadata_props` (as a key -> value record).
 * One parser for everything that opens a reader file (serving, packing an ensemble), so they accept and refuse
 * the same files. Throws `MODEL_NOT_A_READER` when `hcr.reader` is absent (a character model, say) and
 * `MODEL_INVALID` when a key is malformed; `source` names the file in the message and `hint` is the caller's fix.
 */
export function parseReaderOnnxMetadata(
  props: Readonly<Record<string, string>>,
  opts: { source: string; hint: string; fallbackId: string },
): ReaderOnnxMetadata {
  const K = ONNX_METADATA_KEYS;
  const invalid = (problem: string) =>
    new HcrError('MODEL_INVALID', `${opts.source}: ${problem}`, { hint: opts.hint });
  if (props[K.reader] === undefined)
    throw new HcrError(
      'MODEL_NOT_A_READER',
      `${opts.source} has no ${K.reader} metadata, so it is not a line reader (a character model, perhaps).`,
      { hint: opts.hint },
    );
  const reader = parseJson(props, K.reader);
  if (!isReaderInfo(reader))
    throw invalid(
      `${K.reader} must be {"alphabetId", "symbols": ["", one character each, no two alike...], "height", "stride", "minWidth"}.`,
    );
  const n = props[K.inputNormalisation] === undefined ? undefined : parseJson(props, K.inputNormalisation);
  const normalisation = n as Partial<InputNormalisation> | undefined;
  if (
    typeof normalisation !== 'object' ||
    normalisation === null ||
    !Number.isFinite(normalisation.mean) ||
    // a number: "0.5" (a string), true or [1] passed as std > 0 and came back as they were
    !(Number.isFinite(normalisation.std) && normalisation.std! > 0)
  )
    throw invalid(
      `the metadata_props lack a valid ${K.inputNormalisation} ({"mean", "std" > 0}, finite numbers).`,
    );
  let members: ReaderMember[];
  if (props[K.readerMembers] !== undefined) {
    const listed = parseJson(props, K.readerMembers);
    if (!isMemberList(listed))
      throw invalid(`${K.readerMembers} must be a non-empty JSON list of {"id", "uid"?}.`);
    members = listed.map((m) => (m.uid === undefined ? { id: m.id } : { id: m.id, uid: m.uid }));
  } else {
    const uid = props[K.modelUid];
    members = [{ id: props[K.modelId] || opts.fallbackId, ...(uid ? { uid } : {}) }];
  }
  return {
    reader,
    normalisation: { mean: normalisation.mean!, std: normalisation.std! },
    members,
  };
}
