import { getKernel, type KernelConfig, type NamedAttrMap, type TensorInfo } from '@tensorflow/tfjs-core';

/** The parts of tfjs-backend-wasm's BackendWasm that our kernels use. */
export interface WasmBackend {
  wasm: {
    HEAPU8: Uint8Array;
    // biome-ignore lint/suspicious/noExplicitAny: emscripten module surface
    [name: string]: any;
  };
  dataIdMap: {
    get(dataId: object): {
      id: number;
      memoryOffset: number;
      shape: number[];
      dtype: string;
      refCount: number;
    };
  };
  makeOutput(shape: number[], dtype: string): TensorInfo;
  disposeData(dataId: object, force?: boolean): boolean;
  incRef(dataId: object): void;
}

type StockFunc = (args: {
  inputs: Record<string, TensorInfo>;
  backend: WasmBackend;
  attrs?: NamedAttrMap;
}) => TensorInfo;

/**
 * Stock wasm kernels, captured before we override any of them, so our kernels can call the
 * XNNPACK-backed originals (Conv2D, BatchMatMul, Transpose, ...). A captured kernel whose
 * registration we removed may not have had its setupFunc run on this backend (the engine only
 * runs setupFuncs of kernels registered when the backend initializes), so we run it once per
 * backend ourselves.
 */
const stockConfigs = new Map<string, KernelConfig>();
const setupDone = new WeakMap<object, Set<string>>();

const ours = new WeakSet<object>();

/** Marks one of our configs, so it is never mistaken for a stock kernel. */
export function markOurs(cfg: KernelConfig): void {
  ours.add(cfg.kernelFunc);
}

export function captureStock(name: string): KernelConfig | undefined {
  if (!stockConfigs.has(name)) {
    const k = getKernel(name, 'wasm');
    if (k && !ours.has(k.kernelFunc)) stockConfigs.set(name, k);
  }
  return stockConfigs.get(name);
}

export function stockConfig(name: string): KernelConfig | undefined {
  return stockConfigs.get(name) ?? captureStock(name);
}

export function stock(name: string, backend: WasmBackend): StockFunc {
  const cfg = stockConfig(name);
  if (!cfg) throw new Error(`@hcr/engine: stock wasm kernel ${name} is not registered`);
  let done = setupDone.get(backend);
  if (!done) {
    done = new Set();
    setupDone.set(backend, done);
  }
  if (!done.has(name)) {
    // biome-ignore lint/suspicious/noExplicitAny: setupFunc takes the backend
    cfg.setupFunc?.(backend as any);
    done.add(name);
  }
  return cfg.kernelFunc as unknown as StockFunc;
}

/** A Float32Array view of a tensor's data in the wasm heap. Take views AFTER all allocations. */
export function f32(backend: WasmBackend, t: TensorInfo): Float32Array {
  const { memoryOffset } = backend.dataIdMap.get(t.dataId);
  let size = 1;
  for (const d of t.shape) size *= d;
  return new Float32Array(backend.wasm.HEAPU8.buffer, memoryOffset, size);
}

export function view(t: TensorInfo, shape: number[]): TensorInfo {
  return { dataId: t.dataId, shape, dtype: t.dtype };
}

export function transpose(backend: WasmBackend, x: TensorInfo, perm: number[]): TensorInfo {
  return stock('Transpose', backend)({ inputs: { x }, backend, attrs: { perm } });
}

export function dispose(backend: WasmBackend, ...ts: TensorInfo[]): void {
  for (const t of ts) backend.disposeData(t.dataId);
}

/** Runs the stock XNNPACK Conv2D (NHWC) with explicit, non-negative paddings. */
export function conv2dExplicit(
  backend: WasmBackend,
  x: TensorInfo,
  filter: TensorInfo,
  pads: { top: number; bottom: number; left: number; right: number },
  strides: [number, number] = [1, 1],
  dilations: [number, number] = [1, 1],
): TensorInfo {
  return stock(
    'Conv2D',
    backend,
  )({
    inputs: { x, filter },
    backend,
    attrs: {
      strides,
      dilations,
      pad: [
        [0, 0],
        [pads.top, pads.bottom],
        [pads.left, pads.right],
        [0, 0],
      ],
      dataFormat: 'NHWC',
      dimRoundingMode: undefined as unknown as string,
    } as unknown as NamedAttrMap,
  });
}
