import { decodeModel } from '@hcr/export-onnx';

/**
 * Reads `metadata_props` from ONNX bytes (onnxruntime-node does not expose them). Eval needs `hcr.model_id`
 * to refuse an ONNX file exported from a different (older) model than the one being evaluated.
 * Decoding goes through the exporter's ONNX schema: one protobuf definition in the project.
 */
export function readOnnxMetadataProps(bytes: Uint8Array): Record<string, string> {
  const props: Record<string, string> = {};
  for (const { key, value } of decodeModel(bytes).metadata_props ?? []) props[key] = value;
  return props;
}
