import {
  backend_util,
  type KernelConfig,
  type KernelFunc,
  Reverse,
  type ReverseAttrs,
  Slice,
  type SliceAttrs,
  SplitV,
  type SplitVAttrs,
  slice_util,
  type TensorInfo,
  Unpack,
  type UnpackAttrs,
  util,
} from '@tensorflow/tfjs-core';
import { stock, type WasmBackend } from './util.js';

/**
 * Slice, Unpack (unstack), SplitV and Reverse that read their input in place. The stock wasm Slice copies the
 * whole input out of the wasm heap (`readSync`) before cutting its piece, and the stock Unpack and SplitV call
 * it once per output: unstacking a [64, T, 256] sequence into T steps, as tfjs-layers' LSTM does when it reads
 * a line, copied the sequence T times (quadratic in the line's width; 11 of a validation pass's 30 s in the
 * LSTM). The stock Reverse moves one element at a time (about 40 ns each here): a Bidirectional layer reverses
 * its backward sequence, and the gradient of that, every training step. Here each output copies its own
 * elements as contiguous runs, so results are the same bytes.
 */

/** The wasm backend's view of a tensor's elements in its heap (take it after every allocation). */
type HeapView = Float32Array | Int32Array | Uint8Array;
/** Dtypes with a heap view; strings (and complex numbers) go to the stock kernels. */
const inHeap = (t: TensorInfo) => t.dtype === 'float32' || t.dtype === 'int32' || t.dtype === 'bool';
const heapView = (backend: WasmBackend, t: TensorInfo): HeapView =>
  (backend as unknown as { typedArrayFromHeap(t: TensorInfo): HeapView }).typedArrayFromHeap(t);

/** Copies the box `begin`/`size` of `x` (already validated) into a new tensor. */
function cut(backend: WasmBackend, x: TensorInfo, begin: number[], size: number[]): TensorInfo {
  const out = backend.makeOutput([...size], x.dtype); // a copy: callers reuse `size`
  if (util.sizeFromShape(size) === 0) return out;
  const from = heapView(backend, x);
  const to = heapView(backend, out);
  const rank = x.shape.length;
  if (rank === 0) {
    to[0] = from[0]!;
    return out;
  }
  // Element strides, the last axis' included (computeStrides leaves it out).
  const strides = [...util.computeStrides(x.shape), 1];
  // Trailing axes taken whole form one contiguous run; the axes before it are walked.
  let outer = rank - 1;
  while (outer > 0 && begin[outer] === 0 && size[outer] === x.shape[outer]) outer--;
  let base = 0;
  for (let a = 0; a <= outer; a++) base += begin[a]! * strides[a]!;
  gatherRuns(from, to, base, size.slice(0, outer), strides.slice(0, outer), size[outer]! * strides[outer]!);
  return out;
}

/**
 * Copies runs of `run` elements from `from` into `to`, one after the other: run k starts at
 * `base + sum(index[a] * steps[a])`, with `index` walking the box `counts` (no count 0) in row-major order.
 */
function gatherRuns(
  from: HeapView,
  to: HeapView,
  base: number,
  counts: readonly number[],
  steps: readonly number[],
  run: number,
): void {
  const index = new Array<number>(counts.length).fill(0);
  let offset = base;
  for (let written = 0; ; written += run) {
    if (run === 1) to[written] = from[offset]!;
    else to.set(from.subarray(offset, offset + run), written);
    let a = counts.length - 1;
    while (a >= 0 && ++index[a]! === counts[a]) {
      offset -= (counts[a]! - 1) * steps[a]!;
      index[a--] = 0;
    }
    if (a < 0) return;
    offset += steps[a]!;
  }
}

export function sliceInPlace(args: { inputs: { x: TensorInfo }; backend: WasmBackend; attrs: SliceAttrs }) {
  const { inputs, backend, attrs } = args;
  const { x } = inputs;
  if (!inHeap(x)) return stock(Slice, backend)({ inputs, backend, attrs: attrs as never });
  const [begin, size] = slice_util.parseSliceParams(x as never, attrs.begin, attrs.size);
  slice_util.assertParamsValid(x as never, begin, size);
  return cut(backend, x, begin, size);
}

