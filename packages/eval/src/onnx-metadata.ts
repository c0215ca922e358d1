import { readMetadataProps } from '@hcr/onnx-proto';

/**
 * Reads `metadata_props` from ONNX bytes (onnxruntime-node does not expose them). Eval needs `hcr.model_id`
 * to refuse an ONNX file exported from a different (older) model than the one being evaluated.
 * Decoding goes through @hcr/onnx-proto: one ONNX schema in the project.
 */
export function readOnnxMetadataProps(bytes: Uint8Array): Record<string, string> {
  return readMetadataProps(bytes);
}
