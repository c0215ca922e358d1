/**
 * Layout bookkeeping. TensorFlow tensors are channels-last; ONNX convolutions want channels-first.
 * Each converted value remembers `perm`: ONNX dimension i holds TensorFlow dimension perm[i]. Layers that
 * do not care about layout (activations, element-wise math, batch norm, global pooling...) keep whatever
 * perm they get, so a chain of convs needs no Transpose between them; a Transpose is only emitted where an
 * op needs a specific order (Flatten/Reshape need TensorFlow's order, Conv needs channels-first).
 */

export type Perm = readonly number[];

export function identityPerm(rank: number): number[] {
  return Array.from({ length: rank }, (_, i) => i);
}

/** Channels-last TF layout [N, d1..dk, C] seen as ONNX [N, C, d1..dk]. */
export function channelsFirstPerm(rank: number): number[] {
  return rank < 3 ? identityPerm(rank) : [0, rank - 1, ...identityPerm(rank).slice(1, rank - 1)];
}

export function isIdentity(perm: Perm): boolean {
  return perm.every((p, i) => p === i);
}

export function samePerm(a: Perm, b: Perm): boolean {
  return a.length === b.length && a.every((p, i) => p === b[i]);
}

/** ONNX axis that holds TensorFlow axis `tfAxis` (negative axes count from the end). */
export function onnxAxis(perm: Perm, tfAxis: number): number {
  const a = tfAxis < 0 ? tfAxis + perm.length : tfAxis;
  const i = perm.indexOf(a);
  if (i < 0) throw new RangeError(`axis ${tfAxis} is outside rank ${perm.length}`);
  return i;
}

/** Transpose attribute that turns a tensor stored with perm `from` into one stored with perm `to`. */
export function transposeBetween(from: Perm, to: Perm): number[] {
  return to.map((tfDim) => from.indexOf(tfDim));
}

/**
 * Perm of the result when the TF axes in `removed` are reduced away (keepdims=false): the remaining
 * ONNX axes keep their order, and TF axes are renumbered densely.
 */
export function permAfterRemovingAxes(perm: Perm, removed: readonly number[]): number[] {
  const kept = perm.filter((d) => !removed.includes(d));
  const sorted = [...kept].sort((a, b) => a - b);
  return kept.map((d) => sorted.indexOf(d));
}

/** Host-side transpose of a row-major array: out dim i = in dim perm[i]. */
export function transposeArray<T extends Float32Array | Int32Array>(
  data: T,
  shape: readonly number[],
  perm: Perm,
): T {
  if (isIdentity(perm)) return data;
  const rank = shape.length;
  const outShape = perm.map((p) => shape[p]);
  const inStrides = new Array<number>(rank);
  let s = 1;
  for (let i = rank - 1; i >= 0; i--) {
    inStrides[i] = s;
    s *= shape[i];
  }
  const strideForOut = perm.map((p) => inStrides[p]);
  const out = new (data.constructor as new (n: number) => T)(data.length);
  const idx = new Array<number>(rank).fill(0);
  let src = 0;
  for (let o = 0; o < data.length; o++) {
    out[o] = data[src];
    // advance the odometer over output dims, keeping src in step
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]++;
      src += strideForOut[d];
      if (idx[d] < outShape[d]) break;
      src -= strideForOut[d] * outShape[d];
      idx[d] = 0;
    }
  }
  return out;
}
