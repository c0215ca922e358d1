import {
  engine,
  getGradient,
  getKernel,
  type KernelConfig,
  registerGradient,
  registerKernel,
  unregisterKernel,
} from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import {
  batchNormTrainingConfig,
  batchNormTrainingGradConfig,
  batchNormTrainingGradient,
} from './kernels/batch_norm_training.js';
import { conv2DBackpropFilterConfig } from './kernels/conv2d_backprop_filter.js';
import { conv2DBackpropInputConfig } from './kernels/conv2d_backprop_input.js';
import { identityConfig } from './kernels/identity.js';
import { batchMatMulConfig, fusedMatMulConfig } from './kernels/matmul.js';
import { maxPoolGradConfig } from './kernels/max_pool_grad.js';
import { reverseConfig, sliceConfig, splitVConfig, unpackConfig } from './kernels/slice.js';
import { meanConfig, sumConfig } from './kernels/sum.js';
import { tileConfig } from './kernels/tile.js';
import { captureStock, markOurs, stock, type WasmBackend } from './kernels/util.js';

const fastConfigs: KernelConfig[] = [
  conv2DBackpropInputConfig,
  conv2DBackpropFilterConfig,
  batchMatMulConfig,
  fusedMatMulConfig,
  maxPoolGradConfig,
  sumConfig,
  meanConfig,
  tileConfig,
  batchNormTrainingConfig,
  batchNormTrainingGradConfig,
  identityConfig,
  sliceConfig,
  unpackConfig,
  splitVConfig,
  reverseConfig,
];

for (const cfg of fastConfigs) markOurs(cfg);

/**
 * Names of the wasm kernels that registerFastWasmKernels() installs: overrides of stock ones, and kernels
 * stock wasm lacks (Conv2DBackpropFilter; our HcrBatchNormTraining and its gradient).
 */
export const fastKernelNames: string[] = fastConfigs.map((c) => c.kernelName);

/** Stock kernels our kernels call into; captured before anything is overridden. */
const STOCK_DEPENDENCIES = [
  'Conv2D',
  'Transpose',
  'BatchMatMul',
  '_FusedMatMul',
  'Conv2DBackpropInput',
  'MaxPoolGrad',
  'Identity',
];

let registered = false;

/**
 * Installs the fast WebAssembly training kernels into the 'wasm' backend of the (single)
 * @tensorflow/tfjs-core instance. Idempotent. Safe to call before or after setBackend('wasm').
 */
export function registerFastWasmKernels(): void {
  if (registered) return;
  for (const name of [...STOCK_DEPENDENCIES, ...fastKernelNames]) captureStock(name);
  for (const cfg of fastConfigs) {
    if (getKernel(cfg.kernelName, 'wasm')) unregisterKernel(cfg.kernelName, 'wasm');
    registerKernel(cfg);
  }
  if (!getGradient(batchNormTrainingGradient.kernelName)) registerGradient(batchNormTrainingGradient);
  registered = true;
}

/** Restores the stock kernels (used by the benchmark to compare both in one process). */
export function unregisterFastWasmKernels(): void {
  if (!registered) return;
  for (const cfg of fastConfigs) {
    unregisterKernel(cfg.kernelName, 'wasm');
    const original = captureStock(cfg.kernelName);
    if (original) {
      registerKernel(original);
      // If the wasm backend initialized while ours was registered, the stock setupFunc never ran.
      const backend = (engine() as unknown as { registry: Record<string, unknown> }).registry.wasm;
      if (backend) stock(cfg.kernelName, backend as WasmBackend);
    }
  }
  registered = false;
}

export function fastWasmKernelsRegistered(): boolean {
  return registered;
}
