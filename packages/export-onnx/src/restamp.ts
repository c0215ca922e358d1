import type { ModelMetadata } from '@hcr/core';
import { decodeModel, encodeModel } from '@hcr/onnx-proto';
import { metadataProps } from './export.js';

/**
 * ONNX bytes with their hcr metadata_props replaced by those of `metadata` (other props kept): for a
 * model whose metadata.json changed after export (`hcr calibrate` adds the calibration), without
 * converting the graph again. The graph is untouched.
 */
export function restampMetadata(bytes: Uint8Array, metadata: Partial<ModelMetadata>): Uint8Array {
  const model = decodeModel(bytes);
  const props = metadataProps(metadata);
  const kept = (model.metadata_props ?? []).filter((p) => !(p.key in props));
  model.metadata_props = [...kept, ...Object.entries(props).map(([key, value]) => ({ key, value }))];
  return encodeModel(model);
}
