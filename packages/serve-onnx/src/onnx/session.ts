import { availableParallelism } from 'node:os';
import { HcrError } from '@hcr/core';
import * as ort from 'onnxruntime-node';

/** onnxruntime session settings, shared by the character recogniser and the line reader. */
export interface SessionTuning {
  /** Threads inside one operator (default: all cores). */
  intraOpThreads?: number;
  /** Threads across independent operators (default 1: our graphs are a chain). */
  interOpThreads?: number;
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'all';
}

/** Opens an ONNX model in onnxruntime; a model it cannot load is MODEL_INVALID naming `what`. */
export async function openSession(
  bytes: Uint8Array,
  opts: SessionTuning,
  what: string,
): Promise<{ session: ort.InferenceSession; tuning: Required<SessionTuning> }> {
  const tuning: Required<SessionTuning> = {
    intraOpThreads: opts.intraOpThreads ?? availableParallelism(),
    interOpThreads: opts.interOpThreads ?? 1,
    graphOptimizationLevel: opts.graphOptimizationLevel ?? 'all',
  };
  try {
    const session = await ort.InferenceSession.create(bytes, {
      intraOpNumThreads: tuning.intraOpThreads,
      interOpNumThreads: tuning.interOpThreads,
      graphOptimizationLevel: tuning.graphOptimizationLevel,
      executionMode: 'sequential',
      enableCpuMemArena: true,
    });
    return { session, tuning };
  } catch (e) {
    throw new HcrError('MODEL_INVALID', `onnxruntime cannot load the ${what}: ${(e as Error).message}`, {
      hint: 'Re-export it with `hcr export onnx` (opset 13+, float32).',
      cause: e,
    });
  }
}
