import { HcrError } from '@hcr/core';

type OnnxRuntime = typeof import('onnxruntime-node');

let loading: Promise<OnnxRuntime> | undefined;

/**
 * onnxruntime-node, loaded on first use: exporting needs no runtime (its native binary is ~300 MB installed), only
 * checking an export against it does. A package missing (or whose binary does not load) is ONNXRUNTIME_MISSING.
 */
export function onnxRuntime(): Promise<OnnxRuntime> {
  loading ??= import('onnxruntime-node').catch((e: Error) => {
    loading = undefined;
    throw new HcrError(
      'ONNXRUNTIME_MISSING',
      `Checking an ONNX export against onnxruntime needs the package onnxruntime-node, which cannot be loaded here (${e.message.split('\n')[0]}).`,
      {
        hint: 'Install it beside @hcr/export-onnx: `ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node@1.30.0` (pnpm: `pnpm add onnxruntime-node@1.30.0`; the CPU binary ships in the package).',
        cause: e,
      },
    );
  });
  return loading;
}
