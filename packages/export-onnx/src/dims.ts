import { HcrError } from '@hcr/core';

/**
 * Names (ONNX `dim_param`) for the unknown dimensions of a model's graph inputs and outputs, per input /
 * output in order, per TensorFlow-order dimension. `null` (or a missing entry) keeps the default name:
 * `batch` for dimension 0, `<tensor>_dim<k>` otherwise. Two dims with the same name must have the same
 * size at run time (ONNX semantics), so give one name only to dims that really are equal.
 */
export interface DimNames {
  inputs?: (string | null)[][];
  outputs?: (string | null)[][];
}

/**
 * A line reader (`task: 'line'`): input [batch, 32, width, 1] -> output [batch, 1, frames, C], where
 * frames = floor(floor(width / 2) / 2).
 */
export const LINE_READER_DIM_NAMES: Readonly<DimNames> = Object.freeze({
  inputs: [['batch', null, 'width', null]],
  outputs: [['batch', null, 'frames', null]],
});

/**
 * The ONNX dims of one graph input or output: fixed sizes stay numbers, unknown ones get `names[k]` or
 * the default. Naming a fixed dimension is an error (it would silently be ignored otherwise).
 */
export function onnxDims(
  tensor: string,
  kind: 'input' | 'output',
  shape: readonly (number | null)[],
  names: readonly (string | null)[] | undefined,
): (number | string)[] {
  if (names && names.length > shape.length) {
    throw new HcrError(
      'BAD_DIM_NAMES',
      `dimNames gives ${names.length} names for ${kind} '${tensor}', which has rank ${shape.length}.`,
      { hint: `Give at most one name per dimension of [${shape.map((d) => d ?? '?').join(', ')}].` },
    );
  }
  return shape.map((d, k) => {
    const name = names?.[k] ?? null;
    if (d !== null && d >= 0) {
      if (name !== null) {
        throw new HcrError(
          'BAD_DIM_NAMES',
          `dimNames names dimension ${k} of ${kind} '${tensor}' '${name}', but that dimension is fixed (${d}).`,
          { hint: 'Only unknown (null) dimensions get a symbolic name; put null at that position.' },
        );
      }
      return d;
    }
    return name ?? (k === 0 ? 'batch' : `${tensor}_dim${k}`);
  });
}
