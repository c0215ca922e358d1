/** What went wrong, for callers that branch on it (the message says it for people). */
export type OnnxProtoErrorCode =
  /** The bytes are not an ONNX ModelProto: not bytes at all, empty, cut short, not protobuf, or a model without a graph. */
  | 'ONNX_MALFORMED'
  /** `encodeModel` of a decoded model holding fields the schema does not know (see `unknownFields`). */
  | 'ONNX_UNKNOWN_FIELDS'
  /** `encodeModel` given an object that is not a ModelProto: a value of the wrong type for its field. */
  | 'ONNX_INVALID_MODEL';

/** The one error class of @hcr/onnx-proto; `code` tells the kinds apart. */
export class OnnxProtoError extends Error {
  override readonly name = 'OnnxProtoError';
  readonly code: OnnxProtoErrorCode;
  /** Byte offset in the input where the problem was found (decoding errors). */
  declare readonly offset?: number;

  constructor(code: OnnxProtoErrorCode, message: string, options: { offset?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    if (options.offset !== undefined) this.offset = options.offset;
  }
}