/** `x` cut along `axis` into consecutive pieces of the given sizes (Unpack: all 1; SplitV: as asked). */
function piecesAlong(backend: WasmBackend, x: TensorInfo, axis: number, sizes: number[]): TensorInfo[] {
  const begin = x.shape.map(() => 0);
  const size = x.shape.slice();
  return sizes.map((s) => {
    size[axis] = s;
    const piece = cut(backend, x, begin, size);
    begin[axis]! += s;
    return piece;
  });
}

export function unpackInPlace(args: {
  inputs: { value: TensorInfo };
  backend: WasmBackend;
  attrs: UnpackAttrs;
}) {
  const { inputs, backend, attrs } = args;
  const { value } = inputs;
  if (!inHeap(value)) return stock(Unpack, backend)({ inputs, backend, attrs: attrs as never });
  const axis = attrs.axis < 0 ? attrs.axis + value.shape.length : attrs.axis;
  const outShape = value.shape.filter((_, i) => i !== axis);
  const ones = new Array<number>(value.shape[axis]!).fill(1);
  return piecesAlong(backend, value, axis, ones).map((p) => ({ ...p, shape: outShape }));
}

export function splitVInPlace(args: { inputs: { x: TensorInfo }; backend: WasmBackend; attrs: SplitVAttrs }) {
  const { inputs, backend, attrs } = args;
  const { x } = inputs;
  if (!inHeap(x)) return stock(SplitV, backend)({ inputs, backend, attrs: attrs as never });
  const axis = util.parseAxisParam(attrs.axis, x.shape)[0]!;
  return piecesAlong(
    backend,
    x,
    axis,
    backend_util.prepareSplitSize(x as never, attrs.numOrSizeSplits, axis),
  );
}

/** `x` with the order of its elements along `dims` reversed: runs of the trailing axes no dim reverses. */
export function reverseInPlace(args: {
  inputs: { x: TensorInfo };
  backend: WasmBackend;
  attrs: ReverseAttrs;
}) {
  const { inputs, backend, attrs } = args;
  const { x } = inputs;
  if (!inHeap(x)) return stock(Reverse, backend)({ inputs, backend, attrs: attrs as never });
  const shape = x.shape;
  const axes = util.parseAxisParam(attrs.dims, shape);
  const out = backend.makeOutput([...shape], x.dtype);
  if (util.sizeFromShape(shape) === 0) return out;
  const from = heapView(backend, x);
  const to = heapView(backend, out);
  const reversed = shape.map((n, a) => n > 1 && axes.includes(a));
  // Axes after the last reversed one are copied whole, as one run; the axes up to it are walked.
  const last = reversed.lastIndexOf(true);
  if (last < 0) {
    to.set(from);
    return out;
  }
  // Walking a reversed axis starts at its last element and steps backwards.
  const strides = [...util.computeStrides(shape), 1];
  let base = 0;
  const steps = strides.slice(0, last + 1).map((st, a) => {
    if (!reversed[a]) return st;
    base += (shape[a]! - 1) * st;
    return -st;
  });
  gatherRuns(from, to, base, shape.slice(0, last + 1), steps, strides[last]!);
  return out;
}

export const sliceConfig: KernelConfig = {
  kernelName: Slice,
  backendName: 'wasm',
  kernelFunc: sliceInPlace as unknown as KernelFunc,
};
export const unpackConfig: KernelConfig = {
  kernelName: Unpack,
  backendName: 'wasm',
  kernelFunc: unpackInPlace as unknown as KernelFunc,
};
export const splitVConfig: KernelConfig = {
  kernelName: SplitV,
  backendName: 'wasm',
  kernelFunc: splitVInPlace as unknown as KernelFunc,
};
export const reverseConfig: KernelConfig = {
  kernelName: Reverse,
  backendName: 'wasm',
  kernelFunc: reverseInPlace as unknown as KernelFunc,
};
