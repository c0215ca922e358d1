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
  /** Let idle onnxruntime threads spin (busy-wait) between operators (default false: they sleep). */
  spinWait?: boolean;
}

/** The settings a session gets: the given ones, defaults for the rest. */
export function resolveTuning(opts: SessionTuning): Required<SessionTuning> {
  return {
    intraOpThreads: opts.intraOpThreads ?? availableParallelism(),
    interOpThreads: opts.interOpThreads ?? 1,
    graphOptimizationLevel: opts.graphOptimizationLevel ?? 'all',
    spinWait: opts.spinWait ?? false,
  };
}

/** Opens an ONNX model in onnxruntime; a model it cannot load is MODEL_INVALID naming `what`. */
export async function openSession(
  bytes: Uint8Array,
  opts: SessionTuning,
  what: string,
): Promise<{ session: ort.InferenceSession; tuning: Required<SessionTuning> }> {
  const tuning = resolveTuning(opts);
  try {
    const session = await ort.InferenceSession.create(bytes, {
      intraOpNumThreads: tuning.intraOpThreads,
      interOpNumThreads: tuning.interOpThreads,
      graphOptimizationLevel: tuning.graphOptimizationLevel,
      executionMode: 'sequential',
      enableCpuMemArena: true,
      // Spinning threads busy-wait for the next operator: a little lower latency alone, but in a server
      // they burn the cores that HTTP parsing and image preparation need (x2-4 req/s measured without).
      extra: { session: { intra_op: { allow_spinning: tuning.spinWait ? '1' : '0' } } },
    });
    return { session, tuning };
  } catch (e) {
    throw new HcrError('MODEL_INVALID', `onnxruntime cannot load the ${what}: ${(e as Error).message}`, {
      hint: 'Re-export it with `hcr export onnx` (opset 13+, float32).',
      cause: e,
    });
  }
}
