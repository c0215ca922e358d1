import { decodeModelHeader } from './proto.js';
import type { ModelProto } from './types.js';

/** `metadata_props` of a decoded model as a record (a repeated key: the last one wins). */
export function metadataRecord(model: Pick<ModelProto, 'metadata_props'>): Record<string, string> {
  const props: Record<string, string> = {};
  for (const { key, value } of model.metadata_props ?? []) props[key ?? ''] = value ?? '';
  return props;
}

/**
 * `metadata_props` straight from ONNX bytes (onnxruntime-node does not expose them). Decodes the model's
 * header only (`decodeModelHeader`): neither nodes nor weights.
 */
export function readMetadataProps(bytes: Uint8Array): Record<string, string> {
  return metadataRecord(decodeModelHeader(bytes));
}
