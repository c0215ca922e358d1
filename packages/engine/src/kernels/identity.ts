import { Identity, type KernelConfig, type KernelFunc, type TensorInfo } from '@tensorflow/tfjs-core';
import { stock, type WasmBackend } from './util.js';

/**
 * Identity without the copy. The stock wasm kernel copies the tensor, and tfjs-core clones (Identity)
 * every tensor a gradient saves, so a reader training shard made ~200 full copies of its activations.
 * Tensors are immutable and the wasm backend counts references per buffer (its Reshape shares the same
 * way), so the clone can share the buffer, as the cpu and webgl backends' Identity do.
 */
export function identityShared(args: { inputs: { x: TensorInfo }; backend: WasmBackend }): TensorInfo {
  const { inputs, backend } = args;
  const { x } = inputs;
  if (x.dtype === 'string') return stock(Identity, backend)({ inputs, backend, attrs: {} as never });
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

export const identityConfig: KernelConfig = {
  kernelName: Identity,
  backendName: 'wasm',
  kernelFunc: identityShared as unknown as KernelFunc,
};
