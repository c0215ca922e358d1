import { HcrError, type ModelMetadata, ONNX_METADATA_KEYS } from '@hcr/core';
import { readMetadataProps } from '@hcr/onnx-proto';

/**
 * Reads `metadata_props` from ONNX bytes (onnxruntime-node does not expose them). Eval needs `hcr.model_id`
 * to refuse an ONNX file exported from a different (older) model than the one being evaluated.
 * Decoding goes through @hcr/onnx-proto: one ONNX schema in the project.
 */
export function readOnnxMetadataProps(bytes: Uint8Array): Record<string, string> {
  return readMetadataProps(bytes);
}

/**
 * Refuses an ONNX file exported from another model than `metadata`: another run name (`hcr.model_id`), or
 * an earlier run of the same name (`hcr.model_uid`, when both sides have one: `pipeline` is retrained under
 * one name, and its old export must not be scored as the new model).
 */
export function checkExportedFrom(
  props: Record<string, string>,
  metadata: Pick<ModelMetadata, 'id' | 'uid'>,
  path: string,
  reexport: { hint: string },
): void {
  const exportedFrom = props[ONNX_METADATA_KEYS.modelId];
  if (exportedFrom !== undefined && exportedFrom !== metadata.id)
    throw new HcrError(
      'ONNX_STALE',
      `${path} was exported from model '${exportedFrom}', not from '${metadata.id}'.`,
      reexport,
    );
  const uid = props[ONNX_METADATA_KEYS.modelUid];
  if (uid !== undefined && metadata.uid !== undefined && uid !== metadata.uid)
    throw new HcrError(
      'ONNX_STALE',
      `${path} was exported from an earlier run named '${metadata.id}' (run ${uid}), not from this one (${metadata.uid}).`,
      reexport,
    );
}
