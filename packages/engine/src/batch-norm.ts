import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { BatchNormTraining } from './kernels/batch_norm_training.js';

/**
 * Training-mode batch normalisation over the last axis: [y, batch mean, batch variance (biased)], with a
 * gradient in two passes. Needs the fast wasm kernels (registerFastWasmKernels) on the active backend.
 */
export function batchNormTraining(
  x: tf.Tensor,
  scale: tf.Tensor,
  offset: tf.Tensor,
  varianceEpsilon: number,
): [tf.Tensor, tf.Tensor, tf.Tensor] {
  return tf.engine().runKernel(BatchNormTraining, { x, scale, offset }, { varianceEpsilon } as never) as [
    tf.Tensor,
    tf.Tensor,
    tf.Tensor,
  ];
}

/** Whether the active backend has the fused training kernel. */
export function fusedBatchNormAvailable(): boolean {
  return tf.getKernel(BatchNormTraining, tf.getBackend()) !== undefined;
}

/** The parts of tfjs-layers' BatchNormalization that the training path reads. */
interface BatchNormLayer {
  axis: number;
  momentum: number;
  epsilon: number;
  center: boolean;
  scale: boolean;
  gamma: tfl.LayerVariable;
  beta: tfl.LayerVariable;
  movingMean: tfl.LayerVariable;
  movingVariance: tfl.LayerVariable;
  call(inputs: tf.Tensor | tf.Tensor[], kwargs: Record<string, unknown>): tf.Tensor | tf.Tensor[];
}

let patched = false;

/**
 * Makes every tfjs-layers BatchNormalization layer use `batchNormTraining` when called with
 * `training: true` on a backend that has it (same maths, same moving-average update as the layer's own
 * code); inference and every other case run the layer's code unchanged. Idempotent.
 */
export function useFusedBatchNormInTraining(): void {
  if (patched) return;
  patched = true;
  const proto = Object.getPrototypeOf(tfl.layers.batchNormalization({})) as BatchNormLayer;
  const original = proto.call;
  proto.call = function (this: BatchNormLayer, inputs, kwargs) {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const lastAxis = x !== undefined && (this.axis === -1 || this.axis === x.rank - 1);
    if (!kwargs?.training || !lastAxis || !this.center || !this.scale || !fusedBatchNormAvailable())
      return original.call(this, inputs, kwargs);
    return tf.tidy(() => {
      const [y, mean, variance] = batchNormTraining(x!, this.gamma.read(), this.beta.read(), this.epsilon);
      const decay = 1 - this.momentum;
      for (const [variable, value] of [
        [this.movingMean, mean],
        [this.movingVariance, variance],
      ] as const) {
        tf.tidy(() => {
          const orig = variable.read();
          variable.write(tf.sub(orig, tf.mul(tf.sub(orig, value), decay)));
        });
      }
      return y;
    });
  };
}
